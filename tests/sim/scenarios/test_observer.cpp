// The session's PacketObserver on a whole connection: what a trace printer or a capture writer
// sees (every datagram both ways, the SCTP packets in plaintext, the key log), with no file or
// log opened by the session itself.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "session/observer.hpp"
#include "sim/peer_topology.hpp"
#include "support/virtual_wall_clock.hpp"

using namespace floe;
using namespace floe::sim;

namespace {

struct Recorder final : session::PacketObserver {
    struct Datagram {
        session::Direction direction;
        SocketAddress local, remote;
        Bytes data;
    };
    std::vector<Datagram> datagrams;
    std::vector<std::pair<session::Direction, Bytes>> sctp;
    std::vector<std::string> keys;

    void datagram(Instant, session::Direction d, ice::SocketId, const SocketAddress& local,
                  const SocketAddress& remote, ByteSpan data) override {
        datagrams.push_back({d, local, remote, Bytes(data.begin(), data.end())});
    }
    void sctp_packet(Instant, session::Direction d, ByteSpan packet) override {
        sctp.emplace_back(d, Bytes(packet.begin(), packet.end()));
    }
    void key_log(std::string_view line) override { keys.emplace_back(line); }

    std::size_t count(session::Direction d, std::uint8_t lo, std::uint8_t hi) const {
        std::size_t n = 0;
        for (const auto& g : datagrams)
            if (g.direction == d && !g.data.empty() && g.data[0] >= lo && g.data[0] <= hi) ++n;
        return n;
    }
};

struct Sim {
    std::optional<test::VirtualWallClock> wall;
    PeerTopology t;
    Sim(std::uint64_t seed, PeerTopologyConfig config)
        : t(seed, std::move(config), [this](Instant now) {
              if (wall) wall->set(now);
          }) {
        if (std::getenv("FLOE_SIM_REAL_WALL_CLOCK") == nullptr) wall.emplace();
    }
};

}  // namespace

TEST_CASE("the packet observer sees every datagram, the plaintext SCTP packets and the key log") {
    Recorder seen;  // both sessions report to it
    PeerTopologyConfig config;
    config.core.observer = &seen;
    Sim s(7, std::move(config));
    auto& t = s.t;
    t.start();
    const auto channel = t.a.open_channel(t.net.now(), "observed");
    REQUIRE(
        t.run_until([&] { return t.a.channels[channel].opened && !t.b.incoming.empty(); }, 30s));
    t.a.send(t.net.now(), channel, as_bytes(std::string_view("hello, observer")), false);
    REQUIRE(t.run_until([&] { return t.b.channels[t.b.incoming.front()].messages == 1; }, 10s));

    using session::Direction;
    // STUN (RFC 7983: 0-3) and DTLS (20-63) both ways, with the socket's own address as local.
    CHECK(seen.count(Direction::out, 0, 3) > 0);
    CHECK(seen.count(Direction::in, 0, 3) > 0);
    CHECK(seen.count(Direction::out, 20, 63) > 0);
    CHECK(seen.count(Direction::in, 20, 63) > 0);
    for (const auto& g : seen.datagrams) {
        INFO(g.local.to_string() << " " << g.remote.to_string());
        CHECK((g.local == t.socket_a || g.local == t.socket_b));
    }
    // The key log: one CLIENT_RANDOM line per side for TLS 1.2 (NSS key log format).
    REQUIRE(seen.keys.size() >= 2);
    for (const auto& line : seen.keys)
        CHECK(line.starts_with("CLIENT_RANDOM "));
    // The SCTP packets in plaintext (RFC 9260 §3.1: ports 5000 first), and the message in one
    // of them both ways: sent by a, received by b.
    REQUIRE_FALSE(seen.sctp.empty());
    for (const auto& [direction, p] : seen.sctp) {
        REQUIRE(p.size() >= 12);
        CHECK(((p[0] << 8) | p[1]) == 5000);
    }
    const std::string message = "hello, observer";
    int out = 0, in = 0;
    for (const auto& [direction, p] : seen.sctp)
        if (std::string(p.begin(), p.end()).find(message) != std::string::npos)
            ++(direction == Direction::out ? out : in);
    CHECK(out >= 1);
    CHECK(in >= 1);
}
