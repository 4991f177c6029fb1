// The peer's a=max-message-size as the session enforces it (RFC 8831 §6.6): the one check of a
// send, made before anything is queued (SCTP has no limit of its own in a session).
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>

#include <floe/error.hpp>

#include "sim/peer_topology.hpp"
#include "support/virtual_wall_clock.hpp"

using namespace floe;
using namespace floe::sim;

TEST_CASE("a message over the peer's max-message-size is refused by the session, state intact") {
    std::optional<test::VirtualWallClock> wall;
    if (std::getenv("FLOE_SIM_REAL_WALL_CLOCK") == nullptr) wall.emplace();
    PeerTopologyConfig config;
    config.core.max_message_size = 1000;  // both sides advertise 1000
    PeerTopology t(11, std::move(config), [&](Instant now) {
        if (wall) wall->set(now);
    });
    t.start();
    const auto channel = t.a.open_channel(t.net.now(), "limited");
    REQUIRE(
        t.run_until([&] { return t.a.channels[channel].opened && !t.b.incoming.empty(); }, 30s));
    CHECK(t.a.core().remote_max_message_size() == 1000);

    const Bytes too_large(1001, 1);
    CHECK_THROWS_AS(t.a.send(t.net.now(), channel, too_large), InvalidArgumentError);
    const auto record = t.a.core().channel(channel);
    REQUIRE(record);
    CHECK(record->state.load() == DataChannelState::open);
    CHECK(record->messages_sent == 0);
    CHECK(record->buffered_amount.load() == 0);

    t.a.send(t.net.now(), channel, Bytes(1000, 2));
    REQUIRE(t.run_until([&] { return t.b.channels[t.b.incoming.front()].messages == 1; }, 10s));
    CHECK(t.b.channels[t.b.incoming.front()].bytes == 1000);
    CHECK(t.b.core().stats(t.net.now(), 0).floe.messages_received == 1);
}
