// Relay candidates (RFC 8445 §5.1.1.2, §5.1.2.2) handed to the agent as virtual sockets: their
// priority, foundation and related address, the relay policy gathering only them, pairing and
// checks on them, and a lost relay failing its pairs. The Shuttle stands in for the TURN server:
// what the agent sends on the relay socket arrives from the relayed address, as through a relay.
#include <doctest/doctest.h>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "agent_test_support.hpp"

using namespace floe;
using namespace floe::ice;
using namespace floe::ice::test;

namespace {

constexpr SocketId relay_socket = 0x40000000;
const std::string url = "turn:192.0.2.100:3478";

SocketAddress addr(std::string_view text) {
    return *SocketAddress::parse(text);
}

// The relay on 198.51.100.1:<port>, mapped as 203.0.113.1:<port>, for `p`.
void add_relay(Shuttle& net, Peer& p, SocketId id, std::uint16_t port) {
    const SocketAddress relayed = addr("198.51.100.1:" + std::to_string(port));
    p.sockets[id] = relayed;
    p.agent.add_relay_socket(net.now, id, relayed, addr("203.0.113.1:" + std::to_string(port)),
                             url);
}

}  // namespace

TEST_CASE("a relay candidate has type preference 0, its own foundation and the mapped address") {
    Peer a(config(true), 1);
    Shuttle net;
    net.peers = {&a};
    net.add_socket(a, 1, "192.0.2.1:5000");
    add_relay(net, a, relay_socket, 50000);
    a.agent.end_of_local_sockets(net.now);
    net.pump();
    REQUIRE(a.gathered.size() == 2);
    const Candidate& host = a.gathered[0];
    const Candidate& relay = a.gathered[1];
    CHECK(relay.type == CandidateType::relay);
    CHECK(relay.address == "198.51.100.1");
    CHECK(relay.port == 50000);
    CHECK(relay.related_address == "203.0.113.1");
    CHECK(relay.related_port == 50000);
    // RFC 8445 §5.1.2.1: 2^24 · 0 + 2^8 · local preference + (256 − 1).
    CHECK(relay.priority < (1u << 24));
    CHECK(relay.priority == compute_priority(CandidateType::relay, 65407, 1));
    CHECK(host.priority > relay.priority);
    CHECK(relay.foundation != host.foundation);
    // Trickled with the relay's virtual socket.
    bool trickled = false;
    for (const auto& e : a.events)
        if (auto* c = std::get_if<event::LocalCandidate>(&e))
            trickled |= c->socket == relay_socket && c->candidate == relay;
    CHECK(trickled);
    CHECK(a.agent.gathering_state() == GatheringState::complete);
}

TEST_CASE("relay policy: only the relay is gathered and paired; two relayed agents connect") {
    AgentConfig ca = config(true), cb = config(false);
    ca.relay_only = cb.relay_only = true;
    Peer a(ca, 1), b(cb, 2);
    Shuttle net;
    net.peers = {&a, &b};
    std::size_t from_host_sockets = 0;
    net.observe = [&](std::size_t, const Transmit& t) {
        if (t.socket < relay_socket) ++from_host_sockets;
    };
    net.add_socket(a, 1, "192.0.2.1:5000");
    net.add_socket(b, 1, "192.0.2.2:6000");
    add_relay(net, a, relay_socket, 50000);
    add_relay(net, b, relay_socket, 50002);
    a.agent.end_of_local_sockets(net.now);
    b.agent.end_of_local_sockets(net.now);
    net.pump();
    REQUIRE(a.gathered.size() == 1);
    CHECK(a.gathered[0].type == CandidateType::relay);
    signal(net, a, b);
    signal(net, b, a);
    REQUIRE(net.run_until([&] { return connected(a) && connected(b); }, 5s));
    for (Peer* p : {&a, &b}) {
        auto pair = p->agent.selected_pair();
        REQUIRE(pair);
        CHECK(pair->socket == relay_socket);
        CHECK(pair->local.type == CandidateType::relay);
        CHECK(pair->remote.type == CandidateType::relay);
        CHECK(pair->relay_url == url);
    }
    CHECK(from_host_sockets == 0);  // nothing left from a host address
    // A check arriving on the host socket is still refused under the relay policy.
    Wire w;  // (for its request builder only)
    const auto check =
        w.request(a.agent.local_credentials().ufrag + ":" + b.agent.local_credentials().ufrag,
                  a.agent.local_credentials().pwd);
    const auto refused = a.agent.stats().refused_policy;
    a.agent.handle_input(net.now, 1, addr("192.0.2.2:6000"), check);
    CHECK(a.agent.stats().refused_policy == refused + 1);
}

TEST_CASE("a relay candidate pairs with remote candidates of its family and is checked") {
    Peer a(config(true), 1);
    Shuttle net;
    net.peers = {&a};
    std::vector<SocketAddress> relayed_checks;
    net.observe = [&](std::size_t, const Transmit& t) {
        if (t.socket == relay_socket) relayed_checks.push_back(t.destination);
    };
    net.add_socket(a, 1, "192.0.2.1:5000");
    a.agent.end_of_local_sockets(net.now);
    a.agent.set_remote_credentials({"peer", "peerpasswordpeerpassword"});
    a.agent.add_remote_candidate(net.now, remote_candidate("192.0.2.9"));
    Candidate v6 = remote_candidate("2001:db8::9", "g");
    a.agent.add_remote_candidate(net.now, v6);
    // The relay comes after the remote candidates: it is paired with them as it arrives.
    add_relay(net, a, relay_socket, 50000);
    net.run_for(2s);
    REQUIRE_FALSE(relayed_checks.empty());
    for (const auto& d : relayed_checks)
        CHECK(d == addr("192.0.2.9:4000"));  // IPv4 only
}

TEST_CASE("a lost relay fails its pairs, and ICE fails when the selected pair was on it") {
    AgentConfig ca = config(true), cb = config(false);
    ca.relay_only = cb.relay_only = true;
    Peer a(ca, 1), b(cb, 2);
    Shuttle net;
    net.peers = {&a, &b};
    add_relay(net, a, relay_socket, 50000);
    add_relay(net, b, relay_socket, 50002);
    a.agent.end_of_local_sockets(net.now);
    b.agent.end_of_local_sockets(net.now);
    signal(net, a, b);
    signal(net, b, a);
    REQUIRE(net.run_until([&] { return connected(a) && connected(b); }, 5s));
    a.agent.relay_failed(net.now, relay_socket);
    net.pump();
    CHECK(a.agent.state() == IceState::failed);
    CHECK_FALSE(a.agent.selected_pair());
    CHECK(a.saw_state(IceState::failed));
    // Data from the peer through the lost relay is no longer accepted.
    CHECK_FALSE(a.agent.accept_data(net.now, relay_socket, addr("198.51.100.1:50002")));
    // A relay that is not the selected pair's: its pairs fail, the state stays.
    Peer c(config(true), 3);
    Shuttle net2;
    net2.peers = {&c};
    net2.add_socket(c, 1, "192.0.2.1:5000");
    add_relay(net2, c, relay_socket, 50000);
    c.agent.end_of_local_sockets(net2.now);
    c.agent.set_remote_credentials({"peer", "peerpasswordpeerpassword"});
    c.agent.add_remote_candidate(net2.now, remote_candidate("192.0.2.9"));
    net2.pump();
    const auto before = c.agent.state();
    std::size_t relayed_after = 0;
    c.agent.relay_failed(net2.now, relay_socket);
    net2.observe = [&](std::size_t, const Transmit& t) {
        if (t.socket == relay_socket) ++relayed_after;
    };
    net2.run_for(3s);
    CHECK(relayed_after == 0);  // no more checks on the lost relay
    CHECK(c.agent.state() == before);
}
