// Two associations wired to each other in memory: packets from one's poll_transmit go into the
// other's handle_input; timers run on a virtual clock. No DTLS, no sockets, no sleeping.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <floe/bytes.hpp>

#include "common/byte_reader.hpp"
#include "common/time.hpp"
#include "sctp/association.hpp"

namespace floe::sctp::test {

// usrsctp's timers are process-global, so every test shares one virtual clock that only moves
// forward (see association.cpp).
inline Instant& virtual_now() {
    static Instant now = Instant{} + std::chrono::hours(1000);
    return now;
}

inline Config client_config() { return Config{.role = Role::client}; }
inline Config server_config() { return Config{.role = Role::server}; }

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

// The DATA chunks of one SCTP packet (RFC 9260 §3.3.1), read with bounds checks.
inline std::vector<DataChunk> data_chunks(ByteSpan packet) {
    std::vector<DataChunk> out;
    ByteReader r(packet);
    if (!r.skip(12)) return out;
    while (!r.empty()) {
        auto type = r.u8();
        auto flags = r.u8();
        auto length = r.u16();
        if (!type || !flags || !length || *length < 4) break;
        auto body = r.bytes(*length - 4u);
        if (!body) break;
        r.skip((4 - *length % 4) % 4);
        if (*type != 0) continue;
        ByteReader d(*body);
        d.skip(4);  // TSN
        auto stream = d.u16();
        d.skip(2);  // SSN
        auto ppid = d.u32();
        if (stream && ppid) out.push_back({*stream, *ppid, d.remaining()});
    }
    return out;
}

struct Pair {
    std::unique_ptr<Association> a;
    std::unique_ptr<Association> b;
    std::vector<Event> ea, eb;  // every event each side produced, in order
    std::vector<DataChunk> chunks_ab, chunks_ba;
    std::size_t largest_packet = 0;
    // Return true to drop a packet (a_to_b says which way it goes).
    std::function<bool(bool a_to_b, ByteSpan packet)> drop;

    explicit Pair(Config ca = client_config(), Config cb = server_config())
        : a(std::make_unique<Association>(ca)), b(std::make_unique<Association>(cb)) {}

    // Moves packets until both sides are quiet; collects events.
    void pump() {
        for (bool moved = true; moved;) {
            moved = false;
            moved |= carry(a.get(), b.get(), true);
            moved |= carry(b.get(), a.get(), false);
        }
        drain(a.get(), ea);
        drain(b.get(), eb);
    }

    // Advances the virtual clock in timer ticks, firing both sides' timers.
    void run_for(Duration d) {
        const Instant end = virtual_now() + d;
        while (virtual_now() < end) {
            virtual_now() += 10ms;
            if (a) a->handle_timeout(virtual_now());
            if (b) b->handle_timeout(virtual_now());
            pump();
        }
    }

    bool run_until(const std::function<bool()>& done, Duration limit = 10s) {
        pump();
        const Instant end = virtual_now() + limit;
        while (!done()) {
            if (virtual_now() >= end) return false;
            run_for(10ms);
        }
        return true;
    }

    bool establish() {
        return run_until([&] { return a->established() && b->established(); });
    }

private:
    bool carry(Association* from, Association* to, bool a_to_b) {
        if (!from) return false;
        bool moved = false;
        while (auto p = from->poll_transmit()) {
            moved = true;
            largest_packet = std::max(largest_packet, p->size());
            if (drop && drop(a_to_b, *p)) continue;
            auto chunks = data_chunks(*p);
            auto& log = a_to_b ? chunks_ab : chunks_ba;
            log.insert(log.end(), chunks.begin(), chunks.end());
            if (to) to->handle_input(virtual_now(), *p);
        }
        return moved;
    }
    static void drain(Association* s, std::vector<Event>& into) {
        if (!s) return;
        while (auto e = s->poll_event()) into.push_back(std::move(*e));
    }
};

inline std::string text_of(const event::Message& m) { return std::string(as_string(m.data)); }

}  // namespace floe::sctp::test
