// Two DTLS transports wired together in memory, and a seeded lossy link with a virtual clock.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/random.hpp"
#include "dtls/transport.hpp"
#include "support/virtual_wall_clock.hpp"

namespace floe::test {

// Three identities made once per test run (key generation is the slow part of a test).
inline const Certificate& test_certificate(int which) {
    static const Certificate certificates[3] = {Certificate::generate(), Certificate::generate(),
                                                Certificate::generate()};
    return certificates[which];
}
inline const Certificate& cert_a() {
    return test_certificate(0);
}
inline const Certificate& cert_b() {
    return test_certificate(1);
}
inline const Certificate& cert_c() {
    return test_certificate(2);
}

// What one transport reported, gathered by drain().
struct Observed {
    std::optional<dtls::event::Connected> connected;
    std::optional<std::string> failed;
    std::optional<std::string> closed;
    std::vector<Bytes> data;
    std::vector<Bytes> sent;  // every datagram it transmitted
};

inline void drain_events(dtls::Transport& t, Observed& seen) {
    while (auto e = t.poll_event()) {
        if (auto* c = std::get_if<dtls::event::Connected>(&*e)) seen.connected = *c;
        if (auto* f = std::get_if<dtls::event::Failed>(&*e)) seen.failed = f->reason;
        if (auto* c = std::get_if<dtls::event::Closed>(&*e)) seen.closed = c->reason;
        if (auto* d = std::get_if<dtls::event::DataReceived>(&*e)) seen.data.push_back(d->data);
    }
}

inline std::vector<Bytes> drain_transmits(dtls::Transport& t, Observed& seen) {
    std::vector<Bytes> out;
    while (auto d = t.poll_transmit()) {
        out.emplace_back(d->begin(), d->end());
        seen.sent.push_back(out.back());
    }
    return out;
}

// A perfect in-memory link: whatever one side sends, the other receives at once.
struct Pair {
    dtls::Transport a;
    dtls::Transport b;
    Observed seen_a, seen_b;
    Instant now = Instant{} + 1h;

    Pair(Certificate ca, Certificate cb, dtls::Config config = {})
        : a(std::move(ca), config), b(std::move(cb), config) {}
    Pair(Certificate ca, Certificate cb, dtls::Config config_a, dtls::Config config_b)
        : a(std::move(ca), std::move(config_a)), b(std::move(cb), std::move(config_b)) {}

    // Moves datagrams both ways until neither side has anything to say.
    void pump() {
        for (int round = 0; round < 100; ++round) {
            auto from_a = drain_transmits(a, seen_a);
            auto from_b = drain_transmits(b, seen_b);
            for (auto& d : from_a)
                b.handle_input(now, d);
            for (auto& d : from_b)
                a.handle_input(now, d);
            drain_events(a, seen_a);
            drain_events(b, seen_b);
            if (from_a.empty() && from_b.empty()) return;
        }
    }
};

// A seeded link that drops and delays (and so reorders) datagrams, with a virtual clock.
class LossyLink {
  public:
    LossyLink(std::uint64_t seed, double loss, Duration min_delay, Duration max_delay)
        : random_(seed), loss_(loss), min_delay_(min_delay), max_delay_(max_delay) {}

    // Queues a datagram towards side `to` (0 or 1), unless the dice drop it.
    void send(int to, Bytes datagram, Instant now) {
        if (random_.unit() < loss_) {
            ++dropped;
            return;
        }
        const auto spread = static_cast<std::uint64_t>((max_delay_ - min_delay_).count());
        const Duration delay = min_delay_ + Duration(spread ? random_.uniform(spread + 1) : 0);
        queue_.emplace(std::make_pair(now + delay, next_id_++), Item{to, std::move(datagram)});
    }
    std::optional<Instant> next_delivery() const {
        if (queue_.empty()) return std::nullopt;
        return queue_.begin()->first.first;
    }
    // The first datagram due at `now`, if any.
    std::optional<std::pair<int, Bytes>> deliver(Instant now) {
        if (queue_.empty() || queue_.begin()->first.first > now) return std::nullopt;
        auto node = queue_.extract(queue_.begin());
        return std::make_pair(node.mapped().to, std::move(node.mapped().datagram));
    }
    std::uint64_t dropped = 0;

  private:
    struct Item {
        int to;
        Bytes datagram;
    };
    SeededRandom random_;
    double loss_;
    Duration min_delay_, max_delay_;
    std::uint64_t next_id_ = 0;
    std::map<std::pair<Instant, std::uint64_t>, Item> queue_;
};

}  // namespace floe::test
