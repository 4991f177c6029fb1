#include <doctest/doctest.h>

#include <algorithm>
#include <optional>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "agent_test_support.hpp"

using namespace floe;
using namespace floe::ice;
using namespace floe::ice::test;

namespace {

std::uint32_t type_of(std::uint32_t priority) {
    return priority >> 24;
}

// A STUN server's success response to the Binding request `t`, reporting `mapped`.
Bytes binding_answer(const Transmit& t, std::string_view mapped) {
    auto req = stun::Message::decode(t.data);
    REQUIRE(req);
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::success_response},
                           req->transaction_id());
    b.add_xor_mapped_address(*SocketAddress::parse(mapped));
    b.add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

// One agent configured with a STUN server, with `sockets` added and end-of-sockets signalled.
struct Gatherer {
    explicit Gatherer(std::vector<std::string_view> sockets, AgentConfig c = config(true))
        : a(with_server(std::move(c)), 1) {
        net.peers = {&a};
        SocketId id = 1;
        for (auto address : sockets)
            net.add_socket(a, id++, address);
        a.agent.end_of_local_sockets(net.now);
    }
    static AgentConfig with_server(AgentConfig c) {
        c.stun_servers = {server};
        return c;
    }
    static inline const SocketAddress server = *SocketAddress::parse("203.0.113.1:3478");
    Peer a;
    Shuttle net;
};

// One agent on 192.0.2.1:5000 that knows its peer's credentials; nothing answers it.
struct Lone {
    explicit Lone(AgentConfig c = config(true)) : a(std::move(c), 1) {
        net.peers = {&a};
        net.add_socket(a, 1, "192.0.2.1:5000");
        a.agent.set_remote_credentials({"rfrag", "remotepasswordremotepass"});
    }
    void add(Candidate c) { a.agent.add_remote_candidate(net.now, std::move(c)); }
    bool run_until_failed(Duration budget) {
        return net.run_until([&] { return a.agent.state() == IceState::failed; }, budget);
    }
    Peer a;
    Shuttle net;
};

}  // namespace

TEST_CASE("two agents connect host-to-host over IPv4") {
    TwoPeers t;
    t.gather("192.0.2.1:5000", "192.0.2.2:6000");
    CHECK(t.a.agent.gathering_state() == GatheringState::complete);
    REQUIRE(t.a.gathered.size() == 1);
    CHECK(t.a.gathered[0].type == CandidateType::host);
    CHECK(t.a.gathered[0].address == "192.0.2.1");
    CHECK(t.a.count<event::GatheringComplete>() == 1);
    t.exchange();
    const Instant start = t.net.now;
    REQUIRE(t.connect());
    CHECK(t.net.now - start <= 10ms);  // a few one-way trips of 1 ms; no artificial waits
    auto pa = t.a.agent.selected_pair();
    auto pb = t.b.agent.selected_pair();
    REQUIRE(pa);
    REQUIRE(pb);
    CHECK(pa->socket == 1);
    CHECK(pa->remote_address.to_string() == "192.0.2.2:6000");
    CHECK(pb->socket == 7);
    CHECK(pb->remote_address.to_string() == "192.0.2.1:5000");
    CHECK(t.a.count<event::SelectedPairChanged>() == 1);
    CHECK(t.b.count<event::SelectedPairChanged>() == 1);
    CHECK(t.a.saw_state(IceState::checking));
    CHECK(t.a.agent.role() == Role::controlling);
    CHECK(t.b.agent.role() == Role::controlled);
    // Everything is done on both sides: completed.
    t.net.run_for(100ms);
    CHECK(t.a.agent.state() == IceState::completed);
    CHECK(t.b.agent.state() == IceState::completed);
}

TEST_CASE("the round-trip time of checks is measured, and kept current by consent checks") {
    TwoPeers t;
    t.gather("192.0.2.1:5000", "192.0.2.2:6000");
    t.exchange();
    CHECK_FALSE(t.a.agent.round_trip_time().has_value());  // nothing answered yet
    REQUIRE(t.connect());
    REQUIRE(t.a.agent.round_trip_time().has_value());
    CHECK(*t.a.agent.round_trip_time() == 2 * t.net.one_way);
    // The path slows down: the next consent check (every 5 s +-20 %) measures the new time.
    t.net.one_way = 40ms;
    t.net.run_for(8s);
    REQUIRE(t.a.agent.round_trip_time().has_value());
    CHECK(*t.a.agent.round_trip_time() == 80ms);
}

TEST_CASE("two agents connect host-to-host over IPv6") {
    TwoPeers t;
    t.gather("[2001:db8::1]:5000", "[2001:db8::2]:6000");
    t.exchange();
    REQUIRE(t.connect());
    REQUIRE(t.a.agent.selected_pair());
    CHECK(t.a.agent.selected_pair()->remote_address.to_string() == "[2001:db8::2]:6000");
    CHECK(t.b.agent.selected_pair()->remote_address.to_string() == "[2001:db8::1]:5000");
}

TEST_CASE("dual-stack agents prefer the IPv6 pair") {
    TwoPeers t;
    t.net.add_socket(t.a, 1, "192.0.2.1:5000");
    t.net.add_socket(t.a, 2, "[2001:db8::1]:5000");
    t.net.add_socket(t.b, 7, "192.0.2.2:6000");
    t.net.add_socket(t.b, 8, "[2001:db8::2]:6000");
    t.a.agent.end_of_local_sockets(t.net.now);
    t.b.agent.end_of_local_sockets(t.net.now);
    t.exchange();
    REQUIRE(t.connect());
    t.net.run_for(300ms);
    REQUIRE(t.a.agent.selected_pair());
    CHECK(t.a.agent.selected_pair()->socket == 2);
    CHECK(t.b.agent.selected_pair()->socket == 8);
}

TEST_CASE("once a pair is selected the other pairs are no longer checked") {
    TwoPeers t;
    t.gather("192.0.2.1:5000", "192.0.2.2:6000");
    // A candidate of b's that leads nowhere, of low priority: checked after the good one.
    t.a.agent.add_remote_candidate(t.net.now, remote_candidate("192.0.2.99"));
    t.exchange();
    REQUIRE(t.connect());
    std::size_t to_nowhere = 0;
    t.net.observe = [&](std::size_t, const Transmit& tx) {
        to_nowhere += tx.destination.to_string() == "192.0.2.99:4000";
    };
    t.net.run_for(10s);
    CHECK(to_nowhere == 0);
    CHECK(t.a.agent.state() == IceState::completed);
}

TEST_CASE("a nomination whose answers are all lost is retried, not failed") {
    TwoPeers t;
    t.gather("192.0.2.1:5000", "192.0.2.2:6000");
    t.exchange();
    std::optional<stun::TransactionId> first_nomination;
    t.net.filter = [&](std::size_t from, const Transmit& tx) {
        auto m = stun::Message::decode(tx.data);
        if (!m) return true;
        if (from == 0 && m->use_candidate() && !first_nomination)
            first_nomination = m->transaction_id();
        // b's answers to every transmission of a's first USE-CANDIDATE check are lost.
        return !(from == 1 && m->message_class() == stun::MessageClass::success_response &&
                 m->transaction_id() == first_nomination);
    };
    const Instant start = t.net.now;
    REQUIRE(t.net.run_until([&] { return connected(t.b); }, 1s));  // b got USE-CANDIDATE
    REQUIRE(t.net.run_until([&] { return connected(t.a); }, 60s));
    CHECK(t.net.now - start >= 39500ms);  // after the first nomination's full transaction
    CHECK_FALSE(t.a.saw_state(IceState::failed));
    CHECK(t.a.agent.selected_pair()->remote_address == t.b.sockets.at(7));
}

TEST_CASE("a controlled agent keeps checking its valid pair until the controlling one catches up") {
    AgentConfig fast = config(true);
    fast.stun.rto = 100ms;  // a's checks give up after 7.9 s
    TwoPeers t(fast);
    t.gather("192.0.2.1:5000", "192.0.2.2:6000");
    t.exchange();
    const Instant start = t.net.now;
    // For 20 s every request a sends is lost, while b's checks and a's answers get through: b's
    // pair works and b waits for a nomination. b's repeated checks keep triggering new checks
    // at a, so a's pair never runs out of attempts.
    t.net.filter = [&](std::size_t from, const Transmit& tx) {
        auto m = stun::Message::decode(tx.data);
        const bool request = m && m->message_class() == stun::MessageClass::request;
        return !(from == 0 && request && t.net.now - start < 20s);
    };
    REQUIRE(t.net.run_until([&] { return connected(t.a) && connected(t.b); }, 40s));
    CHECK(t.net.now - start >= 20s);
    CHECK_FALSE(t.a.saw_state(IceState::failed));
    CHECK_FALSE(t.b.saw_state(IceState::failed));
}

TEST_CASE("a path with an 800 ms round trip still connects") {
    TwoPeers t;
    t.net.one_way = 400ms;
    t.gather("192.0.2.1:5000", "192.0.2.2:6000");
    t.exchange();
    REQUIRE(t.connect(10s));
    CHECK(t.a.agent.stats().checks_sent >= 2);  // retransmitted while the answer was underway
}

TEST_CASE("role conflict between two controlling agents is resolved by the tie-breaker") {
    TwoPeers t(config(true), config(true));
    REQUIRE(t.connect_v4());
    CHECK(t.a.agent.role() != t.b.agent.role());
    CHECK(t.a.agent.stats().role_conflicts + t.b.agent.stats().role_conflicts == 1);
    CHECK(t.a.count<event::RoleChanged>() + t.b.count<event::RoleChanged>() == 1);
    CHECK(t.a.agent.selected_pair());
    CHECK(t.b.agent.selected_pair());
}

TEST_CASE("role conflict between two controlled agents is resolved by the tie-breaker") {
    TwoPeers t(config(false), config(false));
    REQUIRE(t.connect_v4());
    CHECK(t.a.agent.role() != t.b.agent.role());
    CHECK(t.a.agent.stats().role_conflicts + t.b.agent.stats().role_conflicts >= 1);
}

TEST_CASE("remote mDNS candidate connects through peer-reflexive discovery") {
    TwoPeers t;
    t.gather("192.0.2.1:5000", "192.0.2.2:6000");
    // b hides its address behind an mDNS name, as browsers do.
    Candidate hidden = t.b.gathered.at(0);
    hidden.address = "2f1c7b0e-8c5d-4f55-9a7b-0f0d8a1b2c3d.local";
    t.a.agent.set_remote_credentials(t.b.agent.local_credentials());
    t.a.agent.add_remote_candidate(t.net.now, hidden);
    t.a.agent.end_of_remote_candidates(t.net.now);
    signal(t.net, t.a, t.b);
    REQUIRE(t.connect());
    auto pa = t.a.agent.selected_pair();
    REQUIRE(pa);
    CHECK(pa->remote.type == CandidateType::prflx);
    CHECK(pa->remote_address.to_string() == "192.0.2.2:6000");
}

TEST_CASE("checks are paced by Ta but the first goes out at once") {
    AgentConfig c = config(true);
    c.ta = 50ms;
    Lone t(c);
    std::vector<Instant> sent;
    t.net.observe = [&](std::size_t, const Transmit&) { sent.push_back(t.net.now); };
    for (int i = 1; i <= 3; ++i) {
        // Appended, not `"literal" + std::to_string()`: GCC 12 -O3 misreports that (-Wrestrict).
        std::string address = "198.51.100.", foundation = "f";
        address += std::to_string(i);
        foundation += std::to_string(i);
        t.add(
            remote_candidate(address, foundation, compute_priority(CandidateType::host, 65535, 1)));
    }
    const Instant start = t.net.now;
    t.net.pump();
    REQUIRE(sent.size() == 1);  // the first check went out with the call, not on a timer
    t.net.run_for(120ms);
    REQUIRE(sent.size() >= 3);
    CHECK(sent[1] - start == 50ms);
    CHECK(sent[2] - start == 100ms);
}

TEST_CASE("unanswered checks follow the full STUN retransmission schedule") {
    Lone t;
    std::vector<Duration> at;
    const Instant start = t.net.now;
    t.net.observe = [&](std::size_t, const Transmit&) { at.push_back(t.net.now - start); };
    t.add(remote_candidate("198.51.100.1"));
    t.net.run_for(60s);
    const std::vector<Duration> expected = {0ms, 500ms, 1500ms, 3500ms, 7500ms, 15500ms, 31500ms};
    CHECK(at == expected);
}

TEST_CASE("state fails when every pair failed and the remote side ended its candidates") {
    AgentConfig c = config(true);
    c.stun.rto = 100ms;  // a shorter transaction: 100 ms × (1+2+...+32) + 1.6 s = 7.9 s
    Lone t(c);
    t.a.agent.end_of_local_sockets(t.net.now);
    t.add(remote_candidate("198.51.100.1"));
    t.a.agent.end_of_remote_candidates(t.net.now);
    const Instant start = t.net.now;
    REQUIRE(t.run_until_failed(20s));
    CHECK(t.net.now - start == 7900ms);
}

TEST_CASE("state fails after the checking timeout when nothing ever answers") {
    AgentConfig c = config(true);
    c.checking_timeout = 3s;
    Lone t(c);
    t.add(remote_candidate("198.51.100.1"));  // and no end-of-candidates
    const Instant start = t.net.now;
    REQUIRE(t.run_until_failed(10s));
    CHECK(t.net.now - start == 3s);
    t.net.pump();
    const auto sent = t.a.agent.stats().checks_sent;
    t.net.run_for(60s);
    CHECK(t.a.agent.stats().checks_sent == sent);  // failed is final: no more checks
}

TEST_CASE("an mDNS-only peer that never checks us fails after the checking timeout") {
    AgentConfig c = config(true);
    c.checking_timeout = 5s;
    Lone t(c);
    t.add(remote_candidate("5b2a4e1c-0000-4000-8000-000000000001.local"));
    t.a.agent.end_of_remote_candidates(t.net.now);
    const Instant start = t.net.now;
    CHECK(t.a.agent.state() == IceState::checking);
    REQUIRE(t.run_until_failed(20s));
    CHECK(t.net.now - start == 5s);
    CHECK(t.a.agent.stats().checks_sent == 0);  // nothing to check: the name is never resolved
}

TEST_CASE("consent loss makes the state disconnected, then failed") {
    TwoPeers t;
    REQUIRE(t.connect_v4());
    // A healthy minute never reads as disconnected, whatever the jitter.
    t.net.run_for(60s);
    CHECK_FALSE(t.a.saw_state(IceState::disconnected));
    CHECK_FALSE(t.b.saw_state(IceState::disconnected));
    CHECK(t.a.agent.stats().responses_received >= 10);  // consent requests were answered
    // Cut the path.
    t.net.filter = [](std::size_t, const Transmit&) { return false; };
    const Instant cut = t.net.now;
    REQUIRE(t.net.run_until([&] { return t.a.agent.state() == IceState::disconnected; }, 20s));
    // The next consent request goes out within 6 s (5 s + 20 %), then 5 s of silence.
    CHECK(t.net.now - cut <= 11s + 1ms);
    CHECK(t.net.now - cut >= 5s);
    REQUIRE(t.net.run_until([&] { return t.a.agent.state() == IceState::failed; }, 60s));
    CHECK(t.net.now - cut <= 30s + 1ms);
    CHECK(t.net.now - cut >= 29s);
    CHECK_FALSE(t.a.agent.selected_pair());
}

TEST_CASE("a short outage reads as disconnected and recovers to connected") {
    TwoPeers t;
    REQUIRE(t.connect_v4());
    t.net.filter = [](std::size_t, const Transmit&) { return false; };
    REQUIRE(t.net.run_until([&] { return t.a.agent.state() == IceState::disconnected; }, 20s));
    t.net.filter = nullptr;
    REQUIRE(t.net.run_until([&] { return connected(t.a); }, 3s));
    CHECK(t.a.agent.selected_pair());
}

TEST_CASE("restart keeps the selected pair until a new one is selected") {
    TwoPeers t;
    REQUIRE(t.connect_v4());
    const auto before = *t.a.agent.selected_pair();
    const Credentials old_a = t.a.agent.local_credentials();
    t.a.gathered.clear();
    t.b.gathered.clear();
    t.a.agent.restart(t.net.now);
    CHECK(t.a.agent.local_credentials() != old_a);
    t.net.pump();
    REQUIRE(t.a.gathered.size() == 1);  // candidates announced again for the new offer
    // Half a minute with only a's side restarted: the old pair keeps consent alive.
    t.net.run_for(30s);
    REQUIRE(t.a.agent.selected_pair());
    CHECK(*t.a.agent.selected_pair() == before);
    CHECK(connected(t.a));
    CHECK(connected(t.b));
    CHECK(t.a.count<event::SelectedPairChanged>() == 1);
    // A consent request b sent with the old credentials, to replay later.
    std::optional<Bytes> old_request;
    t.net.observe = [&](std::size_t from, const Transmit& tx) {
        auto m = stun::Message::decode(tx.data);
        if (from == 1 && !old_request && m && m->message_class() == stun::MessageClass::request)
            old_request = tx.data;
    };
    t.net.run_for(7s);
    t.net.observe = nullptr;
    REQUIRE(old_request);
    // Now the answer: b restarts too, both signal.
    t.b.agent.restart(t.net.now);
    t.net.pump();
    t.exchange();
    REQUIRE(t.net.run_until(
        [&] {
            return t.a.count<event::SelectedPairChanged>() == 2 &&
                   t.b.count<event::SelectedPairChanged>() == 2;
        },
        5s));
    CHECK(connected(t.a));
    CHECK_FALSE(t.a.saw_state(IceState::disconnected));
    // The old credentials are gone: a check with them is refused.
    const auto refused = t.a.agent.stats().answered_401;
    t.a.agent.handle_input(t.net.now, 1, *SocketAddress::parse("192.0.2.2:6000"), *old_request);
    CHECK(t.a.agent.stats().answered_401 == refused + 1);
    t.net.run_for(40s);
    CHECK(connected(t.a));
    CHECK(connected(t.b));
}

TEST_CASE("restart after the path broke recovers even when the old pair's consent expires first") {
    TwoPeers t;
    REQUIRE(t.connect_v4());
    const std::string old_a = t.a.agent.local_credentials().ufrag;
    const std::string old_b = t.b.agent.local_credentials().ufrag;
    const Instant cut = t.net.now;
    // Nothing passes for 28 s; after that only the new generation's checks (and their answers):
    // the old pair never answers consent again and expires at 30 s.
    t.net.filter = [&](std::size_t, const Transmit& tx) {
        if (t.net.now - cut < 28s) return false;
        auto m = stun::Message::decode(tx.data);
        auto user = m ? m->username() : std::nullopt;
        return !(user && (user->find(old_a) != std::string_view::npos ||
                          user->find(old_b) != std::string_view::npos));
    };
    REQUIRE(t.net.run_until([&] { return t.a.agent.state() == IceState::disconnected; }, 15s));
    // Both sides restart (new offer and answer over signalling, which still works).
    t.a.gathered.clear();
    t.b.gathered.clear();
    t.a.agent.restart(t.net.now);
    t.b.agent.restart(t.net.now);
    t.exchange();
    // The new checks' retransmission due at most 31.5 s after the restart gets through.
    REQUIRE(t.net.run_until(
        [&] {
            return t.a.count<event::SelectedPairChanged>() == 2 &&
                   t.b.count<event::SelectedPairChanged>() == 2 && connected(t.a) && connected(t.b);
        },
        45s));
    CHECK(t.net.now - cut >= 30s);
    CHECK(t.a.saw_state(IceState::checking));  // after the old pair expired
    CHECK_FALSE(t.a.saw_state(IceState::failed));
    CHECK_FALSE(t.b.saw_state(IceState::failed));
}

TEST_CASE("close stops everything and is safe twice") {
    TwoPeers t;
    REQUIRE(t.connect_v4());
    t.a.agent.close();
    t.a.agent.close();
    CHECK(t.a.agent.state() == IceState::closed);
    CHECK_FALSE(t.a.agent.poll_timeout());
    CHECK_FALSE(t.a.agent.poll_transmit());
    t.a.agent.add_remote_candidate(t.net.now, t.b.gathered.at(0));
    t.a.agent.restart(t.net.now);
    CHECK_FALSE(t.a.agent.poll_transmit());
}

TEST_CASE("connected agents accept data from each other's selected address only") {
    TwoPeers t;
    REQUIRE(t.connect_v4());
    const auto pa = t.a.agent.selected_pair();
    REQUIRE(pa);
    CHECK(t.a.agent.validated(pa->socket, pa->remote_address));
    CHECK(t.b.agent.validated(7, *SocketAddress::parse("192.0.2.1:5000")));
    CHECK_FALSE(t.a.agent.validated(pa->socket, *SocketAddress::parse("192.0.2.3:6000")));
    CHECK_FALSE(t.a.agent.validated(pa->socket + 1, pa->remote_address));
    // Still so after a minute of consent, and after a restart (the same peer and DTLS session).
    t.net.run_for(60s);
    t.a.agent.restart(t.net.now);
    CHECK(t.a.agent.validated(pa->socket, pa->remote_address));
}

TEST_CASE("server-reflexive candidates come from the STUN server's answer, redundant ones pruned") {
    Gatherer g({"10.0.0.5:5000", "10.0.1.5:5001"});
    auto& a = g.a;  // not a structured binding: lambdas below capture it (clang 14)
    auto& net = g.net;
    const auto server = Gatherer::server;
    CHECK(a.agent.gathering_state() == GatheringState::gathering);
    std::vector<Transmit> to_server;
    while (auto t = a.agent.poll_transmit())
        to_server.push_back(*t);
    REQUIRE(to_server.size() == 2);
    CHECK(to_server[0].destination == server);
    auto answer = [&](const Transmit& t, std::string_view mapped) {
        a.agent.handle_input(net.now, t.socket, server, binding_answer(t, mapped));
    };
    answer(to_server[0], "198.51.100.20:40000");
    answer(to_server[1], "10.0.1.5:5001");  // no NAT on this one: same as the host, pruned
    net.pump();
    std::vector<Candidate> srflx;
    for (const auto& cand : a.gathered)
        if (cand.type == CandidateType::srflx) srflx.push_back(cand);
    REQUIRE(srflx.size() == 1);
    CHECK(srflx[0].address == "198.51.100.20");
    CHECK(srflx[0].port == 40000);
    CHECK(srflx[0].related_address == "10.0.0.5");
    CHECK(srflx[0].related_port == 5000);
    CHECK(srflx[0].priority < a.gathered[0].priority);
    CHECK(a.agent.gathering_state() == GatheringState::complete);
    CHECK(a.count<event::GatheringComplete>() == 1);
    CHECK(a.agent.local_candidates().size() == 3);
}

TEST_CASE("restart gathers server-reflexive candidates again instead of re-sending the old one") {
    Gatherer g({"10.0.0.5:5000"});
    auto& a = g.a;  // not a structured binding: lambdas below capture it (clang 14)
    auto& net = g.net;
    const auto server = Gatherer::server;
    std::vector<Transmit> to_server;
    net.observe = [&](std::size_t, const Transmit& t) {
        if (t.destination == server) to_server.push_back(t);
    };
    // Answers every Binding request sent to the server with `mapped`; returns how many.
    auto answer_all = [&](std::string_view mapped) {
        net.pump();
        std::size_t answered = 0;
        for (const Transmit& t : to_server) {
            a.agent.handle_input(net.now, t.socket, server, binding_answer(t, mapped));
            ++answered;
        }
        to_server.clear();
        return answered;
    };
    REQUIRE(answer_all("198.51.100.20:40000") == 1);
    REQUIRE(a.agent.gathering_state() == GatheringState::complete);
    net.pump();
    a.gathered.clear();
    // The NAT rebinds; the restart must ask the server again and announce the new mapping only.
    a.agent.restart(net.now);
    CHECK(a.agent.gathering_state() == GatheringState::gathering);
    net.pump();
    REQUIRE(a.gathered.size() == 1);  // the host candidate, at once
    CHECK(a.gathered[0].type == CandidateType::host);
    CHECK(a.count<event::GatheringComplete>() == 1);
    REQUIRE(answer_all("198.51.100.20:40007") == 1);  // a new transaction from the host socket
    net.pump();
    REQUIRE(a.gathered.size() == 2);
    CHECK(a.gathered[1].type == CandidateType::srflx);
    CHECK(a.gathered[1].port == 40007);
    CHECK(a.agent.gathering_state() == GatheringState::complete);
    CHECK(a.count<event::GatheringComplete>() == 2);
    std::size_t srflx = 0;
    for (const auto& l : a.agent.local_candidates())
        srflx += l.candidate.type == CandidateType::srflx;
    CHECK(srflx == 1);  // the stale mapping is gone from the full set too
}

TEST_CASE("gathering completes even when the STUN server never answers") {
    AgentConfig c = config(true);
    c.stun.rto = 100ms;
    Gatherer g({"10.0.0.5:5000"}, c);
    auto& a = g.a;  // not a structured binding: lambdas below capture it (clang 14)
    auto& net = g.net;
    const Instant start = net.now;
    REQUIRE(
        net.run_until([&] { return a.agent.gathering_state() == GatheringState::complete; }, 30s));
    CHECK(net.now - start == 7900ms);
    CHECK(a.count<event::GatheringComplete>() == 1);
    // W3C icecandidateerror: the unreachable server is error 701, reported before gathering
    // completes, naming the socket the requests went from.
    REQUIRE(a.count<event::ServerError>() == 1);
    const auto error = std::find_if(a.events.begin(), a.events.end(), [](const Event& e) {
        return std::holds_alternative<event::ServerError>(e);
    });
    const auto& e = std::get<event::ServerError>(*error);
    CHECK(e.code == 701);
    CHECK(e.server == 0);
    CHECK(e.socket == 1);
    CHECK(e.reason == "no answer from STUN server 203.0.113.1:3478 (7 requests)");
    CHECK(std::find_if(a.events.begin(), a.events.end(), [](const Event& ev) {
              return std::holds_alternative<event::GatheringComplete>(ev);
          }) > error);
}

TEST_CASE(
    "a STUN server's error response to gathering is an error event with its code and reason") {
    Gatherer g({"10.0.0.5:5000"});
    auto& a = g.a;  // not a structured binding: lambdas below capture it (clang 14)
    auto& net = g.net;
    std::optional<Transmit> request;
    while (auto t = a.agent.poll_transmit())
        if (t->destination == Gatherer::server) request = std::move(*t);
    REQUIRE(request);
    auto req = stun::Message::decode(request->data);
    REQUIRE(req);
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::error_response},
                           req->transaction_id());
    b.add_error_code(403, "Forbidden here");
    b.add_fingerprint();
    REQUIRE(b.finish());
    a.agent.handle_input(net.now, request->socket, Gatherer::server, out);
    net.pump();
    REQUIRE(a.count<event::ServerError>() == 1);
    for (const auto& ev : a.events)
        if (const auto* e = std::get_if<event::ServerError>(&ev)) {
            CHECK(e->code == 403);
            CHECK(e->reason == "Forbidden here");
            CHECK(e->socket == request->socket);
        }
    CHECK(a.agent.gathering_state() == GatheringState::complete);  // nothing else to wait for
    CHECK(a.count<event::GatheringComplete>() == 1);
}

TEST_CASE("host candidates prefer IPv6 and spread interfaces") {
    Peer a(config(true), 1);
    Shuttle net;
    net.peers = {&a};
    net.add_socket(a, 1, "192.0.2.1:1");
    net.add_socket(a, 2, "[2001:db8::1]:1");
    net.add_socket(a, 3, "198.51.100.1:1");
    net.pump();
    REQUIRE(a.gathered.size() == 3);
    CHECK(a.gathered[1].priority > a.gathered[0].priority);
    CHECK(a.gathered[0].priority > a.gathered[2].priority);
    CHECK(a.gathered[0].foundation != a.gathered[2].foundation);
    for (const auto& c : a.gathered)
        CHECK(type_of(c.priority) == 126u);
}

TEST_CASE("a STUN server's answer from another address or on another socket is ignored, counted") {
    Gatherer g({"10.0.0.5:5000", "10.0.1.5:5001"});
    auto& a = g.a;  // not a structured binding: lambdas below capture it (clang 14)
    auto& net = g.net;
    const auto server = Gatherer::server;
    std::vector<Transmit> to_server;
    while (auto t = a.agent.poll_transmit())
        to_server.push_back(*t);
    REQUIRE(to_server.size() == 2);
    const Transmit& first = to_server[0];
    const SocketId other_socket = to_server[1].socket;
    REQUIRE(other_socket != first.socket);
    // The right transaction id, from another port of the server, from another host, and from
    // the server but on the other socket: none is an answer.
    const Bytes forged = binding_answer(first, "198.51.100.66:6666");
    a.agent.handle_input(net.now, first.socket, *SocketAddress::parse("203.0.113.1:3479"), forged);
    a.agent.handle_input(net.now, first.socket, *SocketAddress::parse("203.0.113.9:3478"), forged);
    a.agent.handle_input(net.now, other_socket, server, forged);
    net.pump();
    CHECK(a.agent.stats().misdirected == 3);
    for (const auto& c : a.gathered)
        CHECK(c.type == CandidateType::host);
    CHECK(a.agent.gathering_state() == GatheringState::gathering);
    // The server's own answer, on the right socket, still counts.
    a.agent.handle_input(net.now, first.socket, server,
                         binding_answer(first, "198.51.100.20:40000"));
    net.pump();
    REQUIRE(a.gathered.size() == 3);
    CHECK(a.gathered[2].type == CandidateType::srflx);
    CHECK(a.gathered[2].port == 40000);
    CHECK(a.agent.stats().misdirected == 3);
}
