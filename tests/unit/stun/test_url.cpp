// STUN/TURN URIs (RFC 7064 / RFC 7065).
#include <doctest/doctest.h>

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
    auto s = parse_url("turns:[::1]:443?transport=udp");
    REQUIRE(s);
    CHECK(*s->transport == UrlTransport::udp);
    CHECK(s->to_string() == "turns:[::1]:443?transport=udp");
    CHECK_FALSE(parse_url("turn:x.org").value().transport);
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
