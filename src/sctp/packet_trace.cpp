#include "sctp/packet_trace.hpp"

#include <sstream>

#include "common/byte_reader.hpp"
#include "sctp/dcep.hpp"

namespace floe::sctp {
namespace {

const char* chunk_name(std::uint8_t type) {
    switch (type) {
        case 0:
            return "DATA";
        case 1:
            return "INIT";
        case 2:
            return "INIT-ACK";
        case 3:
            return "SACK";
        case 4:
            return "HEARTBEAT";
        case 5:
            return "HEARTBEAT-ACK";
        case 6:
            return "ABORT";
        case 7:
            return "SHUTDOWN";
        case 8:
            return "SHUTDOWN-ACK";
        case 9:
            return "ERROR";
        case 10:
            return "COOKIE-ECHO";
        case 11:
            return "COOKIE-ACK";
        case 14:
            return "SHUTDOWN-COMPLETE";
        case 130:
            return "RE-CONFIG";
        case 192:
            return "FORWARD-TSN";
        default:
            return nullptr;
    }
}

}  // namespace

namespace detail {

std::optional<ChunkInfo> next_chunk(ByteReader& r) {
    const auto type = r.u8();
    const auto flags = r.u8();
    const auto length = r.u16();
    if (!type || !flags || !length || *length < 4) return std::nullopt;
    const auto body = r.bytes(*length - 4u);
    if (!body) return std::nullopt;
    ChunkInfo chunk;
    chunk.type = *type;
    chunk.flags = *flags;
    chunk.length = *length;
    if (*type == 0) {
        ByteReader d(*body);
        const auto tsn = d.u32();
        const auto stream = d.u16();
        const bool ssn = d.skip(2);
        const auto ppid = d.u32();
        if (!tsn || !stream || !ssn || !ppid) return std::nullopt;
        chunk.tsn = *tsn;
        chunk.stream = *stream;
        chunk.ppid = *ppid;
        chunk.payload = d.rest();
    } else {
        chunk.payload = *body;
    }
    const std::size_t padding = (4 - *length % 4) % 4;
    r.skip(std::min(padding, r.remaining()));
    return chunk;
}

}  // namespace detail

PacketInfo parse_packet(ByteSpan packet) {
    PacketInfo info;
    ByteReader r(packet);
    const auto src = r.u16();
    const auto dst = r.u16();
    const auto tag = r.u32();
    if (!src || !dst || !tag || !r.skip(4)) return info;  // (the checksum)
    info.source_port = *src;
    info.destination_port = *dst;
    info.verification_tag = *tag;
    info.complete = for_each_chunk(packet, [&](const ChunkInfo& c) {
        info.chunks.push_back(c);
        return true;
    });
    return info;
}

ChunkTypes::ChunkTypes(ByteSpan packet) {
    for_each_chunk(packet, [&](const ChunkInfo& c) {
        seen_.set(c.type);
        if (c.type == kDataChunk) last_data_tsn_ = c.tsn;
        if (c.type == kSackChunk) {
            ByteReader fields(c.payload);
            if (const auto cumulative = fields.u32()) sack_cumulative_tsn_ = *cumulative;
        }
        return true;
    });
}

std::string describe_packet(ByteSpan packet) {
    const PacketInfo info = parse_packet(packet);
    std::ostringstream out;
    out << "SCTP " << info.source_port << " > " << info.destination_port << " tag "
        << info.verification_tag;
    for (const ChunkInfo& c : info.chunks) {
        out << " | ";
        if (const char* name = chunk_name(c.type))
            out << name;
        else
            out << "chunk " << unsigned{c.type};
        if (c.type != 0) continue;
        out << " tsn " << c.tsn << " stream " << c.stream << " ppid " << c.ppid << " "
            << c.payload.size() << " B";
        if (c.ppid != static_cast<std::uint32_t>(Ppid::dcep) || (c.flags & 0x03) != 0x03) continue;
        auto dcep = parse_dcep(c.payload);  // only whole (unfragmented) messages
        if (!dcep) {
            out << " DCEP(" << to_string(dcep.error()) << ")";
        } else if (auto* open = std::get_if<DataChannelOpen>(&*dcep)) {
            out << " DATA_CHANNEL_OPEN label \"" << open->label << "\" protocol \""
                << open->protocol << "\"" << (open->reliability.ordered ? "" : " unordered");
            if (open->reliability.max_retransmits)
                out << " max_retransmits " << *open->reliability.max_retransmits;
            if (open->reliability.max_packet_life_time)
                out << " max_packet_life_time " << *open->reliability.max_packet_life_time;
        } else {
            out << " DATA_CHANNEL_ACK";
        }
    }
    if (!info.complete) out << " | (malformed)";
    return out.str();
}

}  // namespace floe::sctp
