// `floe demo`: the whole stack in one process, on loopback only. An embedded STUN server
// (tools::StunServer: the stun layer's sans-IO Binding server behind a UDP socket), two
// PeerConnections that gather host and server-reflexive candidates from it, connect, check each
// other's certificate fingerprint, open a channel, exchange messages, push 64 MiB through it and
// close, printing each step.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include <floe/peer_connection.hpp>
#include <floe/tools/stun.hpp>

#include "command.hpp"

namespace floe::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

double ms_since(SteadyClock::time_point t) {
    return std::chrono::duration<double, std::milli>(SteadyClock::now() - t).count();
}

// A flag to wait for, set from callbacks.
class Signal {
  public:
    void set() {
        std::lock_guard lock(m_);
        set_ = true;
        cv_.notify_all();
    }
    void reset() {
        std::lock_guard lock(m_);
        set_ = false;
    }
    bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, timeout, [this] { return set_; });
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    bool set_ = false;
};

int fail(const char* what) {
    std::printf("demo: FAILED: %s\n", what);
    return 1;
}

int run(Args& args) {
    const auto mib = args.integer("mib", 0, 4096).value_or(64);
    const auto pcap = args.value("pcap");
    args.finish();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);

    // 1. STUN server on its own thread (stopped by its destructor on every return).
    const SocketAddress loopback(IpAddress::loopback(AddressFamily::ipv4), 0);
    tools::StunServer server({loopback}, "floe-demo");
    const auto stun_address = server.local_addresses().front();
    std::printf("1. STUN server listening on %s\n", stun_address.to_string().c_str());

    Configuration config;
    config.loopback_only = true;
    config.enable_ipv6 = false;
    config.ice_servers = {"stun:" + stun_address.to_string()};

    const auto t0 = SteadyClock::now();
    int status = 0;
    {
        // Everything the callbacks touch is declared before the peers, so it outlives them.
        Signal alice_gathered, bob_gathered, open, bob_channel, echo, done, low, closed;
        std::atomic<std::uint64_t> bulk_bytes{0};
        std::atomic<bool> waiting{false};
        Configuration alice_config = config;
        if (pcap) alice_config.pcap_file = *pcap;  // alice's side: each packet once
        PeerConnection alice(alice_config);
        PeerConnection bob(config);
        std::printf("2. two peers, alice (offerer) and bob (answerer), gathering on loopback\n");
        const auto on_candidate = [](const char* who, Signal& gathered) {
            return [who, &gathered](std::optional<IceCandidate> c) {
                if (c)
                    std::printf("   %s candidate %s\n", who, c->candidate.c_str());
                else
                    gathered.set();
            };
        };
        alice.on_ice_candidate(on_candidate("alice", alice_gathered));
        bob.on_ice_candidate(on_candidate("bob  ", bob_gathered));

        auto channel = alice.create_data_channel("demo");
        std::shared_ptr<DataChannel> remote;
        std::uint64_t bulk_total = static_cast<std::uint64_t>(mib) << 20;
        bob.on_data_channel([&](std::shared_ptr<DataChannel> dc) {
            remote = dc;
            DataChannel* raw = dc.get();
            dc->on_message([&, raw](Message m) {
                if (m.binary) {
                    if ((bulk_bytes += m.size()) >= bulk_total) done.set();
                    return;
                }
                std::printf("   bob   got \"%s\", answers\n", std::string(m.text()).c_str());
                raw->send("pong");
            });
            bob_channel.set();
        });
        channel->on_open([&] { open.set(); });
        channel->on_message([&](Message m) {
            std::printf("   alice got \"%s\"\n", std::string(m.text()).c_str());
            echo.set();
        });

        alice.set_local_description(alice.create_offer());
        if (!alice_gathered.wait()) return fail("alice did not finish gathering");
        bob.set_remote_description(*alice.local_description());
        bob.set_local_description(bob.create_answer());
        if (!bob_gathered.wait()) return fail("bob did not finish gathering");
        alice.set_remote_description(*bob.local_description());
        std::printf(
            "3. offer and answer exchanged (%.1f ms); the STUN server answered each peer,\n"
            "   but on loopback the reflexive address is the host address itself, so\n"
            "   ICE drops that srflx candidate as redundant (RFC 8445 §5.1.3)\n",
            ms_since(t0));

        if (!open.wait() || !bob_channel.wait()) return fail("the channel did not open");
        const double open_ms = ms_since(t0);
        const auto sa = alice.get_stats();
        const auto sb = bob.get_stats();
        std::printf("4. connected, channel \"%s\" open %.1f ms after the peers were created\n",
                    channel->label().c_str(), open_ms);
        const auto* pair = sa.selected_candidate_pair();
        std::printf("   selected pair: %s\n", pair ? sa.describe(*pair).c_str() : "?");
        std::printf("   DTLS cipher:   %s\n",
                    sa.transport ? sa.transport->dtls_cipher.c_str() : "");
        const auto fingerprint = [](const CertificateStats* c) {
            return c ? describe(*c) : std::string("(none)");
        };
        std::printf("   alice's certificate %s\n", fingerprint(sa.local_certificate()).c_str());
        std::printf("   bob's certificate   %s\n", fingerprint(sb.local_certificate()).c_str());
        const bool verified =
            fingerprint(sa.remote_certificate()) == fingerprint(sb.local_certificate()) &&
            fingerprint(sb.remote_certificate()) == fingerprint(sa.local_certificate());
        std::printf("   fingerprints %s the descriptions\n", verified ? "match" : "DO NOT match");
        if (!verified) status = 1;

        std::printf("5. messages\n");
        channel->send("ping");
        if (!echo.wait()) return fail("no answer to ping");

        std::printf("6. pushing %lld MiB in 64 KiB messages\n", static_cast<long long>(mib));
        const Bytes chunk(65536, 0x5A);
        channel->set_buffered_amount_low_threshold(1 << 20);
        channel->on_buffered_amount_low([&] {
            if (waiting) low.set();
        });
        const auto t_bulk = SteadyClock::now();
        std::uint64_t sent = 0;
        while (sent < bulk_total) {
            channel->send(chunk);
            sent += chunk.size();
            if (channel->buffered_amount() > (4u << 20)) {
                // Back-pressure: wait for the low-threshold event (polled as a fallback).
                waiting = true;
                while (channel->buffered_amount() > (1u << 20))
                    low.wait(std::chrono::milliseconds(5));
                waiting = false;
                low.reset();
            }
        }
        if (bulk_total > 0 && !done.wait(std::chrono::seconds(120)))
            return fail("the bulk transfer did not complete");
        const double seconds = ms_since(t_bulk) / 1000;
        if (bulk_total > 0)
            std::printf("   %llu bytes in %.3f s = %.1f MB/s\n",
                        static_cast<unsigned long long>(bulk_total), seconds,
                        static_cast<double>(bulk_total) / 1e6 / seconds);

        const auto stats = alice.get_stats();
        std::printf("7. alice sent %llu messages (%llu bytes), received %llu\n",
                    static_cast<unsigned long long>(stats.floe.messages_sent),
                    static_cast<unsigned long long>(stats.floe.bytes_sent),
                    static_cast<unsigned long long>(stats.floe.messages_received));
        remote->on_close([&] { closed.set(); });
        channel->close();
        if (!closed.wait()) return fail("the channel did not close on the other side");
        std::printf("8. channel closed on both sides; closing the peers\n");
        alice.close();
        bob.close();
    }
    server.stop();
    std::printf("9. STUN server: %s\n", server.counters().c_str());
    std::printf(status == 0 ? "demo: ok\n" : "demo: FAILED\n");
    return status;
}

}  // namespace

FLOE_COMMAND("demo", "demo [--mib N] [--pcap FILE]",
             "two peers and a STUN server in one process on loopback: connect, chat, 64 MiB", &run,
             "  --mib N                 MiB to push through the channel at the end (0: none)\n"
             "  --pcap FILE             write alice's datagrams to FILE (pcapng) with the DTLS\n"
             "                          secrets and a decrypted SCTP view (docs/capture.md)\n");

}  // namespace floe::cli
