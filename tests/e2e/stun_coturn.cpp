// Interop with coturn (Debian's `coturn`): `floe stun` against turnserver, and coturn's
// turnutils_stunclient against `floe stun-server`, on IPv4 and IPv6 loopback. Fails when coturn
// is missing: install it (scripts/install-deps.sh).
#include <doctest/doctest.h>

#include <fstream>

#include "stun_helpers.hpp"

using namespace floe;
using namespace floe::test;

namespace {

struct Coturn {
    TempDir dir;
    std::uint16_t port = free_port();
    std::optional<Process> process;

    Coturn() {
        REQUIRE_MESSAGE(find_program("turnserver"), "coturn's turnserver is not installed");
        const std::string conf = dir.path() + "/turnserver.conf";
        std::ofstream(conf) << "listening-port=" << port << "\n"
                            << "listening-ip=127.0.0.1\nlistening-ip=::1\n"
                            << "stun-only\nno-tls\nno-dtls\nno-cli\nno-rfc5780\n"
                            << "no-stdout-log\nsimple-log\n"
                            << "log-file=" << dir.path() << "/turnserver.log\n"
                            << "pidfile=" << dir.path() << "/turnserver.pid\n"
                            << "userdb=" << dir.path() << "/turndb\n"
                            << "realm=floe.test\n";
        process.emplace(Process::spawn({"turnserver", "-c", conf}));
    }
    ~Coturn() {
        process->signal(SIGTERM);
        if (!process->wait(10s)) MESSAGE("turnserver ignored SIGTERM; killing it by PID");
    }
    std::string log() const {
        std::ifstream in(dir.path() + "/turnserver.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
};

}  // namespace

TEST_CASE("floe stun gets its mapped address from coturn on IPv4 and IPv6 loopback") {
    Coturn coturn;
    // Retransmissions (100 ms doubling, 8 sends over 12.7 s) also cover coturn's start-up.
    const std::vector<std::string> patient = {"--json", "--rto-ms", "100", "--rc", "8"};
    auto v4 = floe_stun("stun:127.0.0.1:" + std::to_string(coturn.port), patient);
    REQUIRE(v4.status);
    CHECK_MESSAGE(*v4.status == 0, v4.err << "\nturnserver log:\n" << coturn.log());
    CHECK(v4.out.find("\"mapped\":\"127.0.0.1:") != std::string::npos);
    CHECK(v4.out.find("\"software\":\"Coturn") != std::string::npos);

    auto v6 = floe_stun("stun:[::1]:" + std::to_string(coturn.port), patient);
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
