// `floe turn` against Debian's coturn on 127.0.0.1, over UDP, TCP and TLS: a real allocation, a
// permission, a Send indication and ChannelData to a UDP echo and back, refreshes with a nonce
// going stale mid-run, the deallocation, and clear failures for wrong credentials and an
// unverifiable certificate. coturn runs with a configuration the test writes, relays only on
// loopback, and is stopped by PID.
#include <doctest/doctest.h>

#include <poll.h>

#include <atomic>
#include <thread>

#include "coturn.hpp"
#include "stun_helpers.hpp"

using namespace floe;
using namespace floe::test;

namespace {

// A UDP echo on 127.0.0.1 (the peer behind the relay), on its own thread until destroyed.
struct UdpEcho {
    int fd = -1;
    std::uint16_t port = 0;
    std::atomic<bool> stop{false};
    std::atomic<int> echoed{0};
    std::thread thread;

    UdpEcho() {
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        thread = std::thread([this] {
            std::uint8_t buffer[65536];
            while (!stop) {
                pollfd p{fd, POLLIN, 0};
                if (poll(&p, 1, 100) <= 0) continue;
                sockaddr_in from{};
                socklen_t n = sizeof from;
                const auto got =
                    recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &n);
                if (got < 0) continue;
                sendto(fd, buffer, static_cast<std::size_t>(got), 0,
                       reinterpret_cast<sockaddr*>(&from), n);
                ++echoed;
            }
        });
    }
    ~UdpEcho() {
        stop = true;
        thread.join();
        close(fd);
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

RunResult floe_turn(const std::string& url, std::vector<std::string> extra) {
    std::vector<std::string> argv = {FLOE_CLI_PATH, "turn", url, "--username", "alice"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, 60s);
}

bool has(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "floe turn allocates on coturn over UDP, TCP and TLS, relays to a UDP echo by "
    "indication and channel, refreshes through a stale nonce, and deallocates") {
    TurnCoturn coturn;
    UdpEcho echo;
    const std::string host = "127.0.0.1:";
    const std::pair<std::string, std::vector<std::string>> runs[] = {
        {"turn:" + host + std::to_string(coturn.port), {"--rto-ms", "100", "--rc", "8"}},
        {"turn:" + host + std::to_string(coturn.port) + "?transport=tcp", {}},
        {"turns:" + host + std::to_string(coturn.tls_port), {"--tls-ca", coturn.cert}},
    };
    for (const auto& run : runs) {
        // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
        const std::string& url = run.first;
        const std::vector<std::string>& extra = run.second;
        CAPTURE(url);
        std::vector<std::string> args = {"--credential", "secret", "--peer", echo.address(),
                                         "--hold",       "5",      "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const int echoed_before = echo.echoed;
        auto r = floe_turn(url, args);
        REQUIRE(r.status);
        CHECK_MESSAGE(*r.status == 0, r.out << r.err << "\nturnserver log:\n" << coturn.log());
        CHECK(has(r.out, "\"allocated\":true"));
        CHECK(has(r.out, "\"relayed\":\"127.0.0.1:"));
        CHECK(has(r.out, "\"mapped\":\"127.0.0.1:"));
        CHECK(has(r.out, "\"lifetime_s\":4"));
        CHECK(has(r.out, "\"permission\":true"));
        CHECK(has(r.out, "\"channel\":16384"));
        CHECK(has(r.out, "{\"via\":\"indication\",\"rtt_ms\":"));
        CHECK(has(r.out, "{\"via\":\"channel\",\"rtt_ms\":"));
        CHECK_FALSE(has(r.out, "null"));  // every datagram came back
        // 5 s on a 4 s allocation: refreshed at 2 s intervals; the 3 s nonce went stale.
        CHECK_FALSE(has(r.out, "\"refreshes\":0,"));
        CHECK_FALSE(has(r.out, "\"stale_nonces\":0,"));
        CHECK(has(r.out, "\"deallocated\":true"));
        CHECK(echo.echoed - echoed_before == 3);
    }
    CHECK(coturn.process->running());
}

TEST_CASE("floe turn with a wrong password fails with a clear reason on coturn") {
    TurnCoturn coturn;
    for (const std::string& url :
         {"turn:127.0.0.1:" + std::to_string(coturn.port),
          "turn:127.0.0.1:" + std::to_string(coturn.port) + "?transport=tcp"}) {
        CAPTURE(url);
        auto r = floe_turn(url, {"--credential", "not-the-password", "--rto-ms", "100"});
        REQUIRE(r.status);
        CHECK(*r.status == 1);
        CHECK(has(r.err, "wrong credentials"));
        CHECK(has(r.err, "401"));
    }
}

TEST_CASE("floe turn over TLS refuses coturn's self-signed certificate unless told to trust it") {
    TurnCoturn coturn;
    const std::string url = "turns:127.0.0.1:" + std::to_string(coturn.tls_port);
    auto refused = floe_turn(url, {"--credential", "secret"});
    REQUIRE(refused.status);
    CHECK(*refused.status == 1);
    CHECK(has(refused.err, "certificate"));
    CHECK_FALSE(has(refused.out, "relayed"));

    auto insecure = floe_turn(url, {"--credential", "secret", "--tls-insecure", "--json"});
    REQUIRE(insecure.status);
    CHECK_MESSAGE(*insecure.status == 0, insecure.err);
    CHECK(has(insecure.out, "\"deallocated\":true"));
}
