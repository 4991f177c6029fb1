// Connection set-up under random loss, in the simulator (tests/sim): two complete PeerConnection
// cores on public addresses, every datagram arriving at either side dropped with probability P
// (as the interop kit's IOP_LOSS and `floe bench W7` drop them), one seed per run. For each loss
// rate it prints the virtual time from the offerer's start to ICE connected on both sides, to
// both PeerConnections connected (DTLS done) and to the channel open on both sides: median, p90,
// p99 and the slowest, with the seed that was slowest. Virtual time is a property of the protocols
// and their timers, so the figures do not depend on the machine, and two builds compare exactly.
// --log-seed S logs run S at trace level, with the virtual time of every datagram delivered or
// lost. (A run's course depends on the runs before it once usrsctp is involved, through its
// process-wide timer: docs/simulator.md, "Full stack"; so --seed S, which runs S alone, may not
// repeat what S did among the others.)
//
//   bench_setup_loss [--runs N] [--rates 0,1,5,10] [--rtt-ms R] [--seed S] [--log-seed S] [--json]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <floe/log.hpp>

#include "sim/peer_topology.hpp"
#include "support/virtual_wall_clock.hpp"

using namespace floe;
using namespace floe::sim;

namespace {

struct Options {
    std::uint64_t runs = 400;
    std::vector<double> rates{0, 1, 5, 10};
    double rtt_ms = 20;
    std::uint64_t seed = 0;      // 0: seeds 1..runs
    std::uint64_t log_seed = 0;  // this seed's run logs at trace level
    bool json = false;
};

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: bench_setup_loss [--runs N] [--rates P,P,...] [--rtt-ms R] [--seed S] "
                 "[--log-seed S] [--json]\n");
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--json") {
            o.json = true;
        } else if (arg == "--runs" && has_value) {
            o.runs = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--seed" && has_value) {
            o.seed = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--log-seed" && has_value) {
            o.log_seed = std::strtoull(argv[++i], nullptr, 10);
        } else if (arg == "--rtt-ms" && has_value) {
            o.rtt_ms = std::strtod(argv[++i], nullptr);
        } else if (arg == "--rates" && has_value) {
            o.rates.clear();
            std::istringstream in(argv[++i]);
            for (std::string p; std::getline(in, p, ',');)
                o.rates.push_back(std::strtod(p.c_str(), nullptr));
        } else {
            usage();
        }
    }
    if (o.runs == 0 || o.rates.empty() || o.rtt_ms < 0) usage();
    return o;
}

struct Setup {
    std::optional<Duration> ice_connected;   // both agents
    std::optional<Duration> dtls_connected;  // both PeerConnections connected (DTLS done)
    std::optional<Duration> channel_open;    // both ends of the channel
    std::uint64_t datagrams = 0;             // sent by both sides until then (or the limit)
};

// One set-up: `loss` on what each side receives, the round trip on a's link.
Setup run_one(std::uint64_t seed, double loss, Duration rtt) {
    std::optional<test::VirtualWallClock> wall;
    PeerTopologyConfig config;
    LinkConfig a_link{.delay = rtt / 2};
    config.a.path = {a_link, a_link};
    config.a.path.down.loss = loss;
    config.b.path.down.loss = loss;
    config.stun_server = false;
    PeerTopology t(seed, config, [&](Instant now) {
        if (wall) wall->set(now);
    });
    wall.emplace();
    t.start();
    const auto channel = t.a.open_channel(t.net.now(), "data");
    t.net.flush();
    Setup s;
    const auto ice_connected = [](const PeerNode& n) {
        return std::any_of(n.ice_states.begin(), n.ice_states.end(), [](const auto& e) {
            return e.second == IceConnectionState::connected ||
                   e.second == IceConnectionState::completed;
        });
    };
    // Each figure is taken the first time its condition holds (the channel may open before a's
    // agent completes: DTLS runs on the path the peer's check validated).
    t.run_until(
        [&] {
            const Duration now = t.net.now() - t.started;
            if (!s.ice_connected && ice_connected(t.a) && ice_connected(t.b)) s.ice_connected = now;
            if (!s.dtls_connected && t.a.reached(PeerConnectionState::connected) &&
                t.b.reached(PeerConnectionState::connected))
                s.dtls_connected = now;
            if (!s.channel_open && t.a.channels[channel].opened && !t.b.incoming.empty() &&
                t.b.channels[t.b.incoming.front()].opened)
                s.channel_open = now;
            return s.ice_connected && s.channel_open;
        },
        60s);
    s.datagrams = t.net.stats().sent;
    return s;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[index];
}

// One figure's samples over the runs of a loss rate.
struct Series {
    const char* name;
    std::vector<double> ms{};
    double max_ms = 0;
    std::uint64_t failed = 0;
    std::uint64_t slowest_seed = 0;
    void add(const std::optional<Duration>& d, std::uint64_t seed) {
        if (!d) {
            ++failed;
            return;
        }
        ms.push_back(to_ms(*d));
        if (ms.size() == 1 || ms.back() > max_ms) {
            max_ms = ms.back();
            slowest_seed = seed;
        }
    }
};

void report(const Options& o, double rate, const Series& s, double datagrams) {
    if (s.ms.empty()) {
        std::printf("%5.1f %%  %-14s none of %llu runs\n", rate, s.name,
                    static_cast<unsigned long long>(s.failed));
        return;
    }
    const auto failed = static_cast<unsigned long long>(s.failed);
    const auto seed = static_cast<unsigned long long>(s.slowest_seed);
    if (o.json) {
        std::printf(
            "{\"loss_percent\":%g,\"rtt_ms\":%g,\"figure\":\"%s\",\"runs\":%zu,"
            "\"failed\":%llu,\"p50_ms\":%.1f,\"p90_ms\":%.1f,\"p99_ms\":%.1f,"
            "\"max_ms\":%.1f,\"slowest_seed\":%llu,\"datagrams_mean\":%.1f}\n",
            rate, o.rtt_ms, s.name, s.ms.size(), failed, percentile(s.ms, 0.5),
            percentile(s.ms, 0.9), percentile(s.ms, 0.99), s.max_ms, seed, datagrams);
        return;
    }
    std::printf(
        "%5.1f %%  %-14s p50 %7.1f  p90 %7.1f  p99 %7.1f  max %7.1f ms (seed %llu), "
        "%.1f datagrams%s\n",
        rate, s.name, percentile(s.ms, 0.5), percentile(s.ms, 0.9), percentile(s.ms, 0.99),
        s.max_ms, seed, datagrams,
        failed ? ("  " + std::to_string(failed) + " did not").c_str() : "");
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    if (!o.json)
        std::printf(
            "virtual time from start to ICE connected, DTLS connected and channel open on both "
            "sides, "
            "%llu runs per loss rate, %.1f ms round trip\n",
            static_cast<unsigned long long>(o.seed ? 1 : o.runs), o.rtt_ms);
    const Duration rtt =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double, std::milli>(o.rtt_ms));
    for (const double rate : o.rates) {
        Series ice{"ice_connected"}, dtls{"dtls_connected"}, open{"channel_open"};
        double datagrams = 0;
        const std::uint64_t runs = o.seed ? 1 : o.runs;
        for (std::uint64_t i = 0; i < runs; ++i) {
            const std::uint64_t seed = o.seed ? o.seed : i + 1;
            if (seed == o.log_seed) set_log_level(LogLevel::trace);
            const Setup s = run_one(seed, rate / 100.0, rtt);
            if (seed == o.log_seed) set_log_level(LogLevel::warn);
            datagrams += static_cast<double>(s.datagrams) / static_cast<double>(runs);
            ice.add(s.ice_connected, seed);
            dtls.add(s.dtls_connected, seed);
            open.add(s.channel_open, seed);
        }
        for (const Series* series : {&ice, &dtls, &open})
            report(o, rate, *series, datagrams);
    }
}
