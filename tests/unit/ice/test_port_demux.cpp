// One UDP port for many sessions: who gets each datagram, and what is dropped.
#include <doctest/doctest.h>

#include <floe/stun/builder.hpp>

#include "ice/port_demux.hpp"

using namespace floe;
using namespace floe::ice;
using namespace std::chrono_literals;

namespace {

const Instant t0 = Instant{} + 1h;
const SocketAddress browser_a = *SocketAddress::parse("198.18.0.10:50000");
const SocketAddress browser_b = *SocketAddress::parse("198.18.0.11:50001");
const SocketAddress stun_server = *SocketAddress::parse("198.18.0.99:3478");

stun::TransactionId id(std::uint8_t n) {
    return {n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
}

Bytes check(std::string_view username, std::uint8_t n = 1) {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request}, id(n));
    b.add_username(username).add_priority(1).add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

Bytes response(std::uint8_t n) {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::success_response},
                           id(n));
    b.add_xor_mapped_address(browser_a).add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

const Bytes dtls_hello{22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};

}  // namespace

TEST_CASE("a check reaches the session whose local ufrag leads its USERNAME") {
    PortDemux demux;
    demux.add_owner(1, "srvA");
    demux.add_owner(2, "srvB");
    CHECK(demux.route(t0, check("srvA:browserA"), browser_a) == 1u);
    CHECK(demux.route(t0, check("srvB:browserB"), browser_b) == 2u);
    // the sender's ufrag (after the colon) is not the key
    CHECK_FALSE(demux.route(t0, check("browserA:srvA"), browser_a));
    CHECK(demux.counters().unknown_ufrag == 1);
    CHECK(demux.counters().routed == 2);
}

TEST_CASE("responses go to the session that sent the request, even to one STUN server") {
    PortDemux demux;
    demux.add_owner(1, "srvA");
    demux.add_owner(2, "srvB");
    demux.note_request(1, id(7), t0);
    demux.note_request(2, id(8), t0);
    CHECK(demux.route(t0 + 1s, response(8), stun_server) == 2u);
    CHECK(demux.route(t0 + 1s, response(7), stun_server) == 1u);
    CHECK(demux.route(t0 + 2s, response(7), stun_server) == 1u);  // a retransmission's answer
    CHECK_FALSE(demux.route(t0 + 1s, response(9), stun_server));  // never asked
    CHECK(demux.counters().unknown_response == 1);
    // RFC 8489: given up after 39.5 s; its late answer goes nowhere
    CHECK_FALSE(demux.route(t0 + 41s, response(7), stun_server));
}

TEST_CASE("DTLS reaches a session only from an address its ICE agent validated") {
    PortDemux demux;
    demux.add_owner(1, "srvA");
    // a check naming the session does not open the address to other traffic
    CHECK(demux.route(t0, check("srvA:browserA"), browser_a) == 1u);
    CHECK_FALSE(demux.route(t0, dtls_hello, browser_a));
    CHECK(demux.counters().unknown_address == 1);
    demux.validate(1, browser_a);
    CHECK(demux.route(t0, dtls_hello, browser_a) == 1u);
    CHECK_FALSE(demux.route(t0, dtls_hello, browser_b));
}

TEST_CASE("an address validated by a second session moves to it, counted") {
    PortDemux demux;
    demux.add_owner(1, "srvA");
    demux.add_owner(2, "srvB");
    demux.validate(1, browser_a);
    demux.validate(2, browser_a);
    CHECK(demux.route(t0, dtls_hello, browser_a) == 2u);
    CHECK(demux.counters().address_taken_over == 1);
    demux.remove_owner(2);
    CHECK_FALSE(demux.route(t0, dtls_hello, browser_a));  // not back to 1: it moved
}

TEST_CASE("a closed session is forgotten: its ufrag, addresses and requests") {
    PortDemux demux;
    demux.add_owner(1, "srvA");
    demux.validate(1, browser_a);
    demux.note_request(1, id(3), t0);
    demux.remove_owner(1);
    CHECK(demux.owners() == 0);
    CHECK_FALSE(demux.route(t0, check("srvA:browserA"), browser_a));
    CHECK_FALSE(demux.route(t0, dtls_hello, browser_a));
    CHECK_FALSE(demux.route(t0, response(3), browser_a));
}

TEST_CASE("removing a session leaves every other one routed, also a ufrag that moved to it") {
    PortDemux demux;
    demux.add_owner(1, "srvA");
    demux.add_owner(2, "srvB");
    demux.add_owner(3, "srvA");  // the ufrag moves: owner 1 keeps it in its list, not in the table
    demux.validate(2, browser_b);
    demux.note_request(2, id(7), t0);
    demux.remove_owner(1);
    CHECK(demux.owners() == 2);
    CHECK(demux.route(t0, check("srvA:peer"), browser_a) == 3u);
    CHECK(demux.route(t0, check("srvB:peer"), browser_b) == 2u);
    CHECK(demux.route(t0, dtls_hello, browser_b) == 2u);
    CHECK(demux.route(t0, response(7), stun_server) == 2u);
    demux.remove_owner(3);
    CHECK_FALSE(demux.route(t0, check("srvA:peer"), browser_a));
    CHECK(demux.route(t0, check("srvB:peer"), browser_b) == 2u);
}

TEST_CASE("an ICE restart's new ufrag routes too; the old one can be dropped") {
    PortDemux demux;
    demux.add_owner(1, "old1");
    demux.add_owner(1, "new1");
    CHECK(demux.route(t0, check("new1:peer"), browser_a) == 1u);
    CHECK(demux.route(t0, check("old1:peer"), browser_a) == 1u);
    demux.remove_ufrag("old1");
    CHECK_FALSE(demux.route(t0, check("old1:peer"), browser_a));
}

TEST_CASE("every table is bounded: addresses per session, remembered requests") {
    PortDemux demux({.max_transactions = 4, .max_addresses_per_owner = 2});
    demux.add_owner(1, "srvA");
    const auto at = [](std::uint16_t port) { return SocketAddress(browser_a.ip(), port); };
    demux.validate(1, at(1));
    demux.validate(1, at(2));
    demux.validate(1, at(3));  // the oldest goes
    CHECK_FALSE(demux.route(t0, dtls_hello, at(1)));
    CHECK(demux.route(t0, dtls_hello, at(3)) == 1u);
    for (std::uint8_t n = 0; n < 6; ++n)
        demux.note_request(1, id(n), t0);
    CHECK_FALSE(demux.route(t0, response(0), stun_server));  // made room
    CHECK(demux.route(t0, response(5), stun_server) == 1u);
}

TEST_CASE("garbage that looks like STUN is dropped and counted, never routed") {
    PortDemux demux;
    demux.add_owner(1, "srvA");
    Bytes bad = check("srvA:browserA");
    bad[3] ^= 4;  // the header's length no longer matches
    CHECK_FALSE(demux.route(t0, bad, browser_a));
    CHECK(demux.counters().malformed_stun == 1);
    CHECK_FALSE(demux.route(t0, {}, browser_a));
}
