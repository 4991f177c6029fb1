// What the full-stack scenarios share (test_full_stack.cpp, test_ice_restart.cpp): a topology
// on the virtual wall clock, a checked bulk transfer over one channel, and the usual start.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "sim/peer_topology.hpp"
#include "support/virtual_wall_clock.hpp"

namespace floe::sim {

// A topology whose cores read the virtual clock through gettimeofday() as well (OpenSSL's DTLS
// timer, usrsctp's RTT and retransmission ages): see docs/simulator.md.
struct Sim {
    std::optional<test::VirtualWallClock> wall;  // declared first: alive while the cores run
    PeerTopology t;
    Sim(std::uint64_t seed, PeerTopologyConfig config)
        : t(seed, std::move(config), [this](Instant now) {
              if (wall) wall->set(now);
          }) {
        // FLOE_SIM_REAL_WALL_CLOCK=1 leaves gettimeofday() alone, to show what the virtual wall
        // clock is for: retransmissions of DTLS and SCTP then stall (docs/simulator.md).
        if (std::getenv("FLOE_SIM_REAL_WALL_CLOCK") == nullptr) wall.emplace();
    }
};

// Message `index` of a transfer: its index, then bytes that follow from it, so that the receiver
// checks content, order and count without keeping anything.
inline Bytes make_message(std::uint64_t index, std::size_t size) {
    Bytes out(size);
    for (std::size_t k = 0; k < size; ++k)
        out[k] = static_cast<std::uint8_t>(k < 8 ? index >> (8 * k)
                                                 : index * 0x9E3779B1u + k * 13 + (k >> 9));
    return out;
}

// `total` bytes from one side's channel to the other's, in messages of `message_size`, the
// sender keeping at most `high_water` buffered (as an application pacing on bufferedAmount).
struct Transfer {
    Transfer(PeerNode& sender, PeerNode& receiver, session::ChannelHandle on, std::uint64_t bytes)
        : from(sender), to(receiver), channel(on), total(bytes) {}
    PeerNode& from;
    PeerNode& to;
    session::ChannelHandle channel;
    std::uint64_t total;
    std::size_t message_size = 16384;
    std::size_t high_water = 1 << 20;

    std::uint64_t sent = 0, received = 0, next_send = 0, next_receive = 0;
    std::uint64_t bad = 0;  // out of order, duplicated, wrong size or content
    bool filling = false;

    std::size_t size_of(std::uint64_t index) const {
        return static_cast<std::size_t>(
            std::min<std::uint64_t>(message_size, total - index * message_size));
    }
    void attach() {
        from.on_idle = [this](Instant now) { fill(now); };
        to.on_message = [this](Instant, session::ChannelHandle, Message& m) { check(m); };
    }
    void fill(Instant now) {
        if (filling) return;  // send() drains the core, which calls back here
        filling = true;
        for (;;) {
            const auto info = from.core().channel(channel);
            if (from.closed_by_app() || info == nullptr ||
                info->state.load() != DataChannelState::open)
                break;
            if (sent >= total || info->buffered_amount.load() >= high_water) break;
            const auto index = next_send++;
            const auto size = size_of(index);
            sent += size;
            from.send(now, channel, make_message(index, size));
        }
        filling = false;
    }
    void check(const Message& m) {
        const bool ok = next_receive * message_size < total &&
                        m.data == make_message(next_receive, size_of(next_receive));
        if (!ok) {
            ++bad;
            return;
        }
        ++next_receive;
        received += m.size();
    }
    bool done() const { return received == total; }
};

// Both sides connected and the channel a opened is open on both.
inline session::ChannelHandle connect_and_open(PeerTopology& t, Duration limit = 30s) {
    t.start();
    const auto channel = t.a.open_channel(t.net.now(), "data");
    t.net.flush();
    REQUIRE(t.run_until(
        [&] {
            return t.a.channels[channel].opened && !t.b.incoming.empty() &&
                   t.b.channels[t.b.incoming.front()].opened;
        },
        limit));
    CHECK(t.a.state() == PeerConnectionState::connected);
    CHECK(t.b.state() == PeerConnectionState::connected);
    return channel;
}

inline std::string text(const Message& m) {
    return std::string(m.text());
}

}  // namespace floe::sim
