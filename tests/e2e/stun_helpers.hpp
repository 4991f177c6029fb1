// Shared by the STUN end-to-end tests: starting `floe stun-server`, running `floe stun`, free
// ports.
#pragma once

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <floe/socket_address.hpp>

#include "support/process.hpp"

namespace floe::test {

using namespace std::chrono_literals;

// `floe stun-server` on the given listen addresses; returns once it printed every bound address.
struct FloeStunServer {
    Process process;
    std::vector<SocketAddress> addresses;

    // `extra`: more options, e.g. {"--software", "floe test"}.
    explicit FloeStunServer(const std::vector<std::string>& listen,
                            const std::vector<std::string>& extra = {})
        : process(Process::spawn(args(listen, extra))) {
        const bool ready = process.wait_for_output(
            [&](std::string_view out) {
                std::size_t lines = 0;
                for (std::size_t at = 0; (at = out.find("listening on ", at)) != out.npos; ++at)
                    if (out.find('\n', at) != out.npos) ++lines;
                return lines == listen.size();
            },
            10s);
        REQUIRE_MESSAGE(ready, "stun-server did not start: " << process.err());
        std::size_t at = 0;
        while ((at = process.out().find("listening on ", at)) != std::string::npos) {
            at += 13;
            const auto end = process.out().find('\n', at);
            auto address = SocketAddress::parse(process.out().substr(at, end - at));
            REQUIRE(address);
            addresses.push_back(*address);
        }
    }

    // Stops it with SIGTERM and returns its output (the counters line).
    std::string stop() {
        process.signal(SIGTERM);
        auto status = process.wait(10s);
        REQUIRE_MESSAGE(status, "stun-server did not stop on SIGTERM");
        CHECK(*status == 0);
        return process.out();
    }

  private:
    static std::vector<std::string> args(const std::vector<std::string>& listen,
                                         const std::vector<std::string>& extra) {
        std::vector<std::string> a = {FLOE_CLI_PATH, "stun-server"};
        for (const auto& l : listen) {
            a.push_back("--listen");
            a.push_back(l);
        }
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
};

// `floe stun URL extra...`, bounded.
inline RunResult floe_stun(const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {FLOE_CLI_PATH, "stun", url};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, 60s);
}

// "stun:127.0.0.1:1234" / "stun:[::1]:1234"
inline std::string stun_url(const SocketAddress& a) {
    return "stun:" + a.to_string();
}

// A port that is free right now for UDP and TCP on both 127.0.0.1 and ::1 (the kernel picks one
// for a UDP socket on 127.0.0.1; the others are checked by binding them).
inline std::uint16_t free_port() {
    for (int attempt = 0; attempt < 50; ++attempt) {
        int probe = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
        getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
        const std::uint16_t port = ntohs(a.sin_port);
        bool free = true;
        std::vector<int> held = {probe};
        for (auto [family, type] :
             {std::pair{AF_INET, SOCK_STREAM}, std::pair{AF_INET6, SOCK_DGRAM},
              std::pair{AF_INET6, SOCK_STREAM}}) {
            int s = socket(family, type, 0);
            held.push_back(s);
            sockaddr_storage ss{};
            const auto address = SocketAddress(
                IpAddress::loopback(family == AF_INET ? AddressFamily::ipv4 : AddressFamily::ipv6),
                port);
            const unsigned n = address.to_sockaddr(ss);
            if (family == AF_INET6) {
                int one = 1;
                setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
            }
            if (bind(s, reinterpret_cast<sockaddr*>(&ss), n) != 0) free = false;
        }
        for (int s : held)
            close(s);
        if (free && port != 0) return port;
    }
    FAIL("no free port found");
    return 0;
}

// A coturn (Debian) process of a test: its temporary directory (configuration, log, pid file,
// user database), started by the fixture that writes the configuration, stopped by PID.
struct CoturnProcess {
    TempDir dir;
    std::optional<Process> process;

    // The configuration lines every fixture writes: files in `dir`, logging to a file only.
    std::string common_config() const {
        return "no-stdout-log\nsimple-log\nlog-file=" + dir.path() +
               "/turnserver.log\npidfile=" + dir.path() + "/turnserver.pid\nuserdb=" + dir.path() +
               "/turndb\n";
    }
    ~CoturnProcess() {
        if (!process) return;
        process->signal(SIGTERM);
        if (!process->wait(10s)) MESSAGE("turnserver ignored SIGTERM; killing it by PID");
    }
    std::string log() const {
        std::ifstream in(dir.path() + "/turnserver.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }
};

// coturn as a STUN-only server on 127.0.0.1 and ::1: no TLS, no CLI. Fails the test when coturn
// is missing.
struct Coturn : CoturnProcess {
    std::uint16_t port = free_port();

    Coturn() {
        REQUIRE_MESSAGE(find_program("turnserver"), "coturn's turnserver is not installed");
        const std::string conf = dir.path() + "/turnserver.conf";
        std::ofstream(conf) << "listening-port=" << port << "\n"
                            << "listening-ip=127.0.0.1\nlistening-ip=::1\n"
                            << "stun-only\nno-tls\nno-dtls\nno-cli\nno-rfc5780\n"
                            << common_config() << "realm=floe.test\n";
        process.emplace(Process::spawn({"turnserver", "-c", conf}));
    }
};

}  // namespace floe::test
