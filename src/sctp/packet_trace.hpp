// Reading SCTP packets for people: the chunks of a packet (RFC 9260 §3) with their main fields,
// and a one-line description (DATA chunks on PPID 50 decoded as DCEP) for `--trace` logs.
// Bounds-checked; a malformed packet yields the chunks before the damage.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <floe/bytes.hpp>

#include "common/byte_reader.hpp"

namespace floe::sctp {

struct ChunkInfo {
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::uint16_t length = 0;
    // DATA (type 0) only:
    std::uint32_t tsn = 0;
    std::uint16_t stream = 0;
    std::uint32_t ppid = 0;
    // A view into the packet: a DATA chunk's user data; any other chunk's value (what follows
    // the chunk header, e.g. a SACK's Cumulative TSN Ack first, RFC 9260 §3.3.4).
    ByteSpan payload;
};

struct PacketInfo {
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint32_t verification_tag = 0;
    std::vector<ChunkInfo> chunks;
    bool complete = false;  // every byte accounted for
};

inline constexpr std::uint8_t kDataChunk = 0;
inline constexpr std::uint8_t kSackChunk = 3;
inline constexpr std::uint8_t kAbortChunk = 6;

// Calls visit(const ChunkInfo&) for each chunk of the packet in order, without allocating; stops
// early when visit returns false. Returns whether every byte of the packet was accounted for.
template <class Visit>
bool for_each_chunk(ByteSpan packet, Visit&& visit);

PacketInfo parse_packet(ByteSpan packet);
// The chunk types a packet holds, read from the chunk headers, and the two sequence numbers the
// tick rules need: allocation-free, for the paths every packet takes. Stops at a damaged chunk.
class ChunkTypes {
  public:
    explicit ChunkTypes(ByteSpan packet);
    bool has(std::uint8_t type) const { return seen_.test(type); }
    // The TSN of the packet's last DATA chunk (a sender puts them in TSN order, RFC 9260 §6.10).
    std::optional<std::uint32_t> last_data_tsn() const { return last_data_tsn_; }
    // A SACK's Cumulative TSN Ack (§3.3.4).
    std::optional<std::uint32_t> sack_cumulative_tsn() const { return sack_cumulative_tsn_; }

  private:
    std::bitset<256> seen_;
    std::optional<std::uint32_t> last_data_tsn_;
    std::optional<std::uint32_t> sack_cumulative_tsn_;
};
// Whether the packet holds a chunk of this type.
inline bool has_chunk(ByteSpan packet, std::uint8_t type) {
    return ChunkTypes(packet).has(type);
}
std::string describe_packet(ByteSpan packet);

namespace detail {
// Reads the chunk at the reader's position (RFC 9260 §3.2; DATA fields of §3.3.1); nullopt when
// the packet is damaged there. Skips the chunk's padding.
std::optional<ChunkInfo> next_chunk(ByteReader& r);
}  // namespace detail

template <class Visit>
bool for_each_chunk(ByteSpan packet, Visit&& visit) {
    ByteReader r(packet);
    if (!r.skip(12)) return false;  // the common header
    while (!r.empty()) {
        const auto chunk = detail::next_chunk(r);
        if (!chunk) return false;
        if (!visit(*chunk)) return true;
    }
    return true;
}

}  // namespace floe::sctp
