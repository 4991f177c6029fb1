// The tools API (floe/tools/stun.hpp) the CLI is built on: its STUN client and server on loopback,
// its progress lines, a closed port refused at once, and the errors a caller gets for URLs it
// cannot use.
#include <cstddef>  // before asio (doctest.h includes no std header): see rtc/udp_socket.hpp

#include <doctest/doctest.h>

#include <asio.hpp>

#include <string>
#include <vector>

#include <floe/tools/stun.hpp>

#include "rtc/udp_socket.hpp"

using namespace floe;
using namespace std::chrono_literals;

TEST_CASE("tools::stun_binding gets its mapped address from a tools::StunServer on loopback") {
    tools::StunServer server(
        {*SocketAddress::parse("127.0.0.1:0"), *SocketAddress::parse("[::1]:0")}, "tools test");
    const auto addresses = server.local_addresses();
    REQUIRE(addresses.size() == 2);
    REQUIRE(addresses[0].port() != 0);

    auto v4 = tools::stun_binding("stun:" + addresses[0].to_string(), {.software = "client"});
    REQUIRE(v4.ok());
    CHECK(v4->outcome == tools::StunBindingResult::Outcome::success);
    CHECK(v4->server == addresses[0]);
    REQUIRE(v4->mapped);
    CHECK(v4->mapped->ip() == IpAddress::loopback(AddressFamily::ipv4));
    CHECK(v4->mapped->port() == v4->local.port());
    CHECK(v4->software == "tools test");
    CHECK(v4->transmissions == 1);

    auto v6 = tools::stun_binding("stun:" + addresses[1].to_string());
    REQUIRE(v6.ok());
    REQUIRE(v6->mapped);
    CHECK(v6->mapped->is_v6());

    // Read while the server runs (on its thread), then after stop().
    CHECK(server.counters().starts_with("received=2 success=2 errors=0"));
    server.stop();
    server.stop();  // idempotent
    CHECK(server.counters().starts_with("received=2 success=2"));
}

TEST_CASE("tools::stun_binding times out after the configured transmissions") {
    // A socket that holds the port and never answers (a closed port would answer with ICMP).
    asio::io_context io;
    rtc::UdpSocket mute(io, *SocketAddress::parse("127.0.0.1:0"));
    const SocketAddress silent = mute.local_address();
    std::vector<std::string> progress;
    auto r = tools::stun_binding(
        "stun:" + silent.to_string(),
        {.initial_rto = 10ms,
         .max_transmissions = 2,
         .final_wait_multiplier = 2,
         .progress = [&](const std::string& line) { progress.push_back(line); }});
    REQUIRE(r.ok());
    CHECK(r->outcome == tools::StunBindingResult::Outcome::timed_out);
    CHECK(r->transmissions == 2);
    REQUIRE(progress.size() == 1);  // after the one retransmission
    CHECK(progress[0].starts_with("no answer yet from " + silent.to_string() +
                                  ", sent the last request (2/2), giving up in "));
}

TEST_CASE("tools::stun_binding to a port nothing listens on is refused at once (ICMP)") {
    // A server that was stopped: its port is free, and the kernel answers port unreachable.
    SocketAddress closed;
    {
        tools::StunServer server({*SocketAddress::parse("127.0.0.1:0")});
        closed = server.local_addresses().front();
    }
    auto r = tools::stun_binding(
        "stun:" + closed.to_string(),
        {.initial_rto = 10ms, .max_transmissions = 2, .final_wait_multiplier = 2});
    REQUIRE(r.ok());
    CHECK(r->outcome == tools::StunBindingResult::Outcome::refused);
    CHECK(r->error_reason == "port unreachable (ICMP)");
    CHECK(r->transmissions == 1);
    CHECK_FALSE(r->mapped);
}

TEST_CASE("tools::stun_binding refuses URLs it cannot use, saying why") {
    using Kind = tools::StunBindingError::Kind;
    auto bad = tools::stun_binding("127.0.0.1:3478");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == Kind::bad_url);
    auto secure = tools::stun_binding("stuns:127.0.0.1");
    REQUIRE_FALSE(secure.ok());
    CHECK(secure.error().kind == Kind::unsupported_scheme);
    CHECK(secure.error().message.find("stuns") != std::string::npos);
    auto family = tools::stun_binding("stun:127.0.0.1", {.families = tools::AddressFamilies::ipv6});
    REQUIRE_FALSE(family.ok());
    CHECK(family.error().kind == Kind::unresolved);
}

TEST_CASE("tools::StunServer refuses an address it cannot bind") {
    tools::StunServer first({*SocketAddress::parse("127.0.0.1:0")});
    CHECK_THROWS_AS(tools::StunServer({first.local_addresses().front()}), std::system_error);
}
