// The ICE options of `floe peer`/`floe chat`: --ice-server with --ice-username/--ice-credential
// in command-line order, --relay-only, --ice-lite; run as a user would.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "coturn.hpp"
#include "support/process.hpp"

using namespace floe::test;
using namespace std::chrono_literals;

namespace {

// `floe peer --role offer` with `extra`, which must fail before any signalling: its stderr.
std::string peer_error(const std::vector<std::string>& extra) {
    TempDir dir;
    std::vector<std::string> argv{FLOE_CLI_PATH, "peer",         "--role",    "offer",
                                  "--signal",    dir.path(),     "--timeout", "2",
                                  "--loopback",  "--ice-server", "none"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run(argv, 20s);
    REQUIRE(r.status);
    CHECK(*r.status != 0);
    return r.err;
}

}  // namespace

TEST_CASE("--ice-username/--ice-credential apply to the TURN URLs before them; errors name them") {
    auto e = peer_error({"--ice-server", "turn:127.0.0.1"});
    CHECK_MESSAGE(e.find("ICE server 1 (turn:127.0.0.1)") != std::string::npos, e);
    CHECK(e.find("needs a username and a credential") != std::string::npos);

    // Credentials apply to the TURN URLs before them; one given only before its URL still
    // counts (the driver contract of ../shared/interop: for every turn: URL).
    e = peer_error({"--ice-server", "turn:127.0.0.1", "--ice-username", "u", "--ice-server",
                    "turn:127.0.0.2", "--ice-credential", "p"});
    CHECK_MESSAGE(e.find("ICE server") == std::string::npos, e);  // all complete: no config error

    e = peer_error({"--ice-username", "u", "--ice-server", "stun:127.0.0.1"});
    CHECK_MESSAGE(e.find("no --ice-server names one") != std::string::npos, e);

    e = peer_error({"--ice-server", "turn:u:p@127.0.0.1"});
    CHECK_MESSAGE(e.find("credentials go in username/credential, not the URL") != std::string::npos,
                  e);
}

TEST_CASE("floe peer --ice-lite connects to a full floe peer as offerer and as answerer") {
    for (const bool lite_offers : {true, false}) {
        CAPTURE(lite_offers);
        TempDir dir;
        const std::vector<std::string> common{"--signal",  dir.path(),  "--loopback-only",
                                              "--no-ipv6", "--timeout", "30"};
        std::vector<std::string> answer{FLOE_CLI_PATH, "peer", "--role", "answer"};
        answer.insert(answer.end(), common.begin(), common.end());
        std::vector<std::string> offer{FLOE_CLI_PATH, "peer", "--role", "offer"};
        offer.insert(offer.end(), common.begin(), common.end());
        offer.insert(offer.end(), {"--mode", "send-check"});
        (lite_offers ? offer : answer).push_back("--ice-lite");
        auto b = Process::spawn(answer);
        auto a = Process::spawn(offer);
        auto sa = a.wait(60s);
        REQUIRE(sa);
        CHECK_MESSAGE(*sa == 0, a.err());
        CHECK(a.out().find("\"ok\":true") != std::string::npos);
        auto sb = b.wait(20s);
        REQUIRE(sb);
        CHECK_MESSAGE(*sb == 0, b.err());
    }
}

TEST_CASE("floe peer --relay-only with wrong TURN credentials gathers nothing and says 401") {
    TurnCoturn coturn(false);
    TempDir dir;
    const std::string url = "turn:127.0.0.1:" + std::to_string(coturn.port);
    auto r = run({FLOE_CLI_PATH, "peer", "--role", "offer", "--signal", dir.path(), "--timeout",
                  "3", "--loopback", "--relay-only", "--ice-server", url, "--ice-username", "alice",
                  "--ice-credential", "wrong", "--log-level", "warn"},
                 30s);
    REQUIRE(r.status);
    CHECK(*r.status != 0);  // nothing to connect with (and no answerer)
    CHECK_MESSAGE(r.err.find(url + ": no relay: 401") != std::string::npos, r.err);
}
