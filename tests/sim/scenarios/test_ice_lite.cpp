// ICE-lite (RFC 8445 §2.5) in the simulator: a lite agent on a public address (its intended
// place: a server) and a full agent behind NATs, in both offer/answer roles. Every scenario
// prints its seed and topology on failure.
#include <doctest/doctest.h>

#include "sim/ice_topology.hpp"

using namespace floe;
using namespace floe::sim;

namespace {

NatConfig nat(Mapping mapping, Filtering filtering) {
    return {.mapping = mapping, .filtering = filtering};
}
const NatConfig port_restricted =
    nat(Mapping::endpoint_independent, Filtering::address_and_port_dependent);
const NatConfig symmetric =
    nat(Mapping::address_and_port_dependent, Filtering::address_and_port_dependent);

// a: the full agent behind `full_nat`, controlling as offerer or not; b: a public lite agent.
TopologyConfig full_behind_nat_lite_public(NatConfig full_nat, bool full_offers) {
    return {.a = {.nat = full_nat, .controlling = full_offers},
            .b = {.controlling = !full_offers, .lite = true}};
}

void check_lite_connection(IceTopology& t) {
    CHECK(t.a.agent().role() == ice::Role::controlling);
    CHECK(t.b.agent().role() == ice::Role::controlled);
    CHECK(t.b.agent().stats().checks_sent == 0);
    CHECK(t.a.agent().stats().role_conflicts == 0);
    CHECK(t.b.agent().stats().answered_487 == 0);
    REQUIRE(t.a.selected);
    REQUIRE(t.b.selected);
    CHECK(t.a.selected->remote_address == t.socket_b);  // the server's host candidate
    // The lite side sees the full side through its NAT's mapping.
    CHECK(t.b.selected->remote_address.ip() == t.net.nat(*t.nat_a).external_ip());
    // Only host candidates on the lite side, though a STUN server is configured for both.
    for (const auto& c : t.a.remote_candidates)
        CHECK(c.type == ice::CandidateType::host);
}

}  // namespace

TEST_CASE("a full agent behind a port-restricted NAT reaches a public lite agent, both roles") {
    for (const bool full_offers : {true, false}) {
        IceTopology t(41, full_behind_nat_lite_public(port_restricted, full_offers));
        INFO("seed 41, " << t.describe());
        t.start();
        REQUIRE(t.run_until_connected(10s));
        check_lite_connection(t);
    }
}

TEST_CASE("a full agent behind a symmetric NAT reaches a public lite agent (peer-reflexive)") {
    for (const bool full_offers : {true, false}) {
        IceTopology t(42, full_behind_nat_lite_public(symmetric, full_offers));
        INFO("seed 42, " << t.describe());
        t.start();
        REQUIRE(t.run_until_connected(10s));
        check_lite_connection(t);
        CHECK(t.b.selected->remote.type == ice::CandidateType::prflx);
    }
}

TEST_CASE("a lite agent stays connected for minutes on the full side's consent checks alone") {
    IceTopology t(43, full_behind_nat_lite_public(port_restricted, true));
    INFO("seed 43, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(10s));
    const Instant connected = t.net.now();
    t.net.run_for(300s);
    CHECK_FALSE(t.b.reached(ice::IceState::disconnected, connected));
    CHECK_FALSE(t.a.reached(ice::IceState::disconnected, connected));
    CHECK(t.b.is_connected());
    CHECK(t.b.agent().stats().checks_sent == 0);
    CHECK(t.b.agent().stats().checks_received >= 50);  // one every 4-6 s
}
