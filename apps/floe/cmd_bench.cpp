// floe bench: the workloads of docs/performance.md, figures only (nothing is asserted about
// speed; a wrong or missing message fails the run). --smoke runs every workload with tiny sizes,
// as a correctness check for CI.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "bench_loss.hpp"
#include "bench_server.hpp"
#include "bench_workloads.hpp"
#include "command.hpp"
#include "rtc_options.hpp"

namespace floe::cli {

namespace {

struct Settings {
    std::shared_ptr<Runtime> runtime;
    bool json = false;
    bool smoke = false;
    int runs = 5;
    std::vector<int> pairs;   // W4
    std::uint64_t mib = 0;    // W1/W5 volume per run; 0: the workload's own
    std::size_t message = 0;  // W1/W5 message size; 0: the workload's own
    std::vector<int> rates;   // W7 loss rates in percent; empty: the workload's own
    std::string certificate;  // PEM file every PeerConnection presents; empty: a fresh one each
};

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double p) {
    const auto n = sorted.size();
    auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(n)));
    return sorted[std::clamp<std::size_t>(rank, 1, n) - 1];
}

struct Summary {
    double median, p90, p99, min, max;
};
Summary summarise(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {percentile(v, 0.5), percentile(v, 0.9), percentile(v, 0.99), v.front(), v.back()};
}

// One figure: "name: median X unit (min, max) over N" or a JSON object on its own line.
void print_figure(const Settings& s, const char* workload, const std::string& name,
                  const std::vector<double>& samples, const char* unit) {
    const auto f = summarise(samples);
    if (s.json)
        std::printf(
            "{\"workload\":\"%s\",\"name\":\"%s\",\"unit\":\"%s\",\"samples\":%zu,\"median\":%.3f,"
            "\"p90\":%.3f,\"p99\":%.3f,\"min\":%.3f,\"max\":%.3f}\n",
            workload, name.c_str(), unit, samples.size(), f.median, f.p90, f.p99, f.min, f.max);
    else
        std::printf(
            "%s %-28s median %9.2f  p90 %9.2f  p99 %9.2f  min %9.2f  max %9.2f %s (n=%zu)\n",
            workload, name.c_str(), f.median, f.p90, f.p99, f.min, f.max, unit, samples.size());
    std::fflush(stdout);
}

void run_throughput(const Settings& s, const char* workload, std::uint64_t total,
                    std::size_t message_size) {
    std::vector<double> rate, cpu_per_gib;
    for (int i = 0; i < s.runs; ++i) {
        const auto r = bench::throughput(s.runtime, total, message_size);
        rate.push_back(r.mb_per_s);
        cpu_per_gib.push_back(r.cpu_seconds * double(1ull << 30) / double(total));
    }
    const std::string name =
        std::to_string(message_size) + "B_x_" + std::to_string(total >> 20) + "MiB";
    print_figure(s, workload, name + "_throughput", rate, "MB/s");
    print_figure(s, workload, name + "_cpu", cpu_per_gib, "CPU-s/GiB");
}

// One setup in a fresh process: this binary, `bench W2 --once`, which prints two figures in
// milliseconds: loading the certificate file (0 without one), then the set-up itself.
struct FreshSetup {
    double load_ms = 0;
    double setup_ms = 0;
};
FreshSetup fresh_process_setup(const Settings& s) {
    char self[4096];
    const auto n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw std::runtime_error("cannot find /proc/self/exe");
    self[n] = '\0';
    std::string command = std::string("'") + self + "' bench W2 --once";
    if (!s.certificate.empty()) command += " --certificate '" + s.certificate + "'";
    std::unique_ptr<FILE, int (*)(FILE*)> child(popen(command.c_str(), "r"), pclose);
    if (!child) throw std::runtime_error("cannot start " + command);
    FreshSetup f{-1, -1};
    if (std::fscanf(child.get(), "%lf %lf", &f.load_ms, &f.setup_ms) != 2 || f.load_ms < 0 ||
        f.setup_ms < 0)
        throw std::runtime_error("no figures from " + command);
    return f;
}

void run_setup(const Settings& s) {
    const int n = s.smoke ? 3 : 20;
    std::vector<double> in_process, fresh, fresh_after_load;
    for (int i = 0; i < n; ++i)
        in_process.push_back(bench::setup_ms(s.runtime));
    print_figure(s, "W2", "setup_in_process", in_process, "ms");
    for (int i = 0; i < (s.smoke ? 2 : n); ++i) {
        const auto f = fresh_process_setup(s);
        fresh.push_back(f.load_ms + f.setup_ms);
        fresh_after_load.push_back(f.setup_ms);
    }
    // With --certificate, the fresh process's figure counts reading and parsing the file (the
    // first OpenSSL work of the process, so OpenSSL's one-time start falls there rather than
    // in the set-up); the second figure is W2 as defined, from the first PeerConnection on, with
    // the certificate loaded before, as an embedder supplies it in Configuration::certificates.
    print_figure(s, "W2", "setup_fresh_process", fresh, "ms");
    if (!s.certificate.empty())
        print_figure(s, "W2", "setup_fresh_cert_loaded", fresh_after_load, "ms");
}

void run_round_trip(const Settings& s) {
    print_figure(s, "W3", "round_trip_100B",
                 bench::round_trips_us(s.runtime, s.smoke ? 20 : 1000, s.smoke ? 5 : 50), "us");
}

// W7 (root, namespaces): never part of `all`, never in CI timing.
void run_loss(const Settings& s, bool runs_given) {
    bench::LossOptions o;
    if (!s.rates.empty()) o.rates = s.rates;
    if (runs_given) o.runs = s.runs;
    if (s.mib) o.mib = static_cast<double>(s.mib);
    if (s.smoke) {
        o.runs = 1;
        o.pings = 20;
        if (!s.mib) o.mib = 1;
    }
    bench::loss_workload(o, [&](const std::string& name, const std::vector<double>& samples,
                                const char* unit) { print_figure(s, "W7", name, samples, unit); });
}

void run_scale(const Settings& s) {
    for (int pairs : s.pairs) {
        const auto r = bench::scale(s.runtime, pairs);
        const std::string name = "scale_" + std::to_string(pairs) + "_pairs";
        if (s.json)
            std::printf(
                "{\"workload\":\"W4\",\"name\":\"%s\",\"pairs\":%d,\"establish_s\":%.3f,"
                "\"establish_cpu_s\":%.3f,"
                "\"rss_before_kb\":%.0f,\"peak_rss_kb\":%.0f,\"kb_per_pair\":%.1f,\"threads\":%d}"
                "\n",
                name.c_str(), pairs, r.establish_seconds, r.establish_cpu_seconds, r.rss_before_kb,
                r.peak_rss_kb, r.kb_per_pair, r.threads);
        else
            std::printf(
                "W4 %-28s establish %.3f s (%.3f CPU-s)  peak RSS %.0f kB (%.0f kB before)  %.1f "
                "kB/pair  "
                "%d threads\n",
                name.c_str(), r.establish_seconds, r.establish_cpu_seconds, r.peak_rss_kb,
                r.rss_before_kb, r.kb_per_pair, r.threads);
        std::fflush(stdout);
    }
}

void print_server(const Settings& s, const bench::ServerWorkload& w, const bench::ServerResult& r,
                  const char* name) {
    if (s.json)
        std::printf(
            "{\"workload\":\"W6\",\"name\":\"%s\",\"clients\":%d,\"threads\":%u,"
            "\"server_sockets\":\"%s\",\"server_certificate\":\"%s\",\"server_streams\":%u,"
            "\"rate_per_client\":%d,\"connect_s\":%.3f,\"server_cpu_s_per_million\":%.2f,"
            "\"clients_cpu_s_per_million\":%.2f,"
            "\"rtt_p50_ms\":%.3f,\"rtt_p99_ms\":%.3f,\"server_rss_kb_per_client\":%.1f,"
            "\"server_threads\":%d,\"messages\":%lld,\"messages_per_s\":%.0f,"
            "\"machine_cores\":%d,\"machine_busy_percent\":%.1f,"
            "\"machine_steal_percent\":%.1f,\"server_waiting_percent\":%.1f,"
            "\"clients_waiting_percent\":%.1f,\"server_retransmitted\":%llu,"
            "\"server_t3_timeouts\":%llu,\"clients_retransmitted\":%llu,"
            "\"clients_t3_timeouts\":%llu}\n",
            name, w.clients, w.threads, w.shared_port ? "shared" : "per-peer",
            w.one_certificate ? "one" : "per-peer", unsigned{w.server_streams}, w.rate,
            r.connect_seconds, r.server_cpu_per_million, r.clients_cpu_per_million, r.rtt_p50_ms,
            r.rtt_p99_ms, r.server_rss_per_client_kb, r.server_threads, r.messages, r.rate,
            r.machine_cores, r.machine_busy_percent, r.machine_steal_percent,
            r.server_waiting_percent, r.clients_waiting_percent,
            static_cast<unsigned long long>(r.server_retransmitted),
            static_cast<unsigned long long>(r.server_t3_timeouts),
            static_cast<unsigned long long>(r.clients_retransmitted),
            static_cast<unsigned long long>(r.clients_t3_timeouts));
    else
        std::printf(
            "W6 %-10s %d clients, %u server thread(s), %s, %s, %u streams, %d msg/s each: "
            "connected in %.3f s; server %.2f CPU-s per million messages (its clients %.2f), RSS "
            "%.1f kB per client, %d threads; round trip p50 %.3f ms p99 %.3f ms; %lld messages "
            "(%.0f/s), every one checked; the machine's %d cores %.0f %% busy (%.1f %% "
            "stolen); waiting for a core: the server's threads %.1f %% of the time they could run, "
            "its clients' %.1f %%; DATA chunks retransmitted: server %llu (%llu T3 expiries), "
            "clients %llu (%llu)\n",
            name, w.clients, w.threads,
            w.shared_port ? "one shared server port" : "a server socket per peer",
            w.one_certificate ? "one server certificate" : "a key per peer",
            unsigned{w.server_streams}, w.rate, r.connect_seconds, r.server_cpu_per_million,
            r.clients_cpu_per_million, r.server_rss_per_client_kb, r.server_threads, r.rtt_p50_ms,
            r.rtt_p99_ms, r.messages, r.rate, r.machine_cores, r.machine_busy_percent,
            r.machine_steal_percent, r.server_waiting_percent, r.clients_waiting_percent,
            static_cast<unsigned long long>(r.server_retransmitted),
            static_cast<unsigned long long>(r.server_t3_timeouts),
            static_cast<unsigned long long>(r.clients_retransmitted),
            static_cast<unsigned long long>(r.clients_t3_timeouts));
    std::fflush(stdout);
}

// W6: a server process echoing to client processes. With --saturate, the rate per client doubles
// until the round trip's p99 reaches 50 ms (or a message is lost or late), then three bisection
// steps between the last rate that passed and the first that failed narrow it to an eighth of
// that interval; the highest rate that passed is the figure.
void run_server(const Settings& s, bench::ServerWorkload w, bool saturate) {
    if (!saturate) {
        print_server(s, w, bench::server_workload(w), "steady");
        return;
    }
    double best = 0;
    // One measurement at `rate` messages/s per client: whether it held p99 under 50 ms.
    const auto passes = [&](int rate) {
        w.rate = rate;
        bench::ServerResult r;
        try {
            r = bench::server_workload(w);
        } catch (const std::exception& e) {
            std::printf("W6 saturate: %d msg/s per client failed: %s\n", rate, e.what());
            return false;
        }
        print_server(s, w, r, "saturate");
        if (r.rtt_p99_ms >= 50) return false;
        best = std::max(best, r.rate);
        return true;
    };
    int passed = 0;
    int failed = 0;
    for (int rate = w.rate, step = 0; step < 12; ++step, rate *= 2) {
        if (!passes(rate)) {
            failed = rate;
            break;
        }
        passed = rate;
    }
    for (int step = 0; step < 3 && passed > 0 && failed - passed > 1; ++step) {
        const int middle = passed + (failed - passed) / 2;
        (passes(middle) ? passed : failed) = middle;
    }
    std::printf(
        "W6 saturation: %.0f messages/s echoed with p99 under 50 ms (%u server thread(s))\n", best,
        w.threads);
    std::fflush(stdout);
}

// Drops the last reference to `runtime` on this thread, which joins it. A destroyed
// PeerConnection is released by a task posted on its runtime and holds the runtime until then:
// wait for the tasks already posted, or the runtime would be released on its own thread, detached,
// and still running while the process exits.
void release(std::shared_ptr<Runtime> runtime) {
    std::promise<void> drained;
    runtime->post([&] { drained.set_value(); });
    drained.get_future().wait();
    runtime.reset();
}

int run(Args& args) {
    Settings s;
    s.json = args.flag("json");
    s.smoke = args.flag("smoke");
    const bool once = args.flag("once");
    const auto runs = args.integer("runs", 1, 1000);
    const bool runs_given = runs.has_value();
    s.runs = static_cast<int>(runs.value_or(s.smoke ? 1 : 5));
    if (auto p = args.integer("pairs", 1, 5000))
        s.pairs = {static_cast<int>(*p)};
    else
        s.pairs = s.smoke ? std::vector<int>{4} : std::vector<int>{50, 1000};
    if (auto m = args.integer("mib", 1, 4096)) s.mib = static_cast<std::uint64_t>(*m);
    if (auto r = args.value("rates")) {
        std::size_t pos = 0;
        while (pos <= r->size()) {
            const auto comma = std::min(r->find(',', pos), r->size());
            const std::string item = r->substr(pos, comma - pos);
            char* end = nullptr;
            const long v = std::strtol(item.c_str(), &end, 10);
            if (item.empty() || *end != '\0' || v < 0 || v > 50)
                throw UsageError("--rates: comma-separated percentages 0..50, e.g. 0,1,5");
            s.rates.push_back(static_cast<int>(v));
            pos = comma + 1;
        }
    }
    std::optional<std::uint16_t> streams;
    if (auto n = args.integer("streams", 1, 1024)) {
        streams = static_cast<std::uint16_t>(*n);
        bench::set_max_streams(*streams);
    }
    if (auto m = args.integer("message", 16, 256 * 1024)) s.message = static_cast<std::size_t>(*m);
    const auto threads = static_cast<unsigned>(args.integer("threads", 1, 64).value_or(1));
    bench::ServerWorkload server;
    server.threads = threads;
    if (auto n = args.integer("clients", 1, 100000)) server.clients = static_cast<int>(*n);
    if (auto n = args.integer("client-processes", 1, 64))
        server.client_processes = static_cast<int>(*n);
    if (auto n = args.integer("rate", 1, 100000)) server.rate = static_cast<int>(*n);
    if (auto n = args.integer("seconds", 1, 3600)) server.seconds = static_cast<int>(*n);
    if (s.message) server.size = s.message;
    if (streams) server.server_streams = *streams;
    if (auto sockets = args.value("server-sockets")) {
        if (*sockets != "shared" && *sockets != "per-peer")
            throw UsageError("--server-sockets shared|per-peer");
        server.shared_port = *sockets == "shared";
    }
    if (auto identity = args.value("server-certificate")) {
        if (*identity != "one" && *identity != "per-peer")
            throw UsageError("--server-certificate one|per-peer");
        server.one_certificate = *identity == "one";
    }
    const bool saturate = args.flag("saturate");
    const auto role = args.value("w6-role");
    const auto socket = args.value("w6-socket");
    if (auto file = args.value("certificate")) {
        if (file->find('\'') != std::string::npos)
            throw UsageError("--certificate: a path without single quotes, please");
        s.certificate = *file;
    }
    const auto what = args.positionals();
    args.finish();
    if (role) {  // a child of W6
        if (!socket) throw UsageError("--w6-role needs --w6-socket");
        if (*role == "server")
            return bench::w6_server(*socket, threads, server.shared_port, server.one_certificate);
        if (*role == "client")
            return bench::w6_client(*socket, server.clients, server.rate, server.seconds,
                                    server.size);
        throw UsageError("--w6-role server|client");
    }
    if (what.size() != 1) throw UsageError("name one workload: W1, W2, W3, W4, W5, W6, W7 or all");
    const std::string w = what[0];
    // Our own runtime, joined before exit (the default one lives until the process ends, with
    // OpenSSL's per-thread state on it).
    // With --threads N the PeerConnections go to its threads in turn: a pair's two ends on two.
    s.runtime = std::make_shared<Runtime>(threads);
    if (once) {
        if (w != "W2") throw UsageError("--once is for W2");
        // The fresh-process figure includes reading the certificate: a server loading its
        // identity at start-up pays that once, and it is counted here.
        const auto t0 = std::chrono::steady_clock::now();
        if (!s.certificate.empty())
            bench::set_certificate(load_or_create_certificate(s.certificate));
        const double load_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        std::printf("%.3f %.3f\n", load_ms, bench::setup_ms(s.runtime));
        release(std::move(s.runtime));
        return 0;
    }
    // Loaded (or made) once here, before any workload: the fresh-process W2 runs find the file.
    if (!s.certificate.empty()) bench::set_certificate(load_or_create_certificate(s.certificate));
    const std::uint64_t mib = 1 << 20;
    // --mib and --message shrink or reshape a throughput run, e.g. to count its instructions
    // under callgrind; the workloads' figures are quoted with their own sizes.
    const auto volume = [&](std::uint64_t own) {
        return (s.mib ? s.mib : s.smoke ? 2 : own) * mib;
    };
    bool known = false;
    if (w == "W1" || w == "all") {
        known = true;
        run_throughput(s, "W1", volume(256), s.message ? s.message : 65536);
    }
    if (w == "W5" || w == "all") {
        known = true;
        if (s.message) {
            run_throughput(s, "W5", volume(64), s.message);
        } else {
            run_throughput(s, "W5", s.smoke ? mib : volume(64), 1200);
            run_throughput(s, "W5", volume(256), 16384);
        }
    }
    if (w == "W2" || w == "all") {
        known = true;
        run_setup(s);
    }
    if (w == "W3" || w == "all") {
        known = true;
        run_round_trip(s);
    }
    if (w == "W4" || w == "all") {
        known = true;
        run_scale(s);
    }
    if (w == "W6" || w == "all") {
        known = true;
        if (s.smoke) {
            server.clients = 4;
            server.seconds = 1;
        }
        run_server(s, server, saturate && !s.smoke);
    }
    if (w == "W7") {  // not in `all`: needs root and namespaces
        known = true;
        run_loss(s, runs_given);
    }
    if (!known) throw UsageError("unknown workload '" + w + "'");
    release(std::move(s.runtime));
    return 0;
}

}  // namespace

FLOE_COMMAND(
    "bench",
    "bench W1|W2|W3|W4|W5|W6|W7|all [--runs N] [--pairs N] [--mib N] [--message BYTES] "
    "[--streams N] [--threads N] [--clients N] [--client-processes N] [--rate N] [--seconds N] "
    "[--saturate] [--server-sockets shared|per-peer] [--server-certificate one|per-peer] [--rates "
    "P,P,...] [--certificate FILE] "
    "[--json] [--smoke]  (W7: root; not in "
    "all)",
    "the performance workloads on loopback (docs/performance.md)", &run,
    "  W1..W7|all              the workload(s) to run (docs/performance.md)\n"
    "  --runs N                repetitions of each workload\n"
    "  --pairs N               W4: PeerConnection pairs (one size instead of 50 then 1,000)\n"
    "  --mib N                 W1/W5/W7: MiB to move\n"
    "  --message BYTES         W5/W6: message size\n"
    "  --streams N             SCTP streams each way (Configuration::max_streams; W6: the "
    "server's)\n"
    "  --threads N             the Runtime's threads (1); with 2, each end of a pair has its own\n"
    "  --clients N             W6: clients of the server (100)\n"
    "  --client-processes N    W6: processes the clients are spread over (2)\n"
    "  --rate N                W6: messages per second per client (20)\n"
    "  --seconds N             W6: seconds of messages once every client is connected (5)\n"
    "  --saturate              W6: double the rate until the round trip's p99 reaches 50 ms,\n"
    "                          then bisect three times between the last pass and first fail\n"
    "  --server-sockets shared|per-peer\n"
    "                          W6: the server's PeerConnections on one UDP port (shared, the\n"
    "                          default) or on a socket each\n"
    "  --server-certificate one|per-peer\n"
    "                          W6: one identity for all the server's PeerConnections, made at\n"
    "                          its start (the default), or a fresh key per PeerConnection\n"
    "  --w6-role server|client W6 internal: what a child process of W6 runs\n"
    "  --w6-socket PATH        W6 internal: the server's signaling socket\n"
    "  --rates P,P,...         W7: loss rates in percent (as root, in network namespaces)\n"
    "  --certificate FILE      every PeerConnection presents this PEM identity (made there when\n"
    "                          missing) instead of generating a key; W2's fresh processes\n"
    "                          are timed with its loading and, separately, without\n"
    "  --once                  W2: one set-up in this process (for fresh-process runs)\n"
    "  --json                  one JSON object per workload\n"
    "  --smoke                 tiny sizes, to check that everything runs\n");

}  // namespace floe::cli
