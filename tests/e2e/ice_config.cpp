// Configuration::ice_servers (RTCIceServer entries), ice_transport_policy and ice_lite on real
// PeerConnections over loopback.
#include <doctest/doctest.h>

#include <string>

#include <floe/error.hpp>

#include "e2e_support.hpp"

using namespace floe;
using namespace floe::test;

namespace {

// Connects a and b (a offers), opens a channel and sends one message each way.
void connect_and_talk(PeerConnection& a, PeerConnection& b, bool trickle) {
    auto dc = a.create_data_channel("lite");
    Inbox at_a, at_b;
    at_a.attach(dc);
    std::shared_ptr<DataChannel> remote;
    std::mutex m;
    b.on_data_channel([&](std::shared_ptr<DataChannel> ch) {
        at_b.attach(ch);
        std::lock_guard lock(m);
        remote = ch;
    });
    if (trickle)
        signal_trickle(a, b);
    else
        signal_complete(a, b);
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    REQUIRE(eventually([&] {
        std::lock_guard lock(m);
        return remote != nullptr;
    }));
    dc->send("from the offerer");
    REQUIRE(eventually([&] { return at_b.size() == 1; }));
    CHECK(at_b.at(0).text() == "from the offerer");
    remote->send(Bytes(5000, 7));
    REQUIRE(eventually([&] { return at_a.size() == 1; }));
    CHECK(at_a.at(0).data == Bytes(5000, 7));
    CHECK(a.connection_state() == PeerConnectionState::connected);
    CHECK(b.connection_state() == PeerConnectionState::connected);
}

Configuration lite_config() {
    Configuration c = loopback_config();
    c.ice_lite = true;
    return c;
}

}  // namespace

TEST_CASE("ICE server entries are checked at construction, each error naming its entry") {
    Configuration c = loopback_config();
    c.ice_servers = {"stun:127.0.0.1:3478", IceServer{std::vector<std::string>{"turn:127.0.0.1"}}};
    auto e = construction_error(c);
    CHECK(contains(e, "ICE server 2 (turn:127.0.0.1)"));
    CHECK(contains(e, "needs a username and a credential"));

    c.ice_servers = {IceServer{{"turn:127.0.0.1"}, "user", ""}};
    CHECK(contains(construction_error(c), "credential is empty"));

    c.ice_servers = {"turn:user:pass@127.0.0.1"};
    e = construction_error(c);
    CHECK(contains(e, "ICE server 1 (turn:user:pass@127.0.0.1)"));
    CHECK(contains(e, "credentials go in username/credential, not the URL"));
    CHECK_FALSE(contains(e, "IPv6"));

    c.ice_servers = {"stun:127.0.0.1", "http://example.org"};
    CHECK(contains(construction_error(c), "ICE server 2 (http://example.org): unknown scheme"));

    c.ice_servers = {"stuns:127.0.0.1"};
    CHECK(contains(construction_error(c), "stuns: (STUN over TLS) is not supported"));

    c.ice_servers = {IceServer{}};
    CHECK(contains(construction_error(c), "ICE server 1: no URL"));

    c.ice_servers = {"turns:127.0.0.1?transport=udp"};
    CHECK(contains(construction_error(c), "transport can only be tcp"));
}

TEST_CASE(
    "TURN servers that never answer: host gathering goes on, gathering completes without a relay") {
    Configuration c = loopback_config();
    // Port 9 (discard) on loopback: nothing answers there. turns: over IPv6 has no stream here.
    c.ice_servers = {
        IceServer{{"turn:127.0.0.1:9?transport=udp", "turns:[::1]:9"}, "user", "secret"}};
    PeerConnection pc(c);
    pc.create_data_channel("x");
    pc.set_local_description(pc.create_offer());
    // The allocation gives up after about 6 s (docs/turn.md), not after STUN's 39.5 s.
    REQUIRE(eventually([&] { return pc.ice_gathering_state() == IceGatheringState::complete; },
                       std::chrono::seconds(15)));
    const auto sdp = pc.local_description()->sdp;
    CHECK(contains(sdp, " typ host"));
    CHECK_FALSE(contains(sdp, " typ relay"));
}

TEST_CASE("the relay policy reveals no address when its TURN server never answers") {
    Configuration c = loopback_config();
    c.ice_transport_policy = IceTransportPolicy::relay;
    c.ice_servers = {IceServer{{"turn:127.0.0.1:9"}, "user", "secret"}};
    PeerConnection pc(c);
    std::atomic<int> candidates{0};
    pc.on_ice_candidate([&](std::optional<IceCandidate> cand) {
        if (cand) ++candidates;
    });
    pc.create_data_channel("x");
    pc.set_local_description(pc.create_offer());
    REQUIRE(eventually([&] { return pc.ice_gathering_state() == IceGatheringState::complete; },
                       std::chrono::seconds(15)));
    CHECK(candidates.load() == 0);
    CHECK_FALSE(contains(pc.local_description()->sdp, "a=candidate"));
}

TEST_CASE("a lite floe answers a full floe's offer: they connect and exchange data") {
    PeerConnection full(loopback_config());
    PeerConnection lite(lite_config());
    SUBCASE("complete descriptions") {
        connect_and_talk(full, lite, false);
    }
    SUBCASE("trickle") {
        connect_and_talk(full, lite, true);
    }
    const auto sdp = lite.local_description()->sdp;
    CHECK(count_of(sdp, "a=ice-lite\r\n") == 1);
    // Session level: before the first m= line (RFC 8839 §5.3).
    CHECK(sdp.find("a=ice-lite") < sdp.find("m=application"));
    CHECK_FALSE(contains(full.local_description()->sdp, "a=ice-lite"));
}

TEST_CASE("a lite floe offers to a full floe: a=ice-lite makes the answerer control") {
    PeerConnection lite(lite_config());
    PeerConnection full(loopback_config());
    SUBCASE("complete descriptions") {
        connect_and_talk(lite, full, false);
    }
    SUBCASE("trickle") {
        connect_and_talk(lite, full, true);
    }
    CHECK(contains(lite.local_description()->sdp, "a=ice-lite"));
}

TEST_CASE("two lite peers are refused at set_remote_description, and the state is kept") {
    PeerConnection a(lite_config());
    PeerConnection b(lite_config());
    a.create_data_channel("x");
    a.set_local_description(a.create_offer());
    REQUIRE(eventually([&] { return a.ice_gathering_state() == IceGatheringState::complete; }));
    try {
        b.set_remote_description(*a.local_description());
        FAIL("two lite agents were accepted");
    } catch (const OperationError& e) {
        CHECK(contains(e.what(), "both sides are ICE-lite"));
    }
    CHECK(b.signaling_state() == SignalingState::stable);
    CHECK_FALSE(b.remote_description());
    // b is still usable: with a full configuration elsewhere, nothing broke; a full peer
    // accepts the same offer.
    PeerConnection full(loopback_config());
    CHECK_NOTHROW(full.set_remote_description(*a.local_description()));
}
