// DTLS figures: a full in-memory handshake (two transports, both certificates made beforehand),
// and one 1,200-byte record encrypted by one transport and decrypted by the other.
//
//   bench_dtls                                    ns/op and allocations/op
//   bench/callgrind.sh build/release/bench/bench_dtls handshake 20     instructions per handshake
//   bench/dtls_compare.sh                          the record figure next to `openssl speed`
//
// Comparing with `openssl speed -evp aes-128-gcm -bytes 1200`: that figure is AES-128-GCM
// encryption alone, in one direction, without record framing. encrypt_decrypt_1200 does both
// halves (seal on one side, open on the other) plus DTLS record handling and the memory BIOs, so
// its MB/s is to be set against half of openssl's figure; the gap is floe's and OpenSSL's record
// overhead.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include <floe/certificate.hpp>

#include "dtls/certificate.hpp"
#include "dtls/transport.hpp"
#include "support/bench.hpp"

using namespace floe;
using namespace floe::dtls;

namespace {

void pump(Transport& a, Transport& b, Instant now) {
    for (int round = 0; round < 10; ++round) {
        bool moved = false;
        while (auto d = a.poll_transmit()) {
            b.handle_input(now, *d);
            moved = true;
        }
        while (auto d = b.poll_transmit()) {
            a.handle_input(now, *d);
            moved = true;
        }
        if (!moved) return;
    }
}

void drop_events(Transport& t) {
    while (t.poll_event()) {
    }
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = bench::Options::parse(argc, argv);
    const Certificate ca = Certificate::generate();
    const Certificate cb = Certificate::generate();
    const Instant now = Instant{} + std::chrono::hours(1);

    bench::run("handshake", options, [&] {
        Transport a(ca);
        Transport b(cb);
        b.start(now, Role::server, floe::dtls::identity(ca).fingerprint);
        a.start(now, Role::client, floe::dtls::identity(cb).fingerprint);
        pump(a, b, now);
        if (a.state() != State::connected || b.state() != State::connected) std::abort();
        bench::keep(a.stats());
    });

    // One connected pair per record layer: floe's (the default) and OpenSSL's, for comparison.
    struct Connected {
        std::unique_ptr<Transport> a, b;
    };
    auto connect = [&](RecordLayer layer) {
        Config config;
        config.mtu = 1300;  // room for a 1,200-byte payload plus the record header and tag
        config.record_layer = layer;
        Connected c{std::make_unique<Transport>(ca, config),
                    std::make_unique<Transport>(cb, config)};
        c.b->start(now, Role::server, floe::dtls::identity(ca).fingerprint);
        c.a->start(now, Role::client, floe::dtls::identity(cb).fingerprint);
        pump(*c.a, *c.b, now);
        if (c.a->state() != State::connected) std::abort();
        drop_events(*c.a);
        drop_events(*c.b);
        return c;
    };
    Bytes payload(1200, 0x42);
    std::uint64_t bytes = 0;
    auto encrypt_decrypt = [&](Transport& a, Transport& b) {
        if (!a.send(payload)) std::abort();
        while (auto d = a.poll_transmit())
            b.handle_input(now, *d);
        while (auto e = b.poll_event()) {
            Bytes& data = std::get<event::DataReceived>(*e).data;
            bytes += data.size();
            b.recycle(std::move(data));  // the next record reuses this buffer
        }
    };
    for (const auto& [name, layer] :
         {std::pair{"encrypt_decrypt_1200", RecordLayer::floe},
          std::pair{"encrypt_decrypt_1200_openssl", RecordLayer::openssl}}) {
        const std::string case_name = name;
        if (!options.only.empty() && options.only != case_name) continue;
        Connected c = connect(layer);
        // The client seals (floe's writer from the start), the server opens.
        bench::run(case_name, options, [&] { encrypt_decrypt(*c.a, *c.b); });

        // MB/s from a timed run of its own (skipped when --iterations is given, as callgrind.sh
        // does).
        if (options.iterations != 0) continue;
        const std::uint64_t n = 200000;
        const auto t0 = std::chrono::steady_clock::now();
        for (std::uint64_t i = 0; i < n; ++i)
            encrypt_decrypt(*c.a, *c.b);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!options.json)
            std::printf(
                "%-40s %12.1f MB/s of payload (seal + open, %s); compare with half of\n"
                "%-40s `openssl speed -evp aes-128-gcm -bytes 1200` (bench/dtls_compare.sh)\n",
                (case_name + " throughput").c_str(), 1200.0 * double(n) / s / 1e6,
                c.a->cipher().c_str(), "");
    }
    bench::keep(bytes);
    return 0;
}
