// A NAT box as RFC 4787 describes its behaviour, in virtual time: the mapping behaviour (which
// outgoing flows share one external port, §4.1), the filtering behaviour (which incoming packets
// a mapping lets in, §5), the mapping timeout refreshed by outbound packets (§4.3, REQ-5/6), the
// port allocation (preserving or random, §4.2.1) and no hairpinning (§6; the Network drops a
// packet that comes back to the NAT's own external address).
//
// It is pure bookkeeping: the Network calls outbound() for every packet leaving the inside and
// inbound() for every packet arriving at the external address.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/socket_address.hpp>

#include "common/random.hpp"
#include "common/time.hpp"

namespace floe::sim {

// RFC 4787 §4.1: which outgoing flows of one internal endpoint share a mapping.
enum class Mapping : std::uint8_t {
    endpoint_independent,        // one mapping per internal endpoint ("cone")
    address_dependent,           // one per destination IP address
    address_and_port_dependent,  // one per destination IP address and port ("symmetric")
};

// RFC 4787 §5: which incoming packets a mapping forwards.
enum class Filtering : std::uint8_t {
    endpoint_independent,        // anyone ("full cone")
    address_dependent,           // IP addresses the internal endpoint has sent to
    address_and_port_dependent,  // exact endpoints it has sent to ("port-restricted")
};

// RFC 4787 §4.2.1: which external port a new mapping gets.
enum class PortAllocation : std::uint8_t {
    preserving,  // the internal port when it is free, else a random one
    random,      // always a random one
};

std::string_view to_string(Mapping mapping);
std::string_view to_string(Filtering filtering);

struct NatConfig {
    Mapping mapping = Mapping::endpoint_independent;
    Filtering filtering = Filtering::address_and_port_dependent;
    PortAllocation ports = PortAllocation::preserving;
    // Idle time after which a mapping (and the permissions it opened) is forgotten. Only outbound
    // packets refresh it (RFC 4787 REQ-6 requires that; inbound refresh is optional and off here).
    // RFC 4787 REQ-5 asks for at least 2 minutes.
    Duration mapping_timeout = 120s;

    // "EIM/APDF", for test names and failure messages.
    std::string describe() const;
};

struct NatStats {
    std::uint64_t mappings_created = 0;
    std::uint64_t mappings_expired = 0;
    std::uint64_t dropped_no_mapping = 0;  // inbound to an external port with no live mapping
    std::uint64_t dropped_filtered = 0;    // a live mapping refused the sender
};

class Nat {
  public:
    Nat(NatConfig config, IpAddress external_ip, Random& random);

    // A packet from `internal` to `destination` leaves: the external address it leaves from,
    // creating or refreshing the mapping and the permission for `destination`.
    SocketAddress outbound(Instant now, SocketAddress internal, SocketAddress destination);
    // A packet from `from` arrives at the external address `external`: the internal address to
    // forward it to, or nullopt when there is no mapping or the filtering refuses it.
    std::optional<SocketAddress> inbound(Instant now, SocketAddress from, SocketAddress external);

    // The NAT loses its state and hands out new ports (a reboot, or a carrier-grade NAT that
    // rebinds): every existing mapping is forgotten and no port used before is used again.
    void rebind();

    const NatConfig& config() const { return config_; }
    IpAddress external_ip() const { return external_ip_; }
    std::size_t mapping_count(Instant now);
    const NatStats& stats() const { return stats_; }

  private:
    struct Permission {
        SocketAddress remote;
        Instant last_sent;
    };
    struct Entry {
        SocketAddress internal;
        SocketAddress key;  // destination part of the mapping key, by Mapping behaviour
        std::uint16_t external_port = 0;
        Instant last_outbound;
        std::vector<Permission> permissions;
    };

    void expire(Instant now);
    SocketAddress mapping_key(SocketAddress destination) const;
    bool port_taken(std::uint16_t port) const;
    std::uint16_t allocate_port(std::uint16_t internal_port);
    bool permits(const Entry& entry, SocketAddress from) const;

    NatConfig config_;
    IpAddress external_ip_;
    Random& random_;
    std::vector<Entry> entries_;
    std::optional<Instant> next_expiry_;        // no mapping or permission expires before this
    std::vector<std::uint16_t> retired_ports_;  // used before a rebind(); never handed out again
    NatStats stats_;
};

}  // namespace floe::sim
