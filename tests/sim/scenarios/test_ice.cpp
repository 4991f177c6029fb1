// ICE agents in the simulator: the "done when" cases of issue 4, one scenario each. Every
// scenario prints its seed and topology on failure; rerun it with the same seed to replay.
#include <doctest/doctest.h>

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
