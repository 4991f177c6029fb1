// ICE connection set-up in the simulator (tests/sim): for each topology, the virtual time two
// agents take to connect (a property of the protocol and its timers), then the real time and
// allocations one whole set-up costs (topology, gathering, checks, nomination) as ns/op.
// Instructions per set-up: bench/callgrind.sh build/release/bench/bench_ice srflx
//
//   bench_ice [--only host_only|srflx] [--iterations N] [--json]
#include <cstdio>
#include <stdexcept>

#include "sim/ice_topology.hpp"
#include "support/bench.hpp"

using namespace floe;
using namespace floe::sim;

namespace {

constexpr std::uint64_t seed = 1;

TopologyConfig host_only() {
    const LinkConfig link{.delay = 10ms};
    return {.a = {.path = Path::symmetric(link), .controlling = true},
            .b = {.path = Path::symmetric(link)},
            .stun_server = false};
}

// Port-restricted cone NATs on both sides: connects through server-reflexive candidates.
TopologyConfig srflx() {
    const LinkConfig link{.delay = 10ms};
    const NatConfig nat{.mapping = Mapping::endpoint_independent,
                        .filtering = Filtering::address_and_port_dependent};
    return {.a = {.nat = nat, .path = Path::symmetric(link), .controlling = true},
            .b = {.nat = nat, .path = Path::symmetric(link)}};
}

// One set-up; returns the virtual time to both agents connected.
Duration connect(const TopologyConfig& config) {
    IceTopology t(seed, config);
    t.start();
    if (!t.run_until_connected(60s)) throw std::runtime_error("bench_ice: did not connect");
    return t.net.now() - t.started;
}

void run_case(const char* name, TopologyConfig (*make)(), const bench::Options& options) {
    if (!options.only.empty() && options.only != name) return;
    const TopologyConfig config = make();
    if (!options.json)
        std::printf("%-40s %12.1f ms virtual time to connected\n", name, to_ms(connect(config)));
    bench::run(name, options, [&] { bench::keep(connect(config)); });
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = bench::Options::parse(argc, argv);
    run_case("host_only", host_only, options);
    run_case("srflx", srflx, options);
}
