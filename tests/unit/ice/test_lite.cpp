// ICE-lite (RFC 8445 §2.5) against a full agent, in both offer/answer roles, and the relay
// transport policy (W3C RTCIceTransportPolicy "relay") before any relay candidate is added
// (test_relay.cpp has the relay candidates).
#include <doctest/doctest.h>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "agent_test_support.hpp"

using namespace floe;
using namespace floe::ice;
using namespace floe::ice::test;

namespace {

AgentConfig lite_config() {
    AgentConfig c;
    c.lite = true;
    c.controlling = true;  // asked for, and ignored: a lite agent is always controlled
    c.stun_servers = {*SocketAddress::parse("192.0.2.200:3478")};  // never asked
    return c;
}

// `full` on 192.0.2.1:5000, `lite` on 192.0.2.2:6000 (and a STUN server configured it ignores).
struct FullAndLite {
    // full_offers: the full agent offered, so it starts controlling; otherwise it answered the
    // lite agent's offer and starts controlled, and learns from a=ice-lite that it controls.
    explicit FullAndLite(bool full_offers, bool tell_full = true, bool signal_to_lite = true)
        : full(config(full_offers), 1), lite(lite_config(), 2) {
        net.peers = {&full, &lite};
        net.observe = [this](std::size_t from, const Transmit& t) {
            auto m = stun::Message::decode(t.data);
            if (from == 1 && m && m->message_class() == stun::MessageClass::request)
                ++lite_requests;
        };
        net.add_socket(full, 1, "192.0.2.1:5000");
        net.add_socket(lite, 7, "192.0.2.2:6000");
        full.agent.end_of_local_sockets(net.now);
        lite.agent.end_of_local_sockets(net.now);
        net.pump();
        if (tell_full) full.agent.set_remote_lite();
        if (signal_to_lite) signal(net, full, lite);
        signal(net, lite, full);
    }
    bool connect(Duration budget = 5s) {
        return net.run_until([&] { return connected(full) && connected(lite); }, budget);
    }
    Peer full, lite;
    Shuttle net;
    std::size_t lite_requests = 0;  // STUN requests the lite agent sent (must stay 0)
};

void check_connected_pair(FullAndLite& t) {
    auto pf = t.full.agent.selected_pair();
    auto pl = t.lite.agent.selected_pair();
    REQUIRE(pf);
    REQUIRE(pl);
    CHECK(pf->remote_address.to_string() == "192.0.2.2:6000");
    CHECK(pl->remote_address.to_string() == "192.0.2.1:5000");
    CHECK(pl->socket == 7);
    CHECK(t.full.agent.role() == Role::controlling);
    CHECK(t.lite.agent.role() == Role::controlled);
}

}  // namespace

TEST_CASE("a lite agent gathers its host candidate only, even with a STUN server configured") {
    FullAndLite t(true);
    REQUIRE(t.lite.gathered.size() == 1);
    CHECK(t.lite.gathered[0].type == CandidateType::host);
    CHECK(t.lite.agent.gathering_state() == GatheringState::complete);
    CHECK(t.lite.agent.role() == Role::controlled);
    CHECK(t.lite_requests == 0);  // no Binding request to the STUN server either
}

TEST_CASE("full offerer and lite answerer connect; the lite agent sends no check") {
    FullAndLite t(true);
    REQUIRE(t.connect());
    check_connected_pair(t);
    CHECK(t.lite.agent.stats().checks_sent == 0);
    CHECK(t.lite.agent.stats().checks_received >= 2);  // a check and the nominating one
    CHECK(t.lite_requests == 0);
    CHECK(t.lite.count<event::SelectedPairChanged>() == 1);
    CHECK(t.full.agent.stats().role_conflicts == 0);
    // Everything done: the lite side completes although its pairs were never checked.
    t.net.run_for(100ms);
    CHECK(t.lite.agent.state() == IceState::completed);
    CHECK(t.full.agent.state() == IceState::completed);
}

TEST_CASE("lite offerer and full answerer connect: a=ice-lite makes the full answerer control") {
    FullAndLite t(false);
    CHECK(t.full.agent.role() == Role::controlling);  // before any check: set_remote_lite()
    CHECK(t.full.count<event::RoleChanged>() == 1);
    REQUIRE(t.connect());
    check_connected_pair(t);
    CHECK(t.lite_requests == 0);
    CHECK(t.full.agent.stats().role_conflicts == 0);
    CHECK(t.lite.agent.stats().answered_487 == 0);
}

TEST_CASE("a lite offerer nominated before the answer reaches it selects the pair all the same") {
    // The full answerer has the offer and checks at once; the answer (its credentials and
    // candidates) is still on its way to the lite side. Found by the simulator: nominate()
    // read the missing remote credentials.
    FullAndLite t(false, true, false);
    REQUIRE(t.connect());
    check_connected_pair(t);
    CHECK(t.lite.agent.selected_pair()->remote.type == CandidateType::prflx);
    // The answer arrives late: the lite side stays on the nominated pair.
    signal(t.net, t.full, t.lite);
    t.net.run_for(20s);
    CHECK(connected(t.lite));
    CHECK(t.lite.count<event::SelectedPairChanged>() == 1);
    CHECK(t.lite_requests == 0);
}

TEST_CASE("a lite agent never takes the controlling role: a controlled full peer gets 487") {
    // The full agent was not told its peer is lite (a=ice-lite lost): both think they are
    // controlled. The lite agent may not switch (RFC 8445 §6.1.1), so the full one must.
    FullAndLite t(false, false);
    REQUIRE(t.connect());
    check_connected_pair(t);
    CHECK(t.lite.agent.stats().answered_487 >= 1);
    CHECK(t.lite.agent.stats().role_conflicts == 0);
    CHECK(t.full.agent.stats().role_conflicts == 1);
    CHECK(t.lite_requests == 0);
}

TEST_CASE("a lite agent reads the silence of the full peer's consent checks as consent lost") {
    FullAndLite t(true);
    REQUIRE(t.connect());
    // A healthy minute: the full side's consent checks (every 4-6 s) keep the lite side up.
    t.net.run_for(60s);
    CHECK_FALSE(t.lite.saw_state(IceState::disconnected));
    CHECK_FALSE(t.full.saw_state(IceState::disconnected));
    CHECK(t.lite_requests == 0);  // still not a single request of its own
    // Cut the path: the lite side hears nothing more.
    t.net.filter = [](std::size_t, const Transmit&) { return false; };
    const Instant cut = t.net.now;
    REQUIRE(t.net.run_until([&] { return t.lite.agent.state() == IceState::disconnected; }, 30s));
    // The last check came at most 6 s before the cut; disconnected 10 s after it.
    CHECK(t.net.now - cut <= 10s + 1ms);
    CHECK(t.net.now - cut >= 4s);
    REQUIRE(t.net.run_until([&] { return t.lite.agent.state() == IceState::failed; }, 60s));
    CHECK(t.net.now - cut <= 30s + 1ms);
    CHECK(t.net.now - cut >= 24s);
    CHECK_FALSE(t.lite.agent.selected_pair());
}

TEST_CASE("a short outage makes the lite side disconnected, and the next check reconnects it") {
    FullAndLite t(true);
    REQUIRE(t.connect());
    t.net.filter = [](std::size_t, const Transmit&) { return false; };
    REQUIRE(t.net.run_until([&] { return t.lite.agent.state() == IceState::disconnected; }, 30s));
    t.net.filter = nullptr;
    REQUIRE(t.net.run_until([&] { return connected(t.lite) && connected(t.full); }, 5s));
    CHECK(t.lite.agent.selected_pair());
}

TEST_CASE("relay policy: no candidate gathered, no pair formed, no check answered") {
    AgentConfig c = config(true);
    c.relay_only = true;
    c.stun_servers = {*SocketAddress::parse("192.0.2.200:3478")};
    Peer a(std::move(c), 1);
    Shuttle net;
    net.peers = {&a};
    std::size_t sent = 0;
    net.observe = [&](std::size_t, const Transmit&) { ++sent; };
    net.add_socket(a, 1, "192.0.2.1:5000");
    a.agent.end_of_local_sockets(net.now);
    net.pump();
    CHECK(a.gathered.empty());  // no host, no server-reflexive candidate
    CHECK(a.agent.local_candidates().empty());
    CHECK(a.agent.gathering_state() == GatheringState::complete);
    CHECK(a.count<event::GatheringComplete>() == 1);
    // A peer's host candidate is not paired with anything: no check goes out.
    a.agent.set_remote_credentials({"peer", "peerpasswordpeerpassword"});
    Candidate r;
    r.foundation = "f";
    r.priority = 1;
    r.address = "192.0.2.9";
    r.port = 7000;
    a.agent.add_remote_candidate(net.now, r);
    net.run_for(2s);
    CHECK(sent == 0);
    CHECK(a.agent.stats().checks_sent == 0);
    // A check from the peer to the socket is not answered either (it would open a host path).
    Bytes check;
    stun::MessageBuilder b(check, {stun::method::binding, stun::MessageClass::request}, tid(5));
    b.add_username(a.agent.local_credentials().ufrag + ":peer");
    b.add_priority(compute_priority(CandidateType::prflx, 65535, 1));
    b.add_ice_controlled(7);
    b.add_message_integrity(stun::IntegrityKey::short_term(a.agent.local_credentials().pwd));
    b.add_fingerprint();
    REQUIRE(b.finish());
    CHECK(a.agent.handle_input(net.now, 1, *SocketAddress::parse("192.0.2.9:7000"), check));
    net.pump();
    CHECK(sent == 0);
    CHECK(a.agent.stats().refused_policy == 1);
    CHECK_FALSE(a.agent.validated(1, *SocketAddress::parse("192.0.2.9:7000")));
    CHECK_FALSE(a.agent.accept_data(net.now, 1, *SocketAddress::parse("192.0.2.9:7000")));
}
