// Which local addresses become host candidates (RFC 8445 §5.1.1.1). Enumerating interfaces is the
// runtime's job; this pure function decides, so the rule is the same everywhere and testable.
#pragma once

#include <string>
#include <vector>

#include <floe/socket_address.hpp>

namespace floe::ice {

struct InterfaceAddress {
    std::string interface;  // "eth0", "lo", ...
    IpAddress address;
    friend bool operator==(const InterfaceAddress&, const InterfaceAddress&) = default;
};

struct HostPolicy {
    bool ipv4 = true;
    bool ipv6 = true;
    bool loopback = false;    // 127.0.0.0/8 and ::1 (tests and same-host demos turn it on)
    bool link_local = false;  // 169.254/16 and fe80::/10 (RFC 8445 §5.1.1.1: SHOULD NOT)
    // When not empty, only these interfaces (by name) or addresses (by literal) are used.
    std::vector<std::string> allow;
};

// The addresses to gather on, in the order given, without duplicates. Unspecified addresses and
// IPv4-mapped IPv6 addresses are never used; neither are site-local (fec0::/10) ones.
std::vector<InterfaceAddress> select_host_addresses(const std::vector<InterfaceAddress>& available,
                                                    const HostPolicy& policy);

}  // namespace floe::ice
