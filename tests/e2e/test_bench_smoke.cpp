// `floe bench all --smoke`: every workload of docs/performance.md with tiny sizes, as a
// correctness check (each message is sequence-checked inside the bench). Speed is not asserted.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "support/process.hpp"

using namespace floe::test;
using namespace std::chrono_literals;

TEST_CASE("floe bench all --smoke runs every workload and every message arrives in order") {
    auto bench = Process::spawn({FLOE_CLI_PATH, "bench", "all", "--smoke", "--json"});
    const auto status = bench.wait(60s);
    INFO("stdout: " << bench.out() << "\nstderr: " << bench.err());
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    for (const char* name : {"\"W1\"", "\"W2\"", "\"W3\"", "\"W4\"", "\"W5\"", "\"W6\"",
                             "\"setup_fresh_process\"", "\"scale_4_pairs\"", "\"clients\":4,"})
        CHECK(bench.out().find(name) != std::string::npos);
}

TEST_CASE("floe bench W6 on a two-thread server checks every echo of its clients") {
    // A server Runtime of two threads, clients in two processes: the server's PeerConnections
    // are on both threads, and every message still comes back once, in order (checked inside).
    auto bench = Process::spawn({FLOE_CLI_PATH, "bench", "W6", "--clients", "6", "--threads", "2",
                                 "--seconds", "1", "--json"});
    const auto status = bench.wait(60s);
    INFO("stdout: " << bench.out() << "\nstderr: " << bench.err());
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(bench.out().find("\"threads\":2,") != std::string::npos);
    CHECK(bench.out().find("\"server_sockets\":\"shared\",") != std::string::npos);  // default
    CHECK(bench.out().find("\"messages\":120,") != std::string::npos);  // 6 clients x 20/s x 1 s
    // The machine's share and usrsctp's resends over the measurement come with the figures.
    CHECK(bench.out().find("\"machine_busy_percent\":") != std::string::npos);
    CHECK(bench.out().find("\"machine_cores\":0,") == std::string::npos);
    CHECK(bench.out().find("\"server_retransmitted\":") != std::string::npos);
    CHECK(bench.out().find("\"server_waiting_percent\":") != std::string::npos);
    CHECK(bench.out().find("\"clients_waiting_percent\":") != std::string::npos);
    CHECK(bench.out().find("\"clients_t3_timeouts\":") != std::string::npos);
}

TEST_CASE("floe bench W2 --certificate times fresh processes with and without the loading") {
    const std::string pem = "/tmp/floe-bench-smoke-" + std::to_string(::getpid()) + ".pem";
    auto bench =
        Process::spawn({FLOE_CLI_PATH, "bench", "W2", "--smoke", "--json", "--certificate", pem});
    const auto status = bench.wait(60s);
    std::remove(pem.c_str());
    INFO("stdout: " << bench.out() << "\nstderr: " << bench.err());
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(bench.out().find("\"setup_fresh_process\"") != std::string::npos);
    CHECK(bench.out().find("\"setup_fresh_cert_loaded\"") != std::string::npos);
}

TEST_CASE("floe bench W6 --server-sockets per-peer runs the server without the shared port") {
    // With --streams the server's PeerConnections ask for 16 SCTP streams, as a server whose
    // clients open a channel or two may (Configuration::max_streams); the clients keep 1,024.
    auto bench = Process::spawn({FLOE_CLI_PATH, "bench", "W6", "--clients", "4", "--seconds", "1",
                                 "--server-sockets", "per-peer", "--streams", "16", "--json"});
    const auto status = bench.wait(60s);
    INFO("stdout: " << bench.out() << "\nstderr: " << bench.err());
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(bench.out().find("\"server_sockets\":\"per-peer\",") != std::string::npos);
    CHECK(bench.out().find("\"server_streams\":16,") != std::string::npos);
    CHECK(bench.out().find("\"messages\":80,") != std::string::npos);
}
