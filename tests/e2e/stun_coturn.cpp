// Interop with coturn (Debian's `coturn`): `floe stun` against turnserver, and coturn's
// turnutils_stunclient against `floe stun-server`, on IPv4 and IPv6 loopback. Fails when coturn
// is missing: install it (scripts/install-deps.sh).
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "stun_helpers.hpp"

using namespace floe;
using namespace floe::test;

TEST_CASE("floe stun gets its mapped address from coturn on IPv4 and IPv6 loopback") {
    Coturn coturn;
    // Retransmissions (100 ms doubling, 8 sends over 12.7 s) cover coturn's start-up once its
    // socket is bound; before that the port is closed and floe stun ends at once ("refused",
    // ICMP port unreachable): asked again until coturn listens, within a deadline.
    const std::vector<std::string> patient = {"--json", "--rto-ms", "100", "--rc", "8"};
    const auto ask = [&](const std::string& url) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        for (;;) {
            auto r = floe_stun(url, patient);
            if (r.out.find("\"error\":\"refused\"") == std::string::npos ||
                std::chrono::steady_clock::now() > deadline)
                return r;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    };
    auto v4 = ask("stun:127.0.0.1:" + std::to_string(coturn.port));
    REQUIRE(v4.status);
    CHECK_MESSAGE(*v4.status == 0, v4.err << "\nturnserver log:\n" << coturn.log());
    CHECK(v4.out.find("\"mapped\":\"127.0.0.1:") != std::string::npos);
    CHECK(v4.out.find("\"software\":\"Coturn") != std::string::npos);

    auto v6 = ask("stun:[::1]:" + std::to_string(coturn.port));
    REQUIRE(v6.status);
    CHECK_MESSAGE(*v6.status == 0, v6.err << "\nturnserver log:\n" << coturn.log());
    CHECK(v6.out.find("\"mapped\":\"[::1]:") != std::string::npos);
    CHECK(coturn.process->running());
}

TEST_CASE("coturn's turnutils_stunclient gets its mapped address from floe stun-server") {
    REQUIRE_MESSAGE(find_program("turnutils_stunclient"),
                    "coturn's turnutils_stunclient is missing");
    FloeStunServer server({"127.0.0.1:0", "[::1]:0"});
    auto v4 =
        run({"turnutils_stunclient", "-p", std::to_string(server.addresses[0].port()), "127.0.0.1"},
            30s);
    REQUIRE(v4.status);
    CHECK(*v4.status == 0);
    CHECK(v4.out.find("UDP reflexive addr: 127.0.0.1:") != std::string::npos);
    auto v6 =
        run({"turnutils_stunclient", "-p", std::to_string(server.addresses[1].port()), "::1"}, 30s);
    REQUIRE(v6.status);
    CHECK(*v6.status == 0);
    CHECK(v6.out.find("UDP reflexive addr: ::1:") != std::string::npos);
    const std::string out = server.stop();
    CHECK(out.find("success=2") != std::string::npos);
}
