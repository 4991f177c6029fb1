// `floe stun` while the user waits: progress lines while it retransmits, an immediate clear error
// when the server's port is closed (ICMP port unreachable), `--trace` and `--pcap`.
#include <cstddef>  // before asio (doctest.h includes no std header): see rtc/udp_socket.hpp

#include <doctest/doctest.h>

#include <asio.hpp>

#include "rtc/udp_socket.hpp"
#include "stun_helpers.hpp"
#include "support/tshark.hpp"

using namespace floe;
using namespace floe::test;

TEST_CASE("floe stun to a closed loopback port ends at once: refused, port unreachable (ICMP)") {
    // A port that was bound and released: nothing listens, so the kernel answers with ICMP.
    SocketAddress closed;
    {
        asio::io_context io;
        rtc::UdpSocket s(io, *SocketAddress::parse("127.0.0.1:0"));
        closed = s.local_address();
    }
    // A schedule of 7 requests over 39.5 s: only the ICMP answer can end it early.
    auto r = floe_stun(stun_url(closed));
    REQUIRE(r.status);
    CHECK(*r.status == 1);
    CHECK(r.out.empty());
    CHECK_MESSAGE(
        r.err.find(closed.to_string() + " refused: port unreachable (ICMP)") != std::string::npos,
        r.err);
    CHECK(r.err.find("no answer yet") == std::string::npos);  // no retransmission happened

    auto json = floe_stun(stun_url(closed), {"--json"});
    REQUIRE(json.status);
    CHECK(*json.status == 1);
    CHECK(json.out.find("\"error\":\"refused\",\"reason\":\"port unreachable (ICMP)\"") !=
          std::string::npos);
}

TEST_CASE("floe stun says what it is doing while it retransmits to a silent server") {
    asio::io_context io;
    rtc::UdpSocket silent(io, *SocketAddress::parse("127.0.0.1:0"));  // holds the port, mute
    const std::string where = silent.local_address().to_string();
    auto r =
        floe_stun(stun_url(silent.local_address()), {"--rto-ms", "100", "--rc", "3", "--rm", "4"});
    REQUIRE(r.status);
    CHECK(*r.status == 1);
    INFO(r.err);
    CHECK(r.err.find("floe stun: no answer yet from " + where +
                     ", retransmitting (2/3, next in 0.2 s)") != std::string::npos);
    CHECK(r.err.find("floe stun: no answer yet from " + where +
                     ", sent the last request (3/3), giving up in 0.4 s") != std::string::npos);
    CHECK(r.err.find("no response from " + where + " after 3 transmissions") != std::string::npos);
}

TEST_CASE("floe stun --trace decodes both messages and --pcap writes them for tshark") {
    FloeStunServer server({"127.0.0.1:0"}, {"--software", "floe stun-server"});
    REQUIRE(server.addresses.size() == 1);
    TempDir dir;
    const std::string file = dir.path() + "/stun.pcapng";
    auto r = floe_stun(stun_url(server.addresses[0]), {"--trace", "--pcap", file});
    REQUIRE(r.status);
    CHECK_MESSAGE(*r.status == 0, r.err);
    CHECK(r.out.find("mapped    127.0.0.1:") != std::string::npos);
    INFO(r.err);
    CHECK(r.err.find("out " + server.addresses[0].to_string() + " STUN Binding request ") !=
          std::string::npos);
    CHECK(r.err.find("in  " + server.addresses[0].to_string() +
                     " STUN Binding success response ") != std::string::npos);
    CHECK(r.err.find("    XOR-MAPPED-ADDRESS 127.0.0.1:") != std::string::npos);
    CHECK(r.err.find("    SOFTWARE \"floe stun-server\"") != std::string::npos);

    // tshark reads the capture: the request and the success response, one frame each.
    auto tshark = tshark_reading(file);
    tshark.insert(tshark.end(),
                  {"-Y", "stun", "-T", "fields", "-e", "stun.type", "-e", "udp.dstport"});
    auto t = run(tshark, std::chrono::seconds(120));
    INFO(t.err);
    REQUIRE(t.status == 0);
    const std::string port = std::to_string(server.addresses[0].port());
    CHECK(t.out == "0x0001\t" + port + "\n0x0101\t" +
                       t.out.substr(t.out.rfind('\t') + 1, std::string::npos));
    CHECK(t.out.starts_with("0x0001\t" + port + "\n0x0101\t"));
    server.stop();
}
