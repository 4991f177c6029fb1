// Reading DTLS record headers for people (RFC 6347 §4.1): the records of a datagram with their
// type, epoch and length, for `--trace` logs and capture tools. Headers only: the fragments stay
// encrypted. Bounds-checked; a truncated datagram yields the records before the damage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <floe/bytes.hpp>

#include "common/byte_reader.hpp"

namespace floe::dtls {

struct RecordHeader {
    std::uint8_t type = 0;  // 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data
    std::uint16_t version = 0;
    std::uint16_t epoch = 0;
    std::uint64_t sequence = 0;  // 48 bits
    std::uint16_t length = 0;    // of the fragment, which may run past the datagram's end
};

std::string_view record_type_name(std::uint8_t type);

// Calls visit(const RecordHeader&) for each record header of the datagram in order; stops at a
// header cut short, or after a record whose fragment runs past the end.
template <class Visit>
void for_each_record(ByteSpan datagram, Visit&& visit) {
    ByteReader r(datagram);
    while (r.remaining() >= 13) {
        RecordHeader h;
        h.type = *r.u8();
        h.version = *r.u16();
        h.epoch = *r.u16();
        h.sequence = *r.u48();
        h.length = *r.u16();
        visit(h);
        if (!r.skip(h.length)) return;
    }
}

// "DTLS handshake(epoch 0, 145 B) change_cipher_spec(epoch 0, 1 B)".
std::string describe_records(ByteSpan datagram);

}  // namespace floe::dtls
