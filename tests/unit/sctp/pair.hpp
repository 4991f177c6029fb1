// Test helpers around MemoryPair: one virtual clock for all tests, a DATA-chunk sniffer.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <vector>

#include <floe/bytes.hpp>

#include "common/time.hpp"
#include "sctp/association.hpp"
#include "sctp/memory_pair.hpp"
#include "sctp/packet_trace.hpp"

namespace floe::sctp::test {

// usrsctp's timers are process-global, so every test shares one virtual clock that only moves
// forward (see usrsctp_global.cpp).
inline Instant& virtual_now() {
    static Instant now = Instant{} + std::chrono::hours(1000);
    return now;
}

inline Config client_config() {
    return Config{.role = Role::client};
}
inline Config server_config() {
    return Config{.role = Role::server};
}

template <class T>
std::vector<T> events_of(const std::vector<Event>& events) {
    std::vector<T> out;
    for (const Event& e : events)
        if (auto* v = std::get_if<T>(&e)) out.push_back(*v);
    return out;
}

// A DATA chunk seen on the wire.
struct DataChunk {
    std::uint16_t stream;
    std::uint32_t ppid;
    std::size_t payload_size;
};

inline std::vector<DataChunk> data_chunks(ByteSpan packet) {
    std::vector<DataChunk> out;
    for (const ChunkInfo& c : parse_packet(packet).chunks)
        if (c.type == 0) out.push_back({c.stream, c.ppid, c.payload.size()});
    return out;
}

// A MemoryPair on the shared virtual clock that also logs the DATA chunks on the wire.
struct Pair : MemoryPair {
    std::vector<DataChunk> chunks_ab, chunks_ba;
    std::function<bool(bool a_to_b, ByteSpan packet)> drop_if;

    explicit Pair(Config ca = client_config(), Config cb = server_config())
        : MemoryPair(virtual_now(), ca, cb) {
        drop = [this](bool a_to_b, ByteSpan packet) {
            if (drop_if && drop_if(a_to_b, packet)) return true;
            auto chunks = data_chunks(packet);
            auto& log = a_to_b ? chunks_ab : chunks_ba;
            log.insert(log.end(), chunks.begin(), chunks.end());
            return false;
        };
    }
};

// Establishes the pair and opens one channel from a; returns its id once the peer has it.
inline std::uint16_t open_from_a(Pair& p, const ChannelOptions& options = {}) {
    REQUIRE(p.establish());
    auto id = p.a->open_channel("x", "", options);
    REQUIRE(id.ok());
    p.pump();
    return *id;
}

inline std::string text_of(const event::Message& m) {
    return std::string(as_string(m.data));
}

}  // namespace floe::sctp::test
