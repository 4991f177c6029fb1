// Two complete PeerConnection cores on the simulated network, each on a host that is public or
// behind its own NAT, and a STUN server on the internet: the full-stack scenarios
// (scenarios/test_full_stack.cpp) start from here. The addresses are IceTopology's:
//
//   peer a 198.18.1.2:5000 ── NAT 203.0.113.1 ──┐
//                                                 ├── internet ── STUN 198.51.100.1:3478
//   peer b 198.18.2.2:5000 ── NAT 203.0.113.2 ──┘
//
// Without a NAT, a side's host sits on the internet at 203.0.113.11 (a) or 203.0.113.12 (b).
// a offers (and so is the controlling ICE agent); b answers, and as the answerer takes the DTLS
// client role (a=setup:active, RFC 8842 §5.3).
//
// Time: every topology's clock starts where the previous one ended (plus a gap), so the virtual
// clock of the process only moves forward — usrsctp's timers are process-global and take the time
// since the last advance by any association (src/sctp/association.cpp). Runs are reproducible in
// relative time, which is all the cores see. See docs/simulator.md, "Full stack".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/network.hpp"
#include "sim/peer_node.hpp"
#include "sim/stun_server_node.hpp"

namespace floe::sim {

struct PeerSide {
    std::optional<NatConfig> nat{};  // none: a public address
    Path path{};                     // the host's access link
};

struct PeerTopologyConfig {
    PeerSide a{};
    PeerSide b{};
    bool stun_server = true;
    Duration signalling_delay = 50ms;
    session::Config core{};  // both cores' settings (certificates: see PeerTopology)
};

class PeerTopology {
  public:
    static constexpr std::uint16_t peer_port = 5000;

    // `wall_clock` is called with the virtual time before every call into a core (the scenario
    // points the process's gettimeofday() there: support/virtual_wall_clock.hpp).
    PeerTopology(std::uint64_t seed, PeerTopologyConfig config,
                 std::function<void(Instant)> wall_clock);
    ~PeerTopology();
    PeerTopology(const PeerTopology&) = delete;
    PeerTopology& operator=(const PeerTopology&) = delete;

    // Each core gets its socket; a offers, b answers through signalling; candidates trickle.
    void start();
    // Runs until `done()` or `limit` of virtual time passes; returns done().
    template <class Done>
    bool run_until(Done&& done, Duration limit) {
        return net.run_until(std::forward<Done>(done), net.now() + limit);
    }
    // Both cores' connection state is connected.
    bool run_until_connected(Duration limit);

    std::string describe() const;

    PeerTopologyConfig config;
    Network net;
    std::optional<NatId> nat_a, nat_b;
    HostId host_a{}, host_b{}, stun_host{};
    SocketAddress socket_a, socket_b, stun_address;
    PeerNode a, b;
    StunServerNode stun;
    Instant started;
};

}  // namespace floe::sim
