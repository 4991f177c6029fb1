// STUN and TURN server URIs (RFC 7064, RFC 7065), as WebRTC configurations write them:
//   stun:host[:port]    stuns:host[:port]
//   turn:host[:port][?transport=udp|tcp]    turns:host[:port][?transport=tcp]
// host is a DNS name, an IPv4 literal or an IPv6 literal in brackets. No user info (credentials
// are the configuration's username/credential, and "turn:user:pass@host" says so), no path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <floe/result.hpp>

namespace floe::stun {

enum class UrlScheme : std::uint8_t { stun, stuns, turn, turns };
enum class UrlTransport : std::uint8_t { udp, tcp };

std::string_view to_string(UrlScheme scheme);

struct Url {
    UrlScheme scheme = UrlScheme::stun;
    std::string host;  // without brackets
    std::uint16_t port = 3478;
    std::optional<UrlTransport> transport;  // turn(s) only

    bool host_is_ipv6_literal() const { return host.find(':') != std::string::npos; }
    bool secure() const { return scheme == UrlScheme::stuns || scheme == UrlScheme::turns; }
    // Canonical text: scheme lower-case, IPv6 in brackets, the port always written.
    std::string to_string() const;
};

// 3478 for stun/turn, 5349 for stuns/turns.
std::uint16_t default_port(UrlScheme scheme);

// The reason is a sentence fragment for the user ("unknown scheme 'http'").
Result<Url, std::string> parse_url(std::string_view text);

}  // namespace floe::stun
