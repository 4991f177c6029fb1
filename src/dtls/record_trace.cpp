#include "dtls/record_trace.hpp"

namespace floe::dtls {

std::string_view record_type_name(std::uint8_t type) {
    // RFC 6347 §4.1 (ContentType, as in RFC 5246 §6.2.1).
    switch (type) {
        case 20:
            return "change_cipher_spec";
        case 21:
            return "alert";
        case 22:
            return "handshake";
        case 23:
            return "application_data";
        default:
            return "record";
    }
}

std::string describe_records(ByteSpan datagram) {
    std::string out = "DTLS";
    for_each_record(datagram, [&](const RecordHeader& h) {
        out += " ";
        out += record_type_name(h.type);
        out += "(epoch " + std::to_string(h.epoch) + ", " + std::to_string(h.length) + " B)";
    });
    return out;
}

}  // namespace floe::dtls
