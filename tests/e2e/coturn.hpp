// Debian's coturn started by a test on 127.0.0.1 (tests/e2e): a configuration the test writes,
// stopped by PID.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "stun_helpers.hpp"

namespace floe::test {

inline bool tcp_listening(std::uint16_t port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
}

// coturn as a TURN server on 127.0.0.1 only: long-term credentials (alice/secret, realm
// floe.test), loopback peers allowed, a self-signed certificate for turns:. Short-lived:
// allocations of at most 4 s and nonces that go stale after 3 s so that a few seconds show
// refreshes and 438s.
struct TurnCoturn : CoturnProcess {
    // verbose: coturn logs each session's requests (allocation, permissions, channels, refresh).
    explicit TurnCoturn(bool short_lived = true, bool verbose = false)
        : short_lived_(short_lived), verbose_(verbose) {
        start();
    }
    bool short_lived_ = true;
    bool verbose_ = false;
    std::uint16_t port = free_port();
    std::uint16_t tls_port = free_port();
    std::string cert = dir.path() + "/cert.pem";

    void start() {
        REQUIRE_MESSAGE(find_program("turnserver"), "coturn's turnserver is not installed");
        REQUIRE_MESSAGE(find_program("openssl"), "the openssl command is not installed");
        const std::string key = dir.path() + "/key.pem";
        auto made = run(
            {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
            30s);
        REQUIRE_MESSAGE(made.status == 0, made.err);
        const std::string conf = dir.path() + "/turnserver.conf";
        std::ofstream(conf) << "listening-port=" << port << "\n"
                            << "tls-listening-port=" << tls_port << "\n"
                            << "listening-ip=127.0.0.1\nrelay-ip=127.0.0.1\n"
                            << "allow-loopback-peers\nlt-cred-mech\nuser=alice:secret\n"
                            << "realm=floe.test\nfingerprint\n"
                            << (short_lived_ ? "max-allocate-lifetime=4\nstale-nonce=3\n" : "")
                            << (verbose_ ? "verbose\n" : "") << "no-cli\nno-dtls\nno-rfc5780\n"
                            << "cert=" << cert << "\npkey=" << key << "\n"
                            << common_config();
        process.emplace(Process::spawn({"turnserver", "-c", conf}));
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!(tcp_listening(port) && tcp_listening(tls_port)) &&
               std::chrono::steady_clock::now() < deadline && process->running())
            process->wait_for_output([](std::string_view) { return false; }, 50ms);
        REQUIRE_MESSAGE(tcp_listening(port), "turnserver did not start:\n" << log());
    }
};

}  // namespace floe::test
