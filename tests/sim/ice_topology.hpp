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
    bool lite = false;  // an ICE-lite agent (always controlled, whatever `controlling` says)
    std::string describe() const;  // "public" or "EIM/APDF", with the link if lossy or slow
};

struct TopologyConfig {
    Side a{.controlling = true};
    Side b{};
    bool stun_server = true;
    Duration signalling_delay = 50ms;
    ice::AgentConfig agent{};  // both agents' settings; `controlling` comes from the Side
};

// Whether two agents on these sides can connect without TURN, from the RFC 4787 behaviours of
// their NATs (a public host counts as endpoint-independent mapping and filtering). Both agents
// learn server-reflexive candidates and check every pair, with triggered checks on
// peer-reflexive ones (RFC 8445). The derivation is in docs/simulator.md, "The path rule":
//  - both mappings endpoint-independent: yes (each side's checks open its own filter for the
//    other's server-reflexive address, whatever the filtering);
//  - one side X endpoint-independent, the other Y not: Y's checks come from a port X has never
//    seen, so yes iff X's filtering is not address-and-port-dependent (an ADF side has sent to
//    Y's NAT's IP address through its checks to Y's server-reflexive candidate);
//  - neither endpoint-independent: a first check only gets into a side Y with
//    endpoint-independent filtering; Y's triggered check back must pass X's filtering (not APDF),
//    and the exchange converges only if one side's mapping is address-dependent (it reuses the
//    port for the other NAT's IP address). Two address-and-port-dependent mappings chase each
//    other's new ports for ever.
bool has_path(const Side& a, const Side& b);

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
