// The deterministic network simulator: a virtual clock, hosts in address realms ("zones"), NAT
// boxes between realms, and lossy, jittery links, all driven from one seed. Nothing here touches a
// real socket: addresses are labels (198.18.0.0/15 inside, documentation ranges outside).
//
//   Network net(seed);
//   auto nat = net.add_nat(Network::internet, ip("203.0.113.1"), {.mapping = ..., .filtering =
//   ...}); auto a = net.add_host(net.inside(nat), ip("198.18.1.2"), {.up = {.delay = 20ms}});
//   net.attach(a, node);                       // anything implementing sim::Node
//   net.run_until([&] { return done(); }, net.now() + 60s);
//
// progress() is one flat step, as in str0m's tests: whichever is due first — a datagram at the
// end of a link, or a node's timeout — is handled, and every transmit the node then has is put on
// its link. No recursion; ties go to datagrams first, then nodes in the order they were attached.
//
// Routing: a datagram enters its host's zone over the host's uplink. If the destination IP is a
// host (or a NAT's external side) in that zone it goes over that interface's downlink; otherwise
// it leaves through the zone's NAT (translated, then over the NAT's own uplink into the outer
// zone); with no NAT (the internet) it is dropped as unroutable. A NAT's external address receives
// datagrams like a host does and forwards what its filtering admits into its inside zone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>

#include "common/random.hpp"
#include "common/time.hpp"
#include "sim/nat.hpp"

namespace floe::sim {

// A UDP datagram with both ends.
struct Datagram {
    SocketAddress source;
    SocketAddress destination;
    Bytes data;
};

// Anything that runs on a simulated host: an ICE agent, a STUN server, later a whole
// PeerConnection core. The sans-IO verbs, with the local address of the socket made explicit.
class Node {
  public:
    virtual ~Node() = default;
    // `data` arrived at `local` (an address of this host) from `from`.
    virtual void handle_input(Instant now, SocketAddress local, SocketAddress from,
                              ByteSpan data) = 0;
    virtual void handle_timeout(Instant now) = 0;
    virtual std::optional<Instant> poll_timeout() const = 0;
    // The next datagram to send; its source must be an address of this host.
    virtual std::optional<Datagram> poll_transmit() = 0;
};

// One direction of a link. Every random draw comes from the Network's seeded generator.
struct LinkConfig {
    Duration delay = 0ms;    // one-way propagation delay
    Duration jitter = 0ms;   // plus a uniform [0, jitter] per datagram (reorders when > 0)
    double loss = 0.0;       // probability a datagram is dropped
    double duplicate = 0.0;  // probability a second copy is delivered (its own jitter)
    double reorder = 0.0;    // probability a datagram is held back by `reorder_delay`
    Duration reorder_delay = 0ms;
};

// Both directions of an interface's link to its zone: `up` carries what the interface sends.
struct Path {
    LinkConfig up{};
    LinkConfig down{};
    // The same conditions both ways (each direction draws its own randomness).
    static Path symmetric(LinkConfig link) { return {link, link}; }
};

// The virtual clock in the log: seconds since its epoch, to the microsecond.
std::string virtual_seconds(Instant now);

struct NetworkStats {
    std::uint64_t sent = 0;           // datagrams put on a host's uplink
    std::uint64_t delivered = 0;      // datagrams handed to a node
    std::uint64_t lost = 0;           // dropped by a link's loss
    std::uint64_t duplicated = 0;     // extra copies made by a link
    std::uint64_t unroutable = 0;     // no host or NAT owns the destination
    std::uint64_t nat_dropped = 0;    // no mapping, filtered, or hairpin
    std::uint64_t no_node = 0;        // arrived at a host with no node attached
    std::uint64_t filtered = 0;       // dropped by the test's filter
    std::uint64_t timeouts = 0;       // handle_timeout() calls
    std::uint64_t idle_timeouts = 0;  // ... after which the node had nothing to send
};

using ZoneId = std::size_t;
using HostId = std::size_t;
using NatId = std::size_t;

class Network {
  public:
    static constexpr ZoneId internet = 0;

    // The clock starts at `start`, an arbitrary but fixed instant, so runs are reproducible.
    explicit Network(std::uint64_t seed, Instant start = Instant{} + 1000s);
    ~Network();
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    // A NAT whose external side has `external_ip` in `outside`; returns its id. inside(id) is the
    // new zone behind it (NATs nest: put one NAT's external side inside another's zone).
    NatId add_nat(ZoneId outside, IpAddress external_ip, NatConfig config, Path path = {});
    ZoneId inside(NatId nat) const;
    Nat& nat(NatId nat);

    // A host with address `ip` in `zone`, linked to it by `path`.
    HostId add_host(ZoneId zone, IpAddress ip, Path path = {});
    // The two-sided topologies' placement: a host on the internet at `public_ip`, or, with
    // `nat_config`, behind a new NAT (external `nat_ip`, stored in `nat`) at `private_ip`.
    HostId place_host(const std::optional<NatConfig>& nat_config, const Path& path,
                      std::optional<NatId>& nat, IpAddress nat_ip, IpAddress private_ip,
                      IpAddress public_ip);
    IpAddress host_ip(HostId host) const;
    // Changes the link conditions from now on (datagrams already in flight keep theirs).
    void set_path(HostId host, Path path);
    // The node running on `host` (not owned; it must outlive the Network or be detached).
    void attach(HostId host, Node& node);
    void detach(HostId host);

    // A scenario's own, targeted loss: called with every datagram a node sends (before its
    // uplink); returning true drops it. An empty function removes the filter.
    using Filter = std::function<bool(const Datagram&)>;
    void set_filter(Filter filter) { filter_ = std::move(filter); }

    Instant now() const { return now_; }
    const NetworkStats& stats() const { return stats_; }

    // Collects every node's pending transmits (e.g. after the test called into a node directly).
    void flush();
    // One step: handles whatever is due first, if that is no later than `limit`. Returns false
    // when nothing is due by `limit` (the clock then moves to `limit`) or nothing is scheduled.
    bool progress(Instant limit);
    // Steps until `done()` holds or the clock reaches `deadline`; returns done(). Throws
    // std::runtime_error after `max_steps` steps (a node that never stops asking to be woken).
    template <class Done>
    bool run_until(Done&& done, Instant deadline, std::uint64_t max_steps = 10'000'000) {
        for (std::uint64_t i = 0; !done(); ++i) {
            if (i == max_steps) too_many_steps(max_steps);
            if (!progress(deadline)) return done();
        }
        return true;
    }
    // Steps until the clock reaches now() + `duration`.
    void run_for(Duration duration);
    std::uint64_t steps() const { return steps_; }

  private:
    struct Interface;
    struct Zone;
    struct InFlight;
    enum class Stage : std::uint8_t { to_zone, to_interface };

    [[noreturn]] static void too_many_steps(std::uint64_t max_steps);
    std::size_t add_interface(ZoneId zone, IpAddress ip, Path path);
    void send_over(const LinkConfig& link, Stage stage, std::size_t target, Datagram datagram);
    void route(ZoneId zone, Datagram datagram);
    void arrive(std::size_t interface, Datagram datagram);
    void drain(std::size_t interface);

    SeededRandom random_;
    Instant now_;
    std::vector<Zone> zones_;
    std::vector<Interface> interfaces_;
    std::vector<std::unique_ptr<Nat>> nats_;
    std::vector<std::size_t> nat_interface_;   // by NatId
    std::vector<std::size_t> host_interface_;  // by HostId
    std::vector<std::size_t> node_order_;      // interfaces with a node, in attach order
    std::vector<InFlight> queue_;              // a heap ordered by (arrival, sequence)
    Filter filter_;
    std::uint64_t sequence_ = 0;
    std::uint64_t steps_ = 0;
    NetworkStats stats_;
};

}  // namespace floe::sim
