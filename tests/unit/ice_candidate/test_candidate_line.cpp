#include <doctest/doctest.h>

#include <floe/ice/candidate.hpp>

using namespace floe::ice;

TEST_CASE("a Chromium host candidate parses with its generation and network-cost kept") {
    auto c = Candidate::parse(
        "candidate:1848090273 1 udp 2113937151 198.18.0.1 33038 typ host generation 0 "
        "network-cost 999");
    REQUIRE(c.ok());
    CHECK(c->foundation == "1848090273");
    CHECK(c->component == 1);
    CHECK(c->transport == TransportProtocol::udp);
    CHECK(c->priority == 2113937151u);
    CHECK(c->address == "198.18.0.1");
    CHECK(c->port == 33038);
    CHECK(c->type == CandidateType::host);
    CHECK(!c->related_address);
    CHECK(c->extension("generation") == "0");
    CHECK(c->extension("network-cost") == "999");
    CHECK(!c->extension("ufrag"));
    REQUIRE(c->socket_address());
    CHECK(c->socket_address()->to_string() == "198.18.0.1:33038");
    CHECK(!c->is_mdns());
}

TEST_CASE("to_string writes the canonical form and parses back to the same candidate") {
    const char* lines[] = {
        "candidate:1848090273 1 udp 2113937151 198.18.0.1 33038 typ host generation 0 ufrag Ys3t "
        "network-id 1 network-cost 999",
        "candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 10.0.0.2 rport "
        "51234 generation 0",
        "candidate:3 1 tcp 1518280447 2001:db8::1 9 typ host tcptype active",
        "candidate:x+/Y 2 udp 41885439 198.51.100.9 3478 typ relay raddr 0.0.0.0 rport 0",
        "candidate:1 1 udp 2122260223 1f4712db-ea17-4bcf-a596-105139dfd8bf.local 54321 typ host",
    };
    for (const char* line : lines) {
        CAPTURE(line);
        auto c = Candidate::parse(line);
        REQUIRE(c.ok());
        CHECK(c->to_string() == line);
        auto again = Candidate::parse(c->to_string());
        REQUIRE(again.ok());
        CHECK(*again == *c);
    }
}

TEST_CASE("an a= prefix, upper-case keywords, CRLF and doubled spaces are accepted") {
    auto c = Candidate::parse(
        "a=candidate:1 1 UDP 100  192.0.2.1 5000 TYP SRFLX RADDR 10.0.0.1 RPORT 9\r\n");
    REQUIRE(c.ok());
    CHECK(c->type == CandidateType::srflx);
    CHECK(c->related_address == "10.0.0.1");
    CHECK(c->related_port == 9);
    CHECK(c->to_string() ==
          "candidate:1 1 udp 100 192.0.2.1 5000 typ srflx raddr 10.0.0.1 rport 9");
}

TEST_CASE("mDNS candidates have no socket address and say so") {
    auto c = Candidate::parse("candidate:1 1 udp 2122260223 abc-def.local 54321 typ host");
    REQUIRE(c.ok());
    CHECK(c->is_mdns());
    CHECK(!c->socket_address());
}

TEST_CASE("an IPv6 candidate gives a v6 socket address") {
    auto c = Candidate::parse("candidate:2 1 udp 2113939711 2001:2::1 43508 typ host");
    REQUIRE(c.ok());
    REQUIRE(c->socket_address());
    CHECK(c->socket_address()->is_v6());
    CHECK(c->socket_address()->port() == 43508);
}

TEST_CASE("malformed candidate lines name the field that is wrong") {
    struct Case {
        const char* line;
        std::size_t field;
    };
    const Case cases[] = {
        {"cand:1 1 udp 1 192.0.2.1 1 typ host", 0},
        {"candidate:1 1 udp 1 192.0.2.1", 6},                   // five fields
        {"candidate: 1 udp 1 192.0.2.1 1 typ host", 2},         // empty foundation: fields shift
        {"candidate:abc_def 1 udp 1 192.0.2.1 1 typ host", 1},  // '_' not an ice-char
        {"candidate:123456789012345678901234567890123 1 udp 1 192.0.2.1 1 typ host", 1},
        {"candidate:1 0 udp 1 192.0.2.1 1 typ host", 2},
        {"candidate:1 257 udp 1 192.0.2.1 1 typ host", 2},
        {"candidate:1 1 sctp 1 192.0.2.1 1 typ host", 3},
        {"candidate:1 1 udp 4294967296 192.0.2.1 1 typ host", 4},
        {"candidate:1 1 udp -5 192.0.2.1 1 typ host", 4},
        {"candidate:1 1 udp 1 256.1.1.1 1 typ host", 5},
        {"candidate:1 1 udp 1 [::1] 1 typ host", 5},
        {"candidate:1 1 udp 1 192.0.2.1 65536 typ host", 6},
        {"candidate:1 1 udp 1 192.0.2.1 1 type host", 7},
        {"candidate:1 1 udp 1 192.0.2.1 1 typ nat", 8},
        {"candidate:1 1 udp 1 192.0.2.1 1 typ host generation", 9},
        {"candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr nope! rport 1", 10},
        {"candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr 1.2.3.4 rport x", 12},
        {"candidate:1 1 tcp 1 192.0.2.1 9 typ host tcptype both", 10},
        {"candidate:1 1 udp 1 192.0.2.1 1 typ srflx raddr 1.2.3.4 raddr 1.2.3.4", 11},
    };
    for (const auto& k : cases) {
        CAPTURE(k.line);
        auto c = Candidate::parse(k.line);
        REQUIRE(!c.ok());
        CHECK(c.error().field == k.field);
        CHECK(!c.error().reason.empty());
    }
}

TEST_CASE("enum names are the RFC tokens") {
    CHECK(to_string(CandidateType::prflx) == "prflx");
    CHECK(to_string(CandidateType::relay) == "relay");
    CHECK(to_string(TransportProtocol::tcp) == "tcp");
}
