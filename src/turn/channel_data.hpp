// TURN ChannelData messages (RFC 8656 §12.4): 4 bytes of header instead of a 36-byte Send or
// Data indication once a channel is bound to a peer.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Channel Number        |            Length             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Application Data                        |
//
// Over UDP the datagram may be longer than 4 + Length (padding); over TCP and TLS each message
// is padded to a multiple of 4 bytes (RFC 8656 §12.5), which StreamFramer relies on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <floe/bytes.hpp>
#include <floe/result.hpp>

namespace floe::turn {

// RFC 8656 §12: channel numbers 0x4000 through 0x4FFF; the rest of 0x4000-0x7FFF is reserved.
inline constexpr std::uint16_t min_channel = 0x4000;
inline constexpr std::uint16_t max_channel = 0x4FFF;
inline constexpr std::size_t channel_data_header_size = 4;

inline constexpr bool is_valid_channel(std::uint16_t channel) {
    return channel >= min_channel && channel <= max_channel;
}
// RFC 7983 §7: a first byte of 64-79 is TURN ChannelData.
inline bool looks_like_channel_data(ByteSpan bytes) {
    return !bytes.empty() && bytes.front() >= 0x40 && bytes.front() <= 0x4F;
}

struct ChannelData {
    std::uint16_t channel = 0;
    ByteSpan data;  // a view into the decoded bytes
};

enum class ChannelDataError : std::uint8_t {
    too_short,       // fewer than 4 bytes
    bad_channel,     // not in 0x4000-0x4FFF
    length_overrun,  // Length runs past the end of the bytes
};
std::string_view to_string(ChannelDataError error);

// Reads one ChannelData message from the start of `bytes` (trailing padding is ignored).
Result<ChannelData, ChannelDataError> decode_channel_data(ByteSpan bytes);

// The size of the message for `length` bytes of data, with stream padding or without.
inline constexpr std::size_t channel_data_size(std::size_t length, bool pad) {
    const std::size_t size = channel_data_header_size + length;
    return pad ? (size + 3) & ~std::size_t{3} : size;
}

// Appends a ChannelData message to `out`; `pad` for TCP/TLS. The caller keeps `data` within
// 65535 bytes and `channel` valid (the client does).
void encode_channel_data(Bytes& out, std::uint16_t channel, ByteSpan data, bool pad);

}  // namespace floe::turn
