#include "sctp/dcep.hpp"

#include <limits>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"

namespace floe::sctp {
namespace {

// RFC 8832 §8.2.2: channel types.
constexpr std::uint8_t kUnorderedBit = 0x80;
constexpr std::uint8_t kReliable = 0x00;
constexpr std::uint8_t kRexmit = 0x01;
constexpr std::uint8_t kTimed = 0x02;

}  // namespace

std::string_view to_string(DcepError error) {
    switch (error) {
        case DcepError::empty:
            return "empty message";
        case DcepError::unknown_message_type:
            return "unknown message type";
        case DcepError::truncated:
            return "truncated";
        case DcepError::unknown_channel_type:
            return "unknown channel type";
        case DcepError::trailing_bytes:
            return "trailing bytes";
        case DcepError::too_long:
            return "label or protocol too long";
        case DcepError::conflicting_reliability:
            return "both max_retransmits and max_packet_life_time";
    }
    return "?";
}

Result<DcepMessage, DcepError> parse_dcep(ByteSpan message) {
    ByteReader r(message);
    const auto type = r.u8();
    if (!type) return fail(DcepError::empty);
    if (*type == static_cast<std::uint8_t>(DcepType::ack)) {
        if (!r.empty()) return fail(DcepError::trailing_bytes);
        return DcepMessage{DataChannelAck{}};
    }
    if (*type != static_cast<std::uint8_t>(DcepType::open))
        return fail(DcepError::unknown_message_type);

    const auto channel_type = r.u8();
    const auto priority = r.u16();
    const auto parameter = r.u32();
    const auto label_length = r.u16();
    const auto protocol_length = r.u16();
    if (!channel_type || !priority || !parameter || !label_length || !protocol_length)
        return fail(DcepError::truncated);
    const auto label = r.bytes(*label_length);
    const auto protocol = r.bytes(*protocol_length);
    if (!label || !protocol) return fail(DcepError::truncated);
    if (!r.empty()) return fail(DcepError::trailing_bytes);

    DataChannelOpen open;
    open.reliability.ordered = (*channel_type & kUnorderedBit) == 0;
    switch (*channel_type & ~kUnorderedBit) {
        case kReliable:
            break;
        case kRexmit:
            open.reliability.max_retransmits = *parameter;
            break;
        case kTimed:
            open.reliability.max_packet_life_time = *parameter;
            break;
        default:
            return fail(DcepError::unknown_channel_type);
    }
    open.priority = *priority;
    open.label.assign(as_string(*label));
    open.protocol.assign(as_string(*protocol));
    return DcepMessage{std::move(open)};
}

Result<Bytes, DcepError> encode_dcep(const DataChannelOpen& open) {
    constexpr std::size_t max = std::numeric_limits<std::uint16_t>::max();
    if (open.label.size() > max || open.protocol.size() > max) return fail(DcepError::too_long);
    const Reliability& rel = open.reliability;
    if (rel.max_retransmits && rel.max_packet_life_time)
        return fail(DcepError::conflicting_reliability);
    std::uint8_t type = rel.max_retransmits        ? kRexmit
                        : rel.max_packet_life_time ? kTimed
                                                   : kReliable;
    if (!rel.ordered) type |= kUnorderedBit;
    const std::uint32_t parameter = rel.max_retransmits        ? *rel.max_retransmits
                                    : rel.max_packet_life_time ? *rel.max_packet_life_time
                                                               : 0;
    Bytes out;
    out.reserve(12 + open.label.size() + open.protocol.size());
    ByteWriter w(out);
    w.u8(static_cast<std::uint8_t>(DcepType::open));
    w.u8(type);
    w.u16(open.priority);
    w.u32(parameter);
    w.u16(static_cast<std::uint16_t>(open.label.size()));
    w.u16(static_cast<std::uint16_t>(open.protocol.size()));
    w.bytes(as_bytes(open.label));
    w.bytes(as_bytes(open.protocol));
    return out;
}

Bytes encode_dcep_ack() {
    return Bytes{static_cast<std::uint8_t>(DcepType::ack)};
}

}  // namespace floe::sctp
