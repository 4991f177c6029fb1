// ICE agents in the simulator: the "done when" cases of issue 4, one scenario each. Every
// scenario prints its seed and topology on failure; rerun it with the same seed to replay.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <vector>

#include <floe/stun/message.hpp>

#include "sim/ice_topology.hpp"

using namespace floe;
using namespace floe::sim;
using ice::IceState;

namespace {

NatConfig nat(Mapping mapping, Filtering filtering) {
    return {.mapping = mapping, .filtering = filtering};
}
const NatConfig full_cone = nat(Mapping::endpoint_independent, Filtering::endpoint_independent);
const NatConfig port_restricted =
    nat(Mapping::endpoint_independent, Filtering::address_and_port_dependent);
const NatConfig symmetric =
    nat(Mapping::address_and_port_dependent, Filtering::address_and_port_dependent);

ice::CandidateType selected_remote_type(const IceNode& node) {
    REQUIRE(node.selected.has_value());
    return node.selected->remote.type;
}

}  // namespace

TEST_CASE("two public hosts connect host to host") {
    IceTopology t(1, {.stun_server = false});
    INFO("seed 1, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(5s));
    CHECK(t.a.selected->remote_address == t.socket_b);
    CHECK(t.b.selected->remote_address == t.socket_a);
    CHECK(t.a.selected->local.type == ice::CandidateType::host);
    CHECK(selected_remote_type(t.a) == ice::CandidateType::host);
    CHECK(t.a.agent().role() == ice::Role::controlling);
    CHECK(t.b.agent().role() == ice::Role::controlled);
}

TEST_CASE("endpoint-independent NATs on both sides connect through server-reflexive candidates") {
    IceTopology t(2, {.a = {.nat = full_cone, .controlling = true}, .b = {.nat = full_cone}});
    INFO("seed 2, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(5s));
    const SocketAddress nat_b{t.net.nat(*t.nat_b).external_ip(), IceTopology::agent_port};
    CHECK(t.a.selected->remote_address == nat_b);
    CHECK(selected_remote_type(t.a) == ice::CandidateType::srflx);
    CHECK(t.stun.counters().success_responses >= 2);
}

TEST_CASE("port-restricted NATs on both sides connect once both agents have sent checks") {
    IceTopology t(
        3, {.a = {.nat = port_restricted, .controlling = true}, .b = {.nat = port_restricted}});
    INFO("seed 3, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(10s));
    CHECK(t.a.agent().stats().checks_sent > 0);
    CHECK(t.b.agent().stats().checks_sent > 0);
    CHECK(t.a.selected->remote_address.ip() == t.net.nat(*t.nat_b).external_ip());
    CHECK(t.b.selected->remote_address.ip() == t.net.nat(*t.nat_a).external_ip());
}

TEST_CASE("port-restricted NATs stay closed when only one agent can send checks") {
    for (const bool b_filters : {false, true}) {
        CAPTURE(b_filters);
        ice::AgentConfig agent;
        agent.checking_timeout = 10s;
        IceTopology t(9, {.a = {.nat = port_restricted, .controlling = true},
                          .b = {.nat = b_filters ? port_restricted : full_cone},
                          .agent = agent});
        INFO("seed 9, " << t.describe());
        t.a.signal_candidates = false;  // b never learns where a is, so only a checks
        t.start();
        const bool connected = t.run_until_connected(agent.checking_timeout + 1s);
        // b's full cone lets a's checks in and b answers the peer-reflexive address; b's
        // port-restricted NAT drops them, as nothing inside ever sent to a.
        CHECK(connected == !b_filters);
        CHECK((t.net.nat(*t.nat_b).stats().dropped_filtered > 0) == b_filters);
    }
}

TEST_CASE("symmetric NAT against port-restricted fails within checking timeout") {
    ice::AgentConfig agent;
    agent.checking_timeout = 15s;
    IceTopology t(4, {.a = {.nat = symmetric, .controlling = true},
                      .b = {.nat = port_restricted},
                      .agent = agent});
    INFO("seed 4, " << t.describe());
    t.start();
    REQUIRE(t.run_until_both(IceState::failed, agent.checking_timeout + 1s));
    CHECK_FALSE(t.a.reached(IceState::connected));
    CHECK_FALSE(t.b.reached(IceState::connected));
    CHECK(t.net.nat(*t.nat_b).stats().dropped_filtered > 0);  // a's checks from new ports
    // Nothing more is sent once failed.
    const auto sent = t.net.stats().sent;
    t.net.run_for(60s);
    CHECK(t.net.stats().sent == sent);
}

TEST_CASE("30 percent loss each way still connects") {
    std::uint64_t lost = 0;
    for (std::uint64_t seed = 100; seed < 120; ++seed) {
        const LinkConfig lossy{.delay = 20ms, .loss = 0.3};
        IceTopology t(
            seed,
            {.a = {.nat = port_restricted, .path = Path::symmetric(lossy), .controlling = true},
             .b = {.nat = full_cone, .path = {.up = {.delay = 20ms}}}});
        INFO("seed " << seed << ", " << t.describe());
        t.start();
        CHECK(t.run_until_connected(30s));
        lost += t.net.stats().lost;
    }
    CHECK(lost > 0);
}

TEST_CASE("an 800 ms round trip connects") {
    const LinkConfig slow{.delay = 200ms};
    IceTopology t(
        5, {.a = {.nat = port_restricted, .path = Path::symmetric(slow), .controlling = true},
            .b = {.nat = port_restricted, .path = Path::symmetric(slow)}});
    INFO("seed 5, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(20s));
    // Gathering alone takes a 400 ms round trip to the STUN server, then checks one of 800 ms.
    CHECK(*t.a.reached(IceState::connected) - t.started >= 800ms);
}

TEST_CASE("role conflict between two controlling agents is resolved and they connect") {
    for (const bool controlling : {true, false}) {
        CAPTURE(controlling);
        IceTopology t(6, {.a = {.controlling = controlling},
                          .b = {.controlling = controlling},
                          .stun_server = false});
        INFO("seed 6, " << t.describe());
        t.start();
        REQUIRE(t.run_until_connected(5s));
        CHECK(t.a.agent().role() != t.b.agent().role());
        CHECK(t.a.role_changes.size() + t.b.role_changes.size() == 1);
        CHECK(t.a.selected->remote_address == t.socket_b);
        CHECK(t.b.selected->remote_address == t.socket_a);
    }
}

TEST_CASE("consent loss leads to disconnected then failed") {
    ice::AgentConfig agent;  // consent every 5 s, disconnected after 5 s, failed after 30 s
    IceTopology t(7, {.a = {.nat = port_restricted, .controlling = true},
                      .b = {.nat = full_cone},
                      .agent = agent});
    INFO("seed 7, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(5s));
    t.net.run_for(20s);  // consent keeps it up
    REQUIRE(t.a.is_connected());
    REQUIRE(t.b.is_connected());
    const Instant cut = t.net.now();
    const LinkConfig dead{.loss = 1.0};
    t.net.set_path(t.host_a, Path::symmetric(dead));
    REQUIRE(t.run_until_both(IceState::failed, 60s));
    // The next consent request goes out within 1.2 intervals; it is unanswered for
    // disconnected_after, and nothing has answered for failed_after from the last response.
    const auto latest_request = cut + agent.consent_interval * 6 / 5;
    for (const IceNode* node : {&t.a, &t.b}) {
        CAPTURE(node->name());
        const auto disconnected = node->reached(IceState::disconnected, cut);
        const auto failed = node->reached(IceState::failed, cut);
        REQUIRE(disconnected);
        REQUIRE(failed);
        CHECK(*disconnected >= cut + agent.disconnected_after);
        CHECK(*disconnected <= latest_request + agent.disconnected_after + 100ms);
        CHECK(*failed > *disconnected);
        CHECK(*failed >= cut + agent.failed_after - agent.consent_interval * 6 / 5);
        CHECK(*failed <= cut + agent.failed_after + 100ms);
    }
}

TEST_CASE("a NAT rebinding followed by restart_ice recovers") {
    IceTopology t(8, {.a = {.nat = port_restricted, .controlling = true}, .b = {.nat = full_cone}});
    INFO("seed 8, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(5s));
    const auto old_address = t.b.selected->remote_address;
    t.net.nat(*t.nat_a).rebind();
    // b's consent requests go to the old mapping and die there: b notices first. (a's reach b
    // from the new mapping and b answers them, so a's consent holds.)
    REQUIRE(t.net.run_until([&] { return !t.a.is_connected() || !t.b.is_connected(); },
                            t.net.now() + 15s));
    CHECK(t.b.agent().state() == IceState::disconnected);
    const Instant restart = t.net.now();
    const auto old_credentials = t.a.agent().local_credentials();
    t.a.restart(restart);
    REQUIRE(t.net.run_until(
        [&] {
            return t.a.is_connected() && t.b.is_connected() && t.b.selected &&
                   t.b.selected->remote_address != old_address;
        },
        restart + 10s));
    CHECK(t.b.selected->remote_address.ip() == old_address.ip());
    CHECK(t.a.agent().local_credentials() != old_credentials);
}

TEST_CASE("a NAT rebinding between two port-restricted NATs is recovered by restart_ice") {
    IceTopology t(
        10, {.a = {.nat = port_restricted, .controlling = true}, .b = {.nat = port_restricted}});
    INFO("seed 10, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(5s));
    t.net.nat(*t.nat_a).rebind();
    REQUIRE(t.net.run_until([&] { return !t.a.is_connected() || !t.b.is_connected(); },
                            t.net.now() + 15s));
    const Instant restart = t.net.now();
    t.a.restart(restart);
    CHECK(t.net.run_until(
        [&] {
            return t.a.is_connected() && t.b.is_connected() &&
                   t.b.selected->remote_address.port() != IceTopology::agent_port;
        },
        restart + 30s));
}

TEST_CASE("a controlling agent whose nomination fails does not leave its peer connected") {
    // Every answer to a USE-CANDIDATE check is dropped; everything else gets through. The
    // controlled agent selects the pair on the first nomination it sees; the controlling agent
    // never hears back. Whatever it then does — nominate again, or give up — the two must not end
    // split: one failed for good while the other stays connected because the failed one still
    // answers its consent requests (RFC 7675).
    ice::AgentConfig agent;
    IceTopology t(11, {.a = {.nat = port_restricted, .controlling = true},
                       .b = {.nat = full_cone},
                       .agent = agent});
    INFO("seed 11, " << t.describe());
    std::vector<stun::TransactionId> nominations;
    t.net.set_filter([&](const Datagram& d) {
        auto msg = stun::Message::decode(d.data);
        if (!msg) return false;
        if (msg->message_class() == stun::MessageClass::request && msg->use_candidate()) {
            nominations.push_back(msg->transaction_id());
            return false;
        }
        return msg->message_class() == stun::MessageClass::success_response &&
               std::ranges::find(nominations, msg->transaction_id()) != nominations.end();
    });
    t.start();
    // However long the controlling agent keeps trying, it either connects or fails.
    REQUIRE(t.net.run_until(
        [&] { return t.a.is_connected() || t.a.agent().state() == IceState::failed; },
        t.net.now() + 5min));
    CHECK_FALSE(nominations.empty());
    // The nomination itself got through.
    CHECK((t.b.reached(IceState::connected) || t.b.reached(IceState::completed)));
    // If it failed, its peer's consent must run out (RFC 7675: 30 s without an answer).
    t.net.run_for(agent.failed_after + agent.consent_interval * 2);
    CHECK(t.a.is_connected() == t.b.is_connected());
    // A failed agent left its peer's consent requests unanswered (and said so in its stats).
    if (t.a.agent().state() == IceState::failed) CHECK(t.a.agent().stats().refused_failed > 0);
}

TEST_CASE(
    "triggered checks between two address-and-port-dependent mappings stay paced at one per Ta") {
    // Both mappings address-and-port-dependent, filtering open: no path (docs/simulator.md, rule
    // 3). Every check reaches the other side from a new NAT port, is answered from yet another
    // one and triggers a check back to a new peer-reflexive candidate; the two chase each other's
    // ports until the checking timeout. When triggered checks bypassed the pacing, each answer
    // set off another burst (property-test seed 30278440: 7,209 datagrams in 40 s).
    const NatConfig open_apdm =
        nat(Mapping::address_and_port_dependent, Filtering::endpoint_independent);
    ice::AgentConfig agent;
    IceTopology t(
        12,
        {.a = {.nat = open_apdm, .controlling = true}, .b = {.nat = open_apdm}, .agent = agent});
    INFO("seed 12, " << t.describe());
    // Per agent: the time of every new connectivity check (a request with USERNAME whose
    // transaction id is new; retransmissions run on their own STUN timers), and all requests.
    struct Sent {
        std::vector<Instant> new_checks;
        std::size_t requests = 0;
    };
    Sent sent_a, sent_b;
    std::set<stun::TransactionId> seen;
    t.net.set_filter([&](const Datagram& d) {
        auto msg = stun::Message::decode(d.data);
        if (!msg || msg->message_class() != stun::MessageClass::request || !msg->username())
            return false;
        Sent& sent = d.source == t.socket_a ? sent_a : sent_b;
        ++sent.requests;
        if (seen.insert(msg->transaction_id()).second) sent.new_checks.push_back(t.net.now());
        return false;
    });
    const Instant start = t.net.now();
    t.start();
    REQUIRE(t.run_until_both(IceState::failed, agent.checking_timeout + 2s));
    CHECK_FALSE(t.a.reached(IceState::connected));
    CHECK_FALSE(t.b.reached(IceState::connected));
    const Duration elapsed = t.net.now() - start;
    for (const Sent* sent : {&sent_a, &sent_b}) {
        CAPTURE(sent == &sent_a ? "a" : "b");
        // Not vacuous: the agents did chase each other with checks.
        CHECK(sent->new_checks.size() >= 10);
        // One new check per Ta at most: consecutive ones at least Ta apart.
        for (std::size_t i = 1; i < sent->new_checks.size(); ++i) {
            CAPTURE(i);
            CHECK(sent->new_checks[i] - sent->new_checks[i - 1] >= agent.ta);
        }
        // Hence a bound on everything sent: one new check per Ta window (plus the first), each
        // sent at most rc times.
        const auto windows = static_cast<std::size_t>(elapsed / agent.ta) + 1;
        CHECK(sent->requests <= windows * static_cast<std::size_t>(agent.stun.rc));
    }
}
