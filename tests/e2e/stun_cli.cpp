// `floe stun` against `floe stun-server` on real loopback sockets (IPv4 and IPv6), timeouts,
// resolve failures, and `floe demo`.
#include <cstddef>  // before asio (doctest.h includes no std header): see rtc/udp_socket.hpp

#include <doctest/doctest.h>

#include <asio.hpp>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "rtc/resolver.hpp"
#include "rtc/udp_socket.hpp"
#include "stun_helpers.hpp"

using namespace floe;
using namespace floe::test;

TEST_CASE("floe stun gets its mapped address from floe stun-server on IPv4 and IPv6 loopback") {
    FloeStunServer server({"127.0.0.1:0", "[::1]:0"}, {"--software", "floe stun-server"});
    REQUIRE(server.addresses.size() == 2);
    CHECK(server.addresses[0].is_v4());
    CHECK(server.addresses[1].is_v6());
    CHECK(server.addresses[0].port() != 0);

    auto v4 = floe_stun(stun_url(server.addresses[0]));
    REQUIRE(v4.status);
    CHECK_MESSAGE(*v4.status == 0, v4.err);
    CHECK(v4.out.find("mapped    127.0.0.1:") != std::string::npos);
    CHECK(v4.out.find("software  floe ") != std::string::npos);
    CHECK(v4.out.find("rtt       ") != std::string::npos);

    auto v6 = floe_stun(stun_url(server.addresses[1]), {"--json"});
    REQUIRE(v6.status);
    CHECK_MESSAGE(*v6.status == 0, v6.err);
    CHECK(v6.out.find("\"mapped\":\"[::1]:") != std::string::npos);
    CHECK(v6.out.find("\"transmissions\":1") != std::string::npos);
    CHECK(v6.out.find("\"software\":\"floe ") != std::string::npos);

    const std::string out = server.stop();
    CHECK(out.find("counters: received=2 success=2 errors=0") != std::string::npos);
}

TEST_CASE("floe stun reports a timeout cleanly when nothing answers") {
    // A socket that never answers holds the port, so nothing else can.
    asio::io_context io;
    rtc::UdpSocket silent(io, *SocketAddress::parse("127.0.0.1:0"));
    auto r =
        floe_stun(stun_url(silent.local_address()), {"--rto-ms", "20", "--rc", "3", "--rm", "2"});
    REQUIRE(r.status);
    CHECK(*r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("no response from 127.0.0.1:") != std::string::npos);
    CHECK(r.err.find("after 3 transmissions") != std::string::npos);

    auto json = floe_stun(stun_url(silent.local_address()),
                          {"--json", "--rto-ms", "20", "--rc", "2", "--rm", "1"});
    REQUIRE(json.status);
    CHECK(*json.status == 1);
    CHECK(json.out.find("\"error\":\"timeout\",\"transmissions\":2") != std::string::npos);
}

TEST_CASE("floe stun fails clearly on a name with no address, a bad URL and stuns:") {
    // An IPv4 literal asked for IPv6 resolves to nothing, without any DNS traffic.
    auto r = floe_stun("stun:127.0.0.1:3478", {"--family", "6"});
    REQUIRE(r.status);
    CHECK(*r.status == 1);
    CHECK(r.err.find("cannot resolve '127.0.0.1'") != std::string::npos);

    auto bad = floe_stun("stun:[::1");
    REQUIRE(bad.status);
    CHECK(*bad.status == 2);
    CHECK(bad.err.find("bad URL") != std::string::npos);

    auto secure = floe_stun("stuns:127.0.0.1");
    REQUIRE(secure.status);
    CHECK(*secure.status == 2);
    CHECK(secure.err.find("stuns") != std::string::npos);

    auto usage = floe_stun("stun:127.0.0.1", {"--rc", "0"});
    REQUIRE(usage.status);
    CHECK(*usage.status == 2);
}

TEST_CASE("floe stun-server answers a 20-byte request with 40 bytes (IPv4) or 52 (IPv6)") {
    // Amplification towards a spoofed source: 2x over IPv4, 2.6x over IPv6 (XOR-MAPPED-ADDRESS
    // and FINGERPRINT only); SOFTWARE only with --software.
    for (const bool software : {false, true}) {
        CAPTURE(software);
        std::vector<std::string> extra;
        if (software) extra = {"--software", "floe"};
        FloeStunServer server({"127.0.0.1:0", "[::1]:0"}, extra);
        REQUIRE(server.addresses.size() == 2);
        for (const auto& at : server.addresses) {
            CAPTURE(at.to_string());
            asio::io_context io;
            rtc::UdpSocket client(io,
                                  *SocketAddress::parse(at.is_v4() ? "127.0.0.1:0" : "[::1]:0"));
            Bytes request;
            stun::TransactionId id{};
            id.fill(7);
            stun::MessageBuilder(request, {stun::method::binding, stun::MessageClass::request}, id);
            REQUIRE(request.size() == 20);
            std::optional<Bytes> reply;
            client.start_receive([&](const SocketAddress&, ByteSpan data) {
                reply = Bytes(data.begin(), data.end());
                io.stop();
            });
            CHECK_FALSE(client.send_to(request, at));
            io.run_for(std::chrono::seconds(10));
            REQUIRE(reply);
            // "floe" is 4 bytes: SOFTWARE adds its 4-byte header and 4 bytes of value.
            const std::size_t expected = (at.is_v4() ? 40u : 52u) + (software ? 8u : 0u);
            CHECK(reply->size() == expected);
            auto m = stun::Message::decode(*reply);
            REQUIRE(m);
            CHECK(m->transaction_id() == id);
            CHECK(m->xor_mapped_address() == client.local_address());
            CHECK_FALSE(m->has(stun::attr::mapped_address));
            CHECK(m->has(stun::attr::software) == software);
            CHECK(m->check_fingerprint());
        }
        server.stop();
    }
}

TEST_CASE("floe stun-server without --listen is a usage error") {
    auto r = run({FLOE_CLI_PATH, "stun-server"}, 30s);
    REQUIRE(r.status);
    CHECK(*r.status == 2);
    CHECK(r.err.find("--listen") != std::string::npos);
}

// The data-channel demo (apps/floe/cmd_demo.cpp, rtc branch) replaced the interim STUN demo.
TEST_CASE("floe demo: STUN server and two peers on loopback connect, exchange and exit 0") {
    auto r = run({FLOE_CLI_PATH, "demo", "--mib", "4"}, 60s);
    REQUIRE(r.status);
    CHECK_MESSAGE(*r.status == 0, r.err);
    CHECK(r.out.find("1. STUN server listening on 127.0.0.1:") != std::string::npos);
    CHECK(r.out.find("fingerprints match") != std::string::npos);
    CHECK(r.out.find("alice got \"pong\"") != std::string::npos);
    CHECK(r.out.find("4194304 bytes in") != std::string::npos);
    CHECK(r.out.find("success=2") != std::string::npos);
    CHECK(r.out.find("demo: ok") != std::string::npos);
}

TEST_CASE("rtc::UdpSocket exchanges datagrams on IPv4 and IPv6 loopback; resolve finds literals") {
    for (const char* any : {"127.0.0.1:0", "[::1]:0"}) {
        asio::io_context io;
        rtc::UdpSocket a(io, *SocketAddress::parse(any));
        rtc::UdpSocket b(io, *SocketAddress::parse(any));
        CHECK(a.local_address().port() != 0);
        std::string got;
        SocketAddress from;
        b.start_receive([&](const SocketAddress& f, ByteSpan data) {
            got = std::string(as_string(data));
            from = f;
            io.stop();
        });
        CHECK_FALSE(a.send_to(as_bytes("hello"), b.local_address()));
        io.run_for(std::chrono::seconds(10));
        CHECK(got == "hello");
        CHECK(from == a.local_address());
    }
    auto v6 = rtc::resolve("[::1]", 3478, rtc::Families::any);
    REQUIRE(v6);
    CHECK(v6->front().to_string() == "[::1]:3478");
    auto v4 = rtc::resolve("127.0.0.1", 1, rtc::Families::ipv4);
    REQUIRE(v4);
    CHECK(v4->size() == 1);
    CHECK_FALSE(rtc::resolve("127.0.0.1", 1, rtc::Families::ipv6));
}
