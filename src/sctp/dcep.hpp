// DCEP, the Data Channel Establishment Protocol (RFC 8832): a pure codec for its two messages.
//
//   DATA_CHANNEL_OPEN (0x03)                       DATA_CHANNEL_ACK (0x02)
//   | type:8 | channel type:8 | priority:16 |     | type:8 |
//   | reliability parameter:32              |
//   | label length:16 | protocol length:16  |
//   | label ... | protocol ...              |
//
// Both travel on the channel's own stream with PPID 50. The channel type packs ordering (bit 7 =
// unordered) and the partial-reliability policy (low bits: 0 reliable, 1 max retransmits, 2 max
// lifetime in ms), whose value is the reliability parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <floe/bytes.hpp>
#include <floe/result.hpp>

namespace floe::sctp {

// SCTP payload protocol identifiers of WebRTC (RFC 8831 §8, RFC 8832 §8.1).
enum class Ppid : std::uint32_t {
    dcep = 50,
    string = 51,
    binary_partial = 52,  // deprecated, never sent
    binary = 53,
    string_partial = 54,  // deprecated, never sent
    string_empty = 56,    // an empty string, sent as one 0x00 byte
    binary_empty = 57,    // an empty binary message, sent as one 0x00 byte
};

// How a channel delivers: the W3C RTCDataChannelInit fields. At most one of max_retransmits and
// max_packet_life_time (milliseconds) is set; neither means fully reliable.
struct Reliability {
    bool ordered = true;
    std::optional<std::uint32_t> max_retransmits;
    std::optional<std::uint32_t> max_packet_life_time;
    bool operator==(const Reliability&) const = default;
};

struct DataChannelOpen {
    Reliability reliability;
    std::uint16_t priority = 0;
    std::string label;
    std::string protocol;
    bool operator==(const DataChannelOpen&) const = default;
};

struct DataChannelAck {
    bool operator==(const DataChannelAck&) const = default;
};

using DcepMessage = std::variant<DataChannelOpen, DataChannelAck>;

enum class DcepError {
    empty,
    unknown_message_type,
    truncated,
    unknown_channel_type,
    trailing_bytes,
    too_long,                 // encode: a label or protocol longer than 65,535 bytes
    conflicting_reliability,  // encode: both max_retransmits and max_packet_life_time
};
std::string_view to_string(DcepError error);

enum class DcepType : std::uint8_t { ack = 0x02, open = 0x03 };

// Parses one DCEP message (the whole SCTP user message). Never throws, never reads out of bounds.
Result<DcepMessage, DcepError> parse_dcep(ByteSpan message);

Result<Bytes, DcepError> encode_dcep(const DataChannelOpen& open);
Bytes encode_dcep_ack();

}  // namespace floe::sctp
