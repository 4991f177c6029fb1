// Reading SCTP packets for people: the chunks of a packet (RFC 9260 §3) with their main fields,
// and a one-line description (DATA chunks on PPID 50 decoded as DCEP) for `--trace` logs.
// Bounds-checked; a malformed packet yields the chunks before the damage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <floe/bytes.hpp>

namespace floe::sctp {

struct ChunkInfo {
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::uint16_t length = 0;
    // DATA (type 0) only:
    std::uint32_t tsn = 0;
    std::uint16_t stream = 0;
    std::uint32_t ppid = 0;
    ByteSpan payload;  // a view into the packet
};

struct PacketInfo {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint32_t verification_tag = 0;
    std::vector<ChunkInfo> chunks;
    bool complete = false;  // every byte accounted for
};

inline constexpr std::uint8_t kAbortChunk = 6;

PacketInfo parse_packet(ByteSpan packet);
// Whether the packet holds a chunk of this type; allocation-free, for the receive path.
bool has_chunk(ByteSpan packet, std::uint8_t type);
std::string describe_packet(ByteSpan packet);

}  // namespace floe::sctp
