// Two ICE agents, each on a host that is public or behind its own NAT, and a STUN server on the
// internet: the topology every ICE scenario, the property test and bench/ice.cpp start from.
//
//   agent a 198.18.1.2:5000 ── NAT 203.0.113.1 ──┐
//                                                  ├── internet ── STUN 198.51.100.1:3478
//   agent b 198.18.2.2:5000 ── NAT 203.0.113.2 ──┘
//
// Without a NAT, a side's host sits on the internet at 203.0.113.11 (a) or 203.0.113.12 (b).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/ice_node.hpp"
#include "sim/network.hpp"
#include "sim/stun_server_node.hpp"

namespace floe::sim {

struct Side {
    std::optional<NatConfig> nat{};  // none: a public address
    Path path{};                     // the host's access link
    bool controlling = false;
    std::string describe() const;  // "public" or "EIM/APDF", with the link if lossy or slow
};

struct TopologyConfig {
    Side a{.controlling = true};
    Side b{};
    bool stun_server = true;
    Duration signalling_delay = 50ms;
    ice::AgentConfig agent{};  // both agents' settings; `controlling` comes from the Side
};

class IceTopology {
  public:
    static constexpr std::uint16_t agent_port = 5000;

    IceTopology(std::uint64_t seed, TopologyConfig config);

    // Each agent opens its one socket and gathers; candidates trickle to the other side.
    void start();
    // Runs until both agents are connected (or completed), or `limit` of virtual time passes.
    bool run_until_connected(Duration limit);
    // Runs until both agents are in `state`, or `limit` passes.
    bool run_until_both(ice::IceState state, Duration limit);

    std::string describe() const;  // "a EIM/APDF, b public"

    TopologyConfig config;
    Network net;
    std::optional<NatId> nat_a, nat_b;
    HostId host_a{}, host_b{}, stun_host{};
    SocketAddress socket_a, socket_b, stun_address;
    IceNode a, b;
    StunServerNode stun;
    Instant started;
};

}  // namespace floe::sim
