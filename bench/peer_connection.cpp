// Two PeerConnections on loopback in one process: time to open a channel, message round trip
// (with p50/p99), and bulk throughput. Figures only; nothing is asserted.
//   bench_peer_connection [--only connect|round_trip|bulk] [--iterations N] [--json]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include <floe/peer_connection.hpp>

#include "support/bench.hpp"

using namespace floe;
using Clock = std::chrono::steady_clock;

namespace {

Configuration loopback() {
    Configuration c;
    c.loopback_only = true;
    c.enable_ipv6 = false;
    return c;
}

template <class P>
void spin_until(P pred) {
    while (!pred())
        std::this_thread::yield();
}

// a offers with one channel; b echoes text and counts binary bytes.
struct Pair {
    std::unique_ptr<PeerConnection> a = std::make_unique<PeerConnection>(loopback());
    std::unique_ptr<PeerConnection> b = std::make_unique<PeerConnection>(loopback());
    std::shared_ptr<DataChannel> dc;
    std::atomic<bool> open{false};
    std::atomic<std::uint64_t> echoes{0};
    std::atomic<std::uint64_t> bytes{0};
    std::shared_ptr<DataChannel> remote;

    Pair() {
        b->on_data_channel([this](std::shared_ptr<DataChannel> ch) {
            remote = ch;
            ch->on_message([this, raw = ch.get()](Message m) {
                if (m.binary)
                    bytes += m.size();
                else
                    raw->send(m.text());
            });
        });
        dc = a->create_data_channel("bench");
        dc->on_open([this] { open = true; });
        dc->on_message([this](Message) { ++echoes; });
        std::atomic<bool> ga{false}, gb{false};
        a->on_ice_candidate([&](std::optional<IceCandidate> c) {
            if (!c) ga = true;
        });
        b->on_ice_candidate([&](std::optional<IceCandidate> c) {
            if (!c) gb = true;
        });
        a->set_local_description(a->create_offer());
        spin_until([&] { return ga.load(); });
        b->set_remote_description(*a->local_description());
        b->set_local_description(b->create_answer());
        spin_until([&] { return gb.load(); });
        a->set_remote_description(*b->local_description());
        spin_until([&] { return open.load(); });
        a->on_ice_candidate(nullptr);
        b->on_ice_candidate(nullptr);
    }
};

}  // namespace

int main(int argc, char** argv) {
    auto options = bench::Options::parse(argc, argv);
    const auto want = [&](const char* name) {
        return options.only.empty() || options.only == name;
    };

    if (want("connect")) {
        auto o = options;
        if (!o.iterations) o.iterations = 20;
        bench::run("connect", o, [] { Pair p; });
    }
    if (want("round_trip")) {
        Pair p;
        const int n = options.iterations ? static_cast<int>(options.iterations) : 5000;
        std::vector<double> us;
        us.reserve(n);
        for (int i = 0; i < n; ++i) {
            const auto before = p.echoes.load();
            const auto t0 = Clock::now();
            p.dc->send("0123456789abcdef");
            spin_until([&] { return p.echoes.load() != before; });
            us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        }
        std::sort(us.begin(), us.end());
        std::printf("round_trip_16B: p50 %.1f us, p99 %.1f us over %d round trips\n", us[n / 2],
                    us[n * 99 / 100], n);
    }
    if (want("bulk")) {
        Pair p;
        const std::uint64_t total = 64ull << 20;
        const Bytes chunk(65536, 0x42);
        const auto t0 = Clock::now();
        for (std::uint64_t sent = 0; sent < total; sent += chunk.size()) {
            p.dc->send(chunk);
            spin_until([&] { return p.dc->buffered_amount() < (4u << 20); });
        }
        spin_until([&] { return p.bytes.load() >= total; });
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        std::printf("bulk_64MiB_64KiB_messages: %.3f s, %.1f MB/s\n", s, double(total) / 1e6 / s);
    }
    return 0;
}
