// W6, the server workload (issue 17): one server process that many browsers-to-be connect to,
// measured alone. `floe bench W6` starts the server (`--w6-role server`) and client processes
// (`--w6-role client`) as children of itself, all on loopback:
//   - clients send their offers to the server over a Unix socket (one JSON description a line),
//     the server answers each with a PeerConnection of its own;
//   - once every client's channel is open, each sends 1 KiB messages at a fixed rate for a fixed
//     time; the server echoes each back; clients check every echo (content, order, none missing,
//     none later than 1 s) and time the round trip;
//   - the parent reads the server's CPU, memory and threads from /proc.
// Only the public API is used: this is also an example of a server and of a client.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <floe/configuration.hpp>

namespace floe::cli::bench {

struct ServerWorkload {
    int clients = 100;
    int client_processes = 2;
    int rate = 20;         // messages per second per client
    int seconds = 5;       // of messages, after every client is connected
    unsigned threads = 1;  // the server Runtime's threads
    // The server's PeerConnections on one UDP port (RuntimeOptions::shared_udp_port), as the
    // issue's server is; false: a socket per PeerConnection, to compare.
    bool shared_port = true;
    std::size_t size = 1024;  // message bytes
    // The server's Configuration::max_streams (--streams); its clients open one channel each.
    std::uint16_t server_streams = Configuration{}.max_streams;
    // One DTLS identity for all the server's PeerConnections (Configuration::certificates), made
    // when the server starts, as a server that keeps its identity has it; false: a fresh key per
    // PeerConnection (the Configuration's default), to compare (--server-certificate per-peer).
    bool one_certificate = true;
};

struct ServerResult {
    double connect_seconds = 0;  // from starting the clients until every channel is open
    double server_cpu_seconds = 0;
    double server_cpu_per_million = 0;  // CPU seconds per million messages echoed
    // The client processes' together, over the same time: they share the machine's cores with
    // the server (a 2-core machine has no core left for a second server thread).
    double clients_cpu_seconds = 0;
    double clients_cpu_per_million = 0;
    double rtt_p50_ms = 0, rtt_p99_ms = 0;
    // The whole machine over the same time (/proc/stat): the share of its cores' time spent
    // working, by the server, its clients and anything else running, and the share the
    // hypervisor took. A round trip's tail near 100 % busy is queueing for a core.
    double machine_busy_percent = 0, machine_steal_percent = 0;
    int machine_cores = 0;
    // Of the time the server's threads (the clients' threads) were runnable during the
    // measurement, the share they waited for a core instead of running (the scheduler's own
    // accounting, /proc/PID/task/*/schedstat): what queueing behind the other processes cost.
    double server_waiting_percent = 0, clients_waiting_percent = 0;
    // DATA chunks sent again, and of the retransmission timer's expiries, during the measurement
    // (usrsctp's counters). On loopback none are lost: each one is a side that fell behind by
    // more than the retransmission timeout (RTO.min 20 ms), and adds work while it is behind.
    std::uint64_t server_retransmitted = 0, server_t3_timeouts = 0;
    std::uint64_t clients_retransmitted = 0, clients_t3_timeouts = 0;
    double server_rss_per_client_kb = 0;  // (VmRSS with every client - before) / clients
    int server_threads = 0;
    long long messages = 0;  // echoes received by the clients, each checked
    double rate = 0;         // messages per second echoed, over the measurement
};

// Runs one W6 measurement; throws on a wrong, missing or late message or a failed connection.
ServerResult server_workload(const ServerWorkload& w);

// The children's entry points (`floe bench W6 --w6-role server|client ...`): exit status.
int w6_server(const std::string& socket_path, unsigned threads, bool shared_port,
              bool one_certificate);
int w6_client(const std::string& socket_path, int clients, int rate, int seconds, std::size_t size);

}  // namespace floe::cli::bench
