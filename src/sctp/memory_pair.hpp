// Two associations wired to each other in memory: packets from one's poll_transmit go into the
// other's handle_input, timers run on a clock the caller owns. No DTLS, no sockets, no sleeping.
// For tests, fuzzers and benchmarks (not part of the library's API).
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include <floe/bytes.hpp>

#include "common/time.hpp"
#include "sctp/association.hpp"

namespace floe::sctp {

struct MemoryPair {
    std::unique_ptr<Association> a;
    std::unique_ptr<Association> b;
    std::vector<Event> ea, eb;  // every event each side produced, in order (when collecting)
    bool collect_events = true;
    std::size_t largest_packet = 0;
    // Sees every packet before delivery; return true to drop it (a_to_b says which way it goes).
    std::function<bool(bool a_to_b, ByteSpan packet)> drop;
    // Events as they come out (instead of, or besides, collecting them).
    std::function<void(bool from_a, Event& event)> on_event;
    Instant& now;

    MemoryPair(Instant& clock, const Config& ca, const Config& cb)
        : a(std::make_unique<Association>(ca)), b(std::make_unique<Association>(cb)), now(clock) {}

    // Moves packets until both sides are quiet; collects events. Returns packets moved.
    std::size_t pump() {
        std::size_t total = 0;
        for (std::size_t moved = 1; moved;) {
            moved = carry(a.get(), b.get(), true) + carry(b.get(), a.get(), false);
            total += moved;
            drain(a.get(), true);
            drain(b.get(), false);
        }
        return total;
    }

    // Advances the clock in 10 ms timer ticks, firing both sides' timers.
    void run_for(Duration d) {
        const Instant end = now + d;
        while (now < end) {
            now += 10ms;
            if (a) a->handle_timeout(now);
            if (b) b->handle_timeout(now);
            pump();
        }
    }

    bool run_until(const std::function<bool()>& done, Duration limit = 10s) {
        pump();
        const Instant end = now + limit;
        while (!done()) {
            if (now >= end) return false;
            run_for(10ms);
        }
        return true;
    }

    bool establish(Duration limit = 10s) {
        return run_until([&] { return a->established() && b->established(); }, limit);
    }

  private:
    std::size_t carry(Association* from, Association* to, bool a_to_b) {
        if (!from) return 0;
        std::size_t moved = 0;
        while (auto p = from->poll_transmit()) {
            ++moved;
            largest_packet = std::max(largest_packet, p->size());
            if (drop && drop(a_to_b, *p)) continue;
            if (to) to->handle_input(now, *p);
        }
        return moved;
    }
    void drain(Association* s, bool from_a) {
        if (!s) return;
        while (auto e = s->poll_event()) {
            if (on_event) on_event(from_a, *e);
            if (collect_events) (from_a ? ea : eb).push_back(std::move(*e));
        }
    }
};

}  // namespace floe::sctp
