#include "bench_server.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <floe/error.hpp>
#include <floe/peer_connection.hpp>
#include <floe/runtime.hpp>
#include <floe/tools/sctp.hpp>

#include "bench_processes.hpp"
#include "bench_workloads.hpp"

namespace floe::cli::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A late echo fails the run: longer than this is not a server anyone would keep.
constexpr auto kLate = 1s;
// How often a W6 client process wakes to send the messages that have come due.
constexpr auto kSendSlice = 1ms;

bool wait_gathered(PeerConnection& pc) {
    const auto deadline = Clock::now() + 10s;
    while (pc.ice_gathering_state() != IceGatheringState::complete) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// "sctp <retransmitted DATA chunks> <T3-rtx expiries>": this process's usrsctp counters since
// `since` (the server's since it started: the parent subtracts around the measurement).
// Retransmissions on loopback mean a timer expired before the peer's SACK came: one side was
// behind by more than the retransmission timeout.
std::string sctp_line(const tools::SctpCounters& since = {}) {
    const auto c = tools::sctp_counters();
    return "sctp " + std::to_string(c.retransmitted_chunks - since.retransmitted_chunks) + " " +
           std::to_string(c.t3_timeouts - since.t3_timeouts);
}

// Message layout: sequence number, send time (steady clock, ns), then bytes derived from the
// sequence number, so that a wrong or reordered echo is caught.
std::uint8_t fill_byte(std::uint64_t seq, std::size_t i) {
    return static_cast<std::uint8_t>(seq * 31 + i);
}
std::uint64_t get_u64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

// ---- the server ------------------------------------------------------------------------------

int w6_server(const std::string& socket_path, unsigned threads, bool shared_port,
              bool one_certificate) {
    raise_fd_limit();
    // Before the parent's first RSS reading ("ready"): the identity is the server's, not a
    // client's.
    if (one_certificate) set_certificate(Certificate::generate());
    RuntimeOptions options;
    options.threads = threads;
    if (shared_port) {
        options.shared_udp_port = 0;  // one port, picked by the system
        options.shared_addresses = {"127.0.0.1"};
    }
    auto runtime = std::make_shared<Runtime>(options);
    std::atomic<long long> echoed{0};
    std::mutex mutex;
    std::vector<std::unique_ptr<PeerConnection>> peers;

    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_un address = unix_address(socket_path);
    ::unlink(socket_path.c_str());
    if (listener < 0 ||
        ::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 64) != 0) {
        std::fprintf(stderr, "W6 server: cannot listen on %s\n", socket_path.c_str());
        return 1;
    }
    // One thread per client process: each sends offers and reads answers in order.
    std::vector<std::thread> connections;
    std::thread acceptor([&] {
        for (;;) {
            const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) return;
            connections.emplace_back([&, fd] {
                LineReader lines(fd);
                try {
                    while (auto line = lines.next(24h)) {
                        auto pc = std::make_unique<PeerConnection>(loopback(runtime));
                        pc->on_data_channel([&echoed](std::shared_ptr<DataChannel> channel) {
                            // The echo: every message straight back, from the PeerConnection's
                            // own thread.
                            channel->on_message([&echoed, channel](Message m) {
                                channel->send(ByteSpan(m.data));
                                echoed.fetch_add(1, std::memory_order_relaxed);
                            });
                        });
                        pc->set_remote_description(SessionDescription::from_json(*line));
                        pc->set_local_description(pc->create_answer());
                        if (!wait_gathered(*pc)) throw std::runtime_error("gathering never ended");
                        write_all(fd, pc->local_description()->to_json() + "\n");
                        std::lock_guard lock(mutex);
                        peers.push_back(std::move(pc));
                    }
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "W6 server: %s\n", e.what());
                }
                ::close(fd);
            });
        }
    });
    std::printf("ready %u\n", runtime->threads());
    std::fflush(stdout);
    std::string command;
    while (std::getline(std::cin, command) && command != "quit") {
        if (command == "echoed") std::printf("echoed %lld\n", echoed.load());
        if (command == "sctp") std::printf("%s\n", sctp_line().c_str());
        std::fflush(stdout);
    }
    ::shutdown(listener, SHUT_RDWR);
    ::close(listener);
    acceptor.join();
    for (auto& t : connections)
        t.join();
    std::printf("echoed %lld\n", echoed.load());
    std::fflush(stdout);
    for (const auto& port : runtime->shared_ports())
        std::fprintf(stderr,
                     "W6 server: shared port %s: %llu datagrams, %llu handed to another thread, "
                     "%llu dropped\n",
                     port.local_address.to_string().c_str(),
                     static_cast<unsigned long long>(port.datagrams_received),
                     static_cast<unsigned long long>(port.handed_off),
                     static_cast<unsigned long long>(port.dropped()));
    peers.clear();
    ::unlink(socket_path.c_str());
    return 0;
}

// ---- a client process ------------------------------------------------------------------------

int w6_client(const std::string& socket_path, int clients, int rate, int seconds,
              std::size_t size) {
    raise_fd_limit();
    auto runtime = std::make_shared<Runtime>(1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_un address = unix_address(socket_path);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        std::fprintf(stderr, "W6 client: cannot connect to %s\n", socket_path.c_str());
        return 1;
    }
    struct Peer {
        std::unique_ptr<PeerConnection> pc;
        std::shared_ptr<DataChannel> channel;
        std::uint64_t sent = 0;      // the runtime thread's while sending
        std::uint64_t expected = 0;  // the runtime thread's
    };
    struct Tally {
        std::mutex mutex;
        std::vector<std::uint32_t> rtt_us;
        long long received = 0, wrong = 0, late = 0;
    } tally;
    std::atomic<int> open{0};
    std::vector<std::unique_ptr<Peer>> peers;
    for (int i = 0; i < clients; ++i) {
        auto p = std::make_unique<Peer>();
        p->pc = std::make_unique<PeerConnection>(loopback(runtime));
        p->channel = p->pc->create_data_channel("w6");
        Peer* raw = p.get();
        p->channel->on_open([&open] { open.fetch_add(1); });
        p->channel->on_message([raw, &tally, size](Message m) {
            const auto now = Clock::now().time_since_epoch();
            std::lock_guard lock(tally.mutex);
            ++tally.received;
            if (!m.binary || m.size() != size || get_u64(m.data.data()) != raw->expected ||
                m.data[size - 1] != fill_byte(raw->expected, size - 1)) {
                ++tally.wrong;
                return;
            }
            ++raw->expected;
            const auto rtt = now - std::chrono::nanoseconds(get_u64(m.data.data() + 8));
            if (rtt > kLate) ++tally.late;
            tally.rtt_us.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(rtt).count()));
        });
        p->pc->set_local_description(p->pc->create_offer());
        peers.push_back(std::move(p));
    }
    // Offers go out as their gathering ends; answers come back in the same order.
    std::thread offers([&] {
        for (auto& p : peers) {
            if (!wait_gathered(*p->pc)) break;
            write_all(fd, p->pc->local_description()->to_json() + "\n");
        }
    });
    LineReader answers(fd);
    std::string failure;
    try {
        for (auto& p : peers) {
            auto line = answers.next(60s);
            if (!line) throw std::runtime_error("the server closed the signaling socket");
            p->pc->set_remote_description(SessionDescription::from_json(*line));
        }
    } catch (const std::exception& e) {
        failure = e.what();
    }
    offers.join();
    const auto deadline = Clock::now() + 60s;
    while (failure.empty() && open.load() < clients && Clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    if (failure.empty() && open.load() < clients)
        failure = std::to_string(clients - open.load()) + " channels never opened";
    if (!failure.empty()) {
        std::fprintf(stderr, "W6 client: %s\n", failure.c_str());
        return 1;
    }
    std::printf("connected %d\n", clients);
    std::fflush(stdout);
    std::string go;
    if (!std::getline(std::cin, go) || go != "go") return 1;
    const auto counters_at_go = tools::sctp_counters();

    // Every channel gets a message every 1/rate seconds, for `seconds`. Like independent clients,
    // each channel has its own phase: channel i sends at start + k * period + i * period / N, so
    // the server sees a steady stream rather than N messages at one instant every period (which
    // by itself would put N messages' work in front of the last of them). The sender wakes at
    // most every kSendSlice and hands what has come due to the runtime thread in one task, which
    // sends it there: a send() from another thread would be one hand-off per message, and this
    // process's cost is not what W6 measures (it shares the machine with the server).
    const auto period =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
    const auto ticks = static_cast<long long>(std::llround(seconds * rate));
    const auto count = static_cast<long long>(peers.size());
    const auto due = [&](long long slot) -> Clock::duration {
        return (slot / count) * period + (slot % count) * period / count;
    };
    // The runtime thread's until `done` below, which every posted task runs before.
    Bytes message(size);
    std::string send_failure;
    const auto send_slots = [&peers, &send_failure, &message, count, size](long long first,
                                                                           long long end) {
        for (long long slot = first; slot < end && send_failure.empty(); ++slot) {
            Peer& p = *peers[static_cast<std::size_t>(slot % count)];
            const std::uint64_t seq = p.sent++;
            const auto now =
                static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               Clock::now().time_since_epoch())
                                               .count());
            std::memcpy(message.data(), &seq, 8);
            std::memcpy(message.data() + 8, &now, 8);
            for (std::size_t i = 16; i < size; ++i)
                message[i] = fill_byte(seq, i);
            try {
                p.channel->send(ByteSpan(message));
            } catch (const Error& e) {  // a channel that closed: the run fails, with the reason
                send_failure = e.what();
            }
        }
    };
    const auto start = Clock::now();
    for (long long slot = 0; slot < ticks * count;) {
        const Clock::duration now_offset = Clock::now() - start;
        const long long first = slot;
        while (slot < ticks * count && due(slot) <= now_offset)
            ++slot;
        if (slot > first) runtime->post([send_slots, first, slot] { send_slots(first, slot); });
        if (slot < ticks * count)
            std::this_thread::sleep_until(
                start + std::max<Clock::duration>(due(slot), now_offset + kSendSlice));
    }
    {  // the last sends are made, and `sent` is read after them
        std::promise<void> done;
        runtime->post([&done] { done.set_value(); });
        done.get_future().wait();
    }
    if (!send_failure.empty()) {
        std::fprintf(stderr, "W6 client: send failed: %s\n", send_failure.c_str());
        return 1;
    }
    long long sent = 0;
    for (auto& p : peers)
        sent += static_cast<long long>(p->sent);
    const auto drain = Clock::now() + 5s;
    for (;;) {
        {
            std::lock_guard lock(tally.mutex);
            if (tally.received >= sent) break;
        }
        if (Clock::now() > drain) break;
        std::this_thread::sleep_for(1ms);
    }
    std::printf("%s\n", sctp_line(counters_at_go).c_str());
    std::ostringstream out;
    {
        std::lock_guard lock(tally.mutex);
        out << "result " << sent << " " << tally.received << " " << tally.wrong << " "
            << tally.late;
        for (auto us : tally.rtt_us)
            out << " " << us;
    }
    std::printf("%s\n", out.str().c_str());
    std::fflush(stdout);
    for (auto& p : peers)
        p->pc->close();
    ::close(fd);
    return 0;
}

// ---- the parent ------------------------------------------------------------------------------

ServerResult server_workload(const ServerWorkload& w) {
    if (w.clients < 1 || w.client_processes < 1 || w.rate < 1 || w.size < 16)
        throw std::invalid_argument("W6: clients, processes and rate at least 1, size at least 16");
    const std::string socket_path = "/tmp/floe-w6-" + std::to_string(getpid()) + "-" +
                                    std::to_string(Clock::now().time_since_epoch().count()) +
                                    ".sock";
    Child server({"bench", "W6", "--w6-role", "server", "--w6-socket", socket_path, "--threads",
                  std::to_string(w.threads), "--server-sockets",
                  w.shared_port ? "shared" : "per-peer", "--streams",
                  std::to_string(w.server_streams), "--server-certificate",
                  w.one_certificate ? "one" : "per-peer"});
    server.expect("ready", 30s);
    const double rss_before = proc_status("VmRSS", std::to_string(server.pid()));

    const int processes = std::min(w.client_processes, w.clients);
    std::vector<std::unique_ptr<Child>> clients;
    const auto t0 = Clock::now();
    for (int i = 0; i < processes; ++i) {
        const int n = w.clients / processes + (i < w.clients % processes ? 1 : 0);
        clients.push_back(std::make_unique<Child>(std::vector<std::string>{
            "bench", "W6", "--w6-role", "client", "--w6-socket", socket_path, "--clients",
            std::to_string(n), "--rate", std::to_string(w.rate), "--seconds",
            std::to_string(w.seconds), "--message", std::to_string(w.size)}));
    }
    for (auto& c : clients)
        c->expect("connected", 180s);
    ServerResult r;
    r.connect_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::string spid = std::to_string(server.pid());
    r.server_rss_per_client_kb = (proc_status("VmRSS", spid) - rss_before) / w.clients;
    r.server_threads = static_cast<int>(proc_status("Threads", spid));

    const double cpu0 = process_cpu_seconds(server.pid());
    double clients_cpu0 = 0;
    for (auto& c : clients)
        clients_cpu0 += process_cpu_seconds(c->pid());
    // The server's counters before and after (the clients report theirs for the measurement).
    const auto server_sctp = [&server] {
        server.send("sctp");
        std::istringstream line(server.expect("sctp", 30s));
        std::uint64_t retransmitted = 0, t3 = 0;
        line >> retransmitted >> t3;
        return std::pair{retransmitted, t3};
    };
    const auto server_sctp0 = server_sctp();
    const MachineCpu machine0 = machine_cpu();
    // Summed over the client processes; read while they are all alive.
    const auto clients_scheduler = [&clients] {
        SchedulerTimes sum;
        for (auto& c : clients) {
            const SchedulerTimes t = scheduler_times(c->pid());
            sum.running_seconds += t.running_seconds;
            sum.waiting_seconds += t.waiting_seconds;
        }
        return sum;
    };
    const SchedulerTimes server_scheduler0 = scheduler_times(server.pid());
    const SchedulerTimes clients_scheduler0 = clients_scheduler();
    const auto m0 = Clock::now();
    for (auto& c : clients)
        c->send("go");
    long long sent = 0, received = 0, wrong = 0, late = 0;
    std::vector<double> rtt_ms;
    for (auto& c : clients) {
        std::istringstream counters(
            c->expect("sctp", std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(w.seconds + 60))));
        std::uint64_t retransmitted = 0, t3 = 0;
        counters >> retransmitted >> t3;
        r.clients_retransmitted += retransmitted;
        r.clients_t3_timeouts += t3;
        std::istringstream result(
            c->expect("result", std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(w.seconds + 60))));
        long long s = 0, rcv = 0, wr = 0, lt = 0;
        result >> s >> rcv >> wr >> lt;
        sent += s;
        received += rcv;
        wrong += wr;
        late += lt;
        for (std::uint32_t us; result >> us;)
            rtt_ms.push_back(us / 1000.0);
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - m0).count();
    r.server_cpu_seconds = process_cpu_seconds(server.pid()) - cpu0;
    // Read before the clients exit (their results are in): each has sent and checked everything.
    for (auto& c : clients)
        r.clients_cpu_seconds += process_cpu_seconds(c->pid());
    r.clients_cpu_seconds -= clients_cpu0;
    const auto waiting_percent = [](const SchedulerTimes& before, const SchedulerTimes& after) {
        const double running = after.running_seconds - before.running_seconds;
        const double waiting = after.waiting_seconds - before.waiting_seconds;
        return running + waiting > 0 ? 100 * waiting / (running + waiting) : 0.0;
    };
    r.server_waiting_percent = waiting_percent(server_scheduler0, scheduler_times(server.pid()));
    r.clients_waiting_percent = waiting_percent(clients_scheduler0, clients_scheduler());
    const MachineCpu machine1 = machine_cpu();
    const auto server_sctp1 = server_sctp();
    r.server_retransmitted = server_sctp1.first - server_sctp0.first;
    r.server_t3_timeouts = server_sctp1.second - server_sctp0.second;
    if (const double total = machine1.total - machine0.total; total > 0) {
        r.machine_busy_percent = 100 * (machine1.busy - machine0.busy) / total;
        r.machine_steal_percent = 100 * (machine1.steal - machine0.steal) / total;
    }
    r.machine_cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    std::sort(rtt_ms.begin(), rtt_ms.end());
    const auto at = [&](double p) {
        if (rtt_ms.empty()) return 0.0;
        return rtt_ms[std::min(rtt_ms.size() - 1,
                               static_cast<std::size_t>(p * static_cast<double>(rtt_ms.size())))];
    };
    // Said before waiting for the children (which close their PeerConnections gracefully, slow
    // when the server is behind), with what was measured up to there.
    if (wrong || late || received != sent || sent == 0) {
        std::ostringstream what;
        what.precision(3);
        what << "W6: " << sent << " sent, " << received << " echoed back, " << wrong << " wrong, "
             << late << " later than 1 s (connected in " << r.connect_seconds << " s, RSS "
             << r.server_rss_per_client_kb << " kB per client, round trip of "
             << "those echoed p50 " << at(0.5) << " ms p99 " << at(0.99) << " ms)";
        throw std::runtime_error(what.str());
    }
    for (auto& c : clients)
        if (c->wait(30s) != 0) throw std::runtime_error("W6: a client process failed");
    server.send("quit");
    server.expect("echoed", 60s);
    server.wait(60s);
    r.rtt_p50_ms = at(0.5);
    r.rtt_p99_ms = at(0.99);
    r.messages = received;
    r.rate = static_cast<double>(received) / elapsed;
    r.server_cpu_per_million = r.server_cpu_seconds / (static_cast<double>(received) / 1e6);
    r.clients_cpu_per_million = r.clients_cpu_seconds / (static_cast<double>(received) / 1e6);
    return r;
}

}  // namespace floe::cli::bench
