// STUN/TURN URIs (RFC 7064 / RFC 7065).
#include <doctest/doctest.h>

#include <optional>

#include "stun/url.hpp"

using namespace floe::stun;

TEST_CASE("stun URIs: default port, explicit port, IPv6 in brackets, case-insensitive scheme") {
    auto u = parse_url("stun:stun.l.google.com:19302");
    REQUIRE(u);
    CHECK(u->scheme == UrlScheme::stun);
    CHECK(u->host == "stun.l.google.com");
    CHECK(u->port == 19302);
    CHECK(parse_url("stun:example.org")->port == 3478);
    CHECK(parse_url("stuns:example.org")->port == 5349);
    CHECK(parse_url("STUN:Example.org")->scheme == UrlScheme::stun);
    auto v6 = parse_url("stun:[::1]:3479");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->host_is_ipv6_literal());
    CHECK(v6->to_string() == "stun:[::1]:3479");
    CHECK(parse_url("stun:[2001:db8::1]")->port == 3478);
    CHECK(parse_url("stun:127.0.0.1:1")->to_string() == "stun:127.0.0.1:1");
    CHECK(parse_url("stuns:x.org")->secure());
}

TEST_CASE("turn URIs carry ?transport=") {
    auto u = parse_url("turn:turn.example.org?transport=tcp");
    REQUIRE(u);
    CHECK(u->scheme == UrlScheme::turn);
    CHECK(*u->transport == UrlTransport::tcp);
    CHECK(u->port == 3478);
    auto s = parse_url("turns:[::1]:443?transport=tcp");
    REQUIRE(s);
    CHECK(*s->transport == UrlTransport::tcp);
    CHECK(s->secure());
    CHECK(s->to_string() == "turns:[::1]:443?transport=tcp");
    CHECK_FALSE(parse_url("turn:x.org").value().transport);
}

TEST_CASE("every RFC 7064/7065 form: default ports, IPv6 in brackets, transports") {
    struct Form {
        const char* text;
        UrlScheme scheme;
        const char* host;
        std::uint16_t port;
        std::optional<UrlTransport> transport;
    };
    const Form forms[] = {
        {"stun:example.org", UrlScheme::stun, "example.org", 3478, std::nullopt},
        {"stuns:example.org", UrlScheme::stuns, "example.org", 5349, std::nullopt},
        {"turn:example.org", UrlScheme::turn, "example.org", 3478, std::nullopt},
        {"turns:example.org", UrlScheme::turns, "example.org", 5349, std::nullopt},
        {"turn:192.0.2.1:3479?transport=udp", UrlScheme::turn, "192.0.2.1", 3479,
         UrlTransport::udp},
        {"turn:[2001:db8::1]?transport=tcp", UrlScheme::turn, "2001:db8::1", 3478,
         UrlTransport::tcp},
        {"TURNS:[::1]?Transport=TCP", UrlScheme::turns, "::1", 5349, UrlTransport::tcp},
        {"turns:example.org:443", UrlScheme::turns, "example.org", 443, std::nullopt},
    };
    for (const auto& f : forms) {
        CAPTURE(f.text);
        auto u = parse_url(f.text);
        REQUIRE(u);
        CHECK(u->scheme == f.scheme);
        CHECK(u->host == f.host);
        CHECK(u->port == f.port);
        CHECK(u->transport == f.transport);
        // The canonical text parses back to the same URL.
        auto again = parse_url(u->to_string());
        REQUIRE(again);
        CHECK(again->to_string() == u->to_string());
    }
}

TEST_CASE("turn:user:pass@host is explained, not read as an IPv6 address") {
    for (const char* text : {"turn:user:pass@turn.example.org", "turn:user@turn.example.org:3478",
                             "turns:u:p@[::1]?transport=tcp", "stun:user:pass@example.org"}) {
        CAPTURE(text);
        auto u = parse_url(text);
        REQUIRE_FALSE(u.ok());
        CHECK(u.error().find("credentials go in username/credential, not the URL") !=
              std::string::npos);
        CHECK(u.error().find("IPv6") == std::string::npos);
    }
}

TEST_CASE("turns: takes transport=tcp only (TLS runs on TCP)") {
    auto u = parse_url("turns:example.org?transport=udp");
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().find("tcp") != std::string::npos);
    CHECK(parse_url("turn:example.org?transport=udp").ok());
}

TEST_CASE("bad STUN URIs are refused with a reason") {
    for (const char* bad :
         {"", "example.org", "http://example.org", "stun://example.org", "stun:", "stun:host:",
          "stun:host:0", "stun:host:65536", "stun:host:12ab", "stun:::1", "stun:[::1",
          "stun:[::1]x", "stun:[127.0.0.1]", "stun:[::1]:", "stun:ho st", "stun:host?transport=udp",
          "turn:host?transport=sctp", "turn:user@host", "stun:host:1:2"}) {
        CAPTURE(bad);
        auto u = parse_url(bad);
        CHECK_FALSE(u.ok());
        if (!u.ok()) CHECK_FALSE(u.error().empty());
    }
}
