// SCTP throughput between two associations connected in memory (no DTLS, no sockets): one side
// sends messages of a fixed size as fast as usrsctp takes them, both sides' packets are carried
// at once, timers fire on the real clock. Prints MB/s of delivered user data and CPU use, plus
// the CRC32c cost per packet and the heap held by idle associations.
//
//   bench_sctp [--only NAME] [--iterations N]   (N: megabytes to send per case, default 512)
#include <malloc.h>
#include <sys/resource.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "common/crc32c.hpp"
#include "sctp/memory_pair.hpp"
#include "support/bench.hpp"

using namespace floe;
using namespace floe::sctp;

namespace {

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void throughput(const char* name, std::size_t message_size, const bench::Options& options) {
    if (!options.only.empty() && options.only != name) return;
    const std::size_t total = (options.iterations ? options.iterations : 512) * 1000 * 1000;
    Instant now = Clock::now();
    Config ca{.role = Role::client}, cb{.role = Role::server};
    MemoryPair pair(now, ca, cb);
    pair.collect_events = false;
    std::size_t received = 0, messages = 0;
    pair.on_event = [&](bool, Event& e) {
        if (auto* m = std::get_if<event::Message>(&e)) {
            received += m->data.size();
            ++messages;
        }
    };
    if (!pair.establish()) {
        std::printf("%s: association did not come up\n", name);
        return;
    }
    auto id = pair.a->open_channel("bench", "");
    pair.pump();
    const Bytes message(message_size, 0xab);

    const double cpu0 = cpu_seconds();
    const Instant t0 = Clock::now();
    std::size_t sent = 0;
    Instant next_tick = t0 + 10ms;
    while (received < total) {
        // Keep about a megabyte queued above what usrsctp holds.
        while (sent < total && pair.a->buffered_amount(*id) < 1024 * 1024) {
            if (!pair.a->send(*id, true, message).ok()) break;
            sent += message_size;
        }
        if (pair.pump() == 0 || Clock::now() >= next_tick) {
            now = Clock::now();
            next_tick = now + 10ms;
            pair.a->handle_timeout(now);
            pair.b->handle_timeout(now);
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    std::printf(
        "%-18s %8.1f MB/s  %7.0f msg/s  %6.1f MB per CPU second  (cpu %.2f s, wall %.2f s, "
        "largest packet %zu B)\n",
        name, double(received) / seconds / 1e6, double(messages) / seconds,
        double(received) / cpu / 1e6, cpu, seconds, pair.largest_packet);
}

void idle_memory(const char* name, std::uint16_t streams, const bench::Options& options) {
    if (!options.only.empty() && options.only != name) return;
    Instant now = Clock::now();
    Config ca{.role = Role::client}, cb{.role = Role::server};
    ca.max_streams = cb.max_streams = streams;
    {  // warm up usrsctp's global state first
        MemoryPair warm(now, ca, cb);
        warm.establish();
    }
    const std::size_t before = mallinfo2().uordblks;
    std::vector<std::unique_ptr<MemoryPair>> pairs;
    constexpr int kPairs = 100;
    for (int i = 0; i < kPairs; ++i) {
        pairs.push_back(std::make_unique<MemoryPair>(now, ca, cb));
        pairs.back()->collect_events = false;
        pairs.back()->establish();
        (void)pairs.back()->a->open_channel("idle", "");
        pairs.back()->pump();
    }
    const std::size_t after = mallinfo2().uordblks;
    std::printf(
        "%-18s %8.1f KB heap per established association with one channel (%d pairs, "
        "%u streams)\n",
        name, double(after - before) / (2.0 * kPairs) / 1024, kPairs, unsigned{streams});
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = bench::Options::parse(argc, argv);
    const Bytes packet(1200, 0x5a);
    bench::Options micro = options;
    micro.iterations = 0;
    bench::run("crc32c_1200B", micro, [&] { bench::keep(crc32c(packet)); });
    bench::run("crc32c_portable_1200B", micro, [&] { bench::keep(crc32c_portable(packet)); });
    throughput("throughput_64KiB", 64 * 1024, options);
    throughput("throughput_1200B", 1200, options);
    idle_memory("idle_memory", 1024, options);
    idle_memory("idle_memory_256", 256, options);
}
