// Configuration::ice_servers checked and turned into what the ICE agent uses: the addresses of
// the stun: servers (resolved) and the TURN entries, checked and kept for the TURN client. Throws
// InvalidArgumentError naming the entry ("ICE server 2 (turn:x.org): ...") for anything unusable.
#pragma once

#include <string>
#include <vector>

#include <floe/configuration.hpp>
#include <floe/socket_address.hpp>

#include "stun/url.hpp"

namespace floe::rtc {

// A turn: or turns: URL with the entry's long-term credentials (RFC 8489 §9.2).
struct TurnServer {
    stun::Url url;
    std::string text;  // the URL as configured
    std::string username;
    std::string credential;
};

struct IceServers {
    std::vector<SocketAddress> stun;     // every address each stun: host resolved to
    std::vector<std::string> stun_urls;  // the URL each of `stun` came from
    // stun: servers whose host did not resolve, with the resolver's reason.
    struct Unresolved {
        std::string url;
        std::string error;
    };
    std::vector<Unresolved> unresolved;
    std::vector<TurnServer> turn;  // checked, not resolved: the TURN client does that
};

// Checks every entry first (throws before any DNS lookup), then resolves the stun: hosts (a
// blocking lookup; a host that does not resolve is logged, listed in `unresolved` and skipped,
// as browsers do).
IceServers resolve_ice_servers(const std::vector<IceServer>& servers);

}  // namespace floe::rtc
