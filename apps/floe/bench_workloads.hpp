// The workloads of `floe bench` (issue 7): two PeerConnections in one process, signalled
// in-process, gathering on loopback only, default settings otherwise. Each workload returns its
// samples; cmd_bench.cpp repeats, summarises and prints them. Every wait is bounded in time, and
// every received message is checked (size and sequence number): a workload that fails throws.
// Every PeerConnection lives on `runtime`, which the caller owns (and joins before exiting, so
// that OpenSSL's per-thread state is released).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <floe/certificate.hpp>
#include <floe/configuration.hpp>
#include <floe/runtime.hpp>

namespace floe::cli::bench {

// W1 / W5: `total` bytes in messages of `message_size` on one reliable ordered channel, keeping
// buffered_amount at or under 1 MiB (refilled from the low-threshold event at 512 KiB). Timed from
// the first send until the receiver has every byte.
struct ThroughputResult {
    double seconds = 0;
    double cpu_seconds = 0;  // this process, user + system, over the same interval
    double mb_per_s = 0;     // 10^6 bytes per second
};
ThroughputResult throughput(const std::shared_ptr<Runtime>& runtime, std::uint64_t total,
                            std::size_t message_size);

// W2: milliseconds from creating the first PeerConnection to the channel being open on both
// sides, for one pair made in this process.
double setup_ms(const std::shared_ptr<Runtime>& runtime);

// W3: round-trip times in microseconds of `count` ping-pongs of a 100-byte message, after
// `warm_up` ones. Driven from the runtime thread: no thread hand-off inside a sample.
std::vector<double> round_trips_us(const std::shared_ptr<Runtime>& runtime, int count, int warm_up);

// W4: `pairs` connected pairs, each with an open channel and one message checked on it.
struct ScaleResult {
    double establish_seconds = 0;
    double establish_cpu_seconds = 0;  // this process, user + system
    double rss_before_kb = 0;          // VmRSS before the first pair
    double peak_rss_kb = 0;            // VmHWM with every pair open
    double kb_per_pair = 0;            // (VmRSS with every pair open - rss_before) / pairs
    int threads = 0;                   // threads of this process with every pair open
};
ScaleResult scale(const std::shared_ptr<Runtime>& runtime, int pairs);

// The workloads' Configuration: on `runtime`, gathering on loopback only, IPv4, with the
// certificate and max_streams set by set_certificate() and set_max_streams().
Configuration loopback(const std::shared_ptr<Runtime>& runtime);

// A field of /proc/PID/status ("VmRSS", "VmHWM", "Threads"; kB for the memory ones), 0 when
// absent.
double proc_status(const std::string& field, const std::string& pid = "self");

// Configuration::max_streams for every PeerConnection the workloads make from now on (default
// 1,024, the workloads' setting): `floe bench W4 --streams N` shows what streams cost in memory.
void set_max_streams(std::uint16_t streams);

// Configuration::certificates for every PeerConnection the workloads make from now on (both sides
// of each pair present it): `floe bench W2 --certificate FILE` measures setup without key
// generation, as a server that keeps its identity pays it.
void set_certificate(Certificate certificate);

}  // namespace floe::cli::bench
