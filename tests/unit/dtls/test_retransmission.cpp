// Handshake timing on a virtual clock: the retransmission schedule, the overall timeout, and a
// handshake through a seeded link that loses 30 % of datagrams and reorders the rest.
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <set>

#include <floe/error.hpp>

#include "dtls/certificate.hpp"
#include "dtls/transport.hpp"
#include "dtls_harness.hpp"

using namespace floe;
using namespace floe::dtls;
using namespace floe::test;

namespace {

// A handshake between two transports with `config`, over a link that delays each datagram by
// `one_way` and drops those `drop` says (called once per datagram, in sending order), on a virtual
// clock. Returns the virtual time until both are connected, and the retransmissions.
struct Run {
    Duration time{};
    std::uint64_t retransmissions = 0;
    bool connected = false;
};
Run handshake(const Config& config, Duration one_way, const std::function<bool()>& drop) {
    VirtualWallClock clock;
    Transport t[2] = {Transport(cert_a(), config), Transport(cert_b(), config)};
    Observed seen[2];
    std::multimap<Instant, std::pair<int, Bytes>> in_flight;
    const Instant t0 = Instant{} + 1h;
    Instant now = t0;
    clock.set(now);
    t[1].start(now, Role::server, dtls::identity(cert_a()).fingerprint);
    t[0].start(now, Role::client, dtls::identity(cert_b()).fingerprint);
    for (int step = 0; step < 10000; ++step) {
        for (int i = 0; i < 2; ++i) {
            for (auto& d : drain_transmits(t[i], seen[i]))
                if (!drop()) in_flight.emplace(now + one_way, std::make_pair(1 - i, std::move(d)));
            drain_events(t[i], seen[i]);
        }
        if (t[0].state() == State::connected && t[1].state() == State::connected) break;
        if (t[0].state() == State::failed || t[1].state() == State::failed) break;
        std::optional<Instant> next;
        if (!in_flight.empty()) next = in_flight.begin()->first;
        for (auto& side : t)
            if (auto d = side.poll_timeout(); d && (!next || *d < *next)) next = d;
        if (!next) break;
        now = std::max(now, *next);
        clock.set(now);
        while (!in_flight.empty() && in_flight.begin()->first <= now) {
            auto node = in_flight.extract(in_flight.begin());
            t[node.mapped().first].handle_input(now, node.mapped().second);
        }
        for (auto& side : t)
            side.handle_timeout(now);
    }
    return Run{now - t0, t[0].stats().retransmissions + t[1].stats().retransmissions,
               t[0].state() == State::connected && t[1].state() == State::connected};
}

Config with_initial(Duration initial) {
    Config c;
    c.initial_retransmit = initial;
    return c;
}

}  // namespace

TEST_CASE("the first wait is twice the ICE round trip, within 50 ms and 3 s; 200 ms unknown") {
    CHECK(initial_retransmit_for(std::nullopt) == 200ms);
    CHECK(initial_retransmit_for(100us) == 50ms);  // a LAN or namespaces: the floor
    CHECK(initial_retransmit_for(25ms) == 50ms);
    CHECK(initial_retransmit_for(40ms) == 80ms);
    CHECK(initial_retransmit_for(300ms) == 600ms);
    CHECK(initial_retransmit_for(2s) == 3s);  // the ceiling
}

TEST_CASE("a first wait of 50 ms doubles up to the cap: 50, 150, 350, 750, 1150 ms") {
    VirtualWallClock clock;
    const Instant t0 = Instant{} + 1h;
    Config config;
    config.max_retransmit = 400ms;
    config.handshake_timeout = 1300ms;
    Transport a(cert_a(), config);
    a.set_initial_retransmit(50ms);
    Observed seen;
    clock.set(t0);
    a.start(t0, Role::client, dtls::identity(cert_b()).fingerprint);
    CHECK_THROWS_AS(a.set_initial_retransmit(10ms), InvalidStateError);
    std::vector<Duration> sent_at(drain_transmits(a, seen).size(), 0ms);
    while (auto deadline = a.poll_timeout()) {
        clock.set(*deadline);
        a.handle_timeout(*deadline);
        for (std::size_t i = 0, n = drain_transmits(a, seen).size(); i < n; ++i)
            sent_at.push_back(*deadline - t0);
        drain_events(a, seen);
        if (seen.failed) break;
    }
    CHECK(sent_at == std::vector<Duration>{0ms, 50ms, 150ms, 350ms, 750ms, 1150ms});
    CHECK(a.stats().retransmissions == 5);
    REQUIRE(seen.failed.has_value());
    CHECK(seen.failed->find("handshake timed out after 1300 ms (5 retransmissions)") == 0);
}

TEST_CASE("a first wait from the round trip completes a lossy handshake far sooner than 1 s") {
    // Every third datagram lost, 1 ms each way: the lost flight waits one first wait.
    const Duration one_way = 1ms;
    const Duration from_rtt = initial_retransmit_for(2 * one_way);
    REQUIRE(from_rtt == 50ms);
    const auto every_third = [] { return [n = 0]() mutable { return ++n % 3 == 0; }; };
    const Run slow = handshake(with_initial(1s), one_way, every_third());
    const Run fast = handshake(with_initial(from_rtt), one_way, every_third());
    REQUIRE(slow.connected);
    REQUIRE(fast.connected);
    CHECK(slow.retransmissions >= 1);
    CHECK(fast.retransmissions >= 1);
    CHECK(slow.time >= 1s);
    CHECK(fast.time < 200ms);
    MESSAGE("every 3rd datagram lost: " << to_ms(slow.time) << " ms with 1 s, " << to_ms(fast.time)
                                        << " ms with 50 ms");

    // Seeded 10 % loss each way, 200 handshakes each.
    Duration total_slow{}, total_fast{}, worst_slow{}, worst_fast{};
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        CAPTURE(seed);
        const auto lossy = [](std::uint64_t s) {
            return [random = SeededRandom(s)]() mutable { return random.unit() < 0.10; };
        };
        const Run a = handshake(with_initial(1s), one_way, lossy(seed));
        const Run b = handshake(with_initial(from_rtt), one_way, lossy(seed));
        REQUIRE(a.connected);
        REQUIRE(b.connected);
        total_slow += a.time;
        total_fast += b.time;
        worst_slow = std::max(worst_slow, a.time);
        worst_fast = std::max(worst_fast, b.time);
    }
    MESSAGE("10 % loss, 200 seeds: mean "
            << to_ms(total_slow / 200) << " ms (worst " << to_ms(worst_slow) << ") with 1 s, mean "
            << to_ms(total_fast / 200) << " ms (worst " << to_ms(worst_fast) << ") with 50 ms");
    CHECK(total_fast * 4 < total_slow);
    CHECK(worst_fast < worst_slow);
}

TEST_CASE("a client whose peer never answers retransmits at 1, 3, 7 and 15 s and fails at 30 s") {
    VirtualWallClock clock;
    const Instant t0 = Instant{} + 1h;
    Transport a(cert_a());
    Observed seen;
    clock.set(t0);
    a.start(t0, Role::client, dtls::identity(cert_b()).fingerprint);
    std::vector<Duration> sent_at;
    for (std::size_t i = 0; i < drain_transmits(a, seen).size(); ++i)
        sent_at.push_back(0s);
    REQUIRE(sent_at.size() == 1);  // the ClientHello
    while (auto deadline = a.poll_timeout()) {
        clock.set(*deadline);
        a.handle_timeout(*deadline);
        for (std::size_t i = 0, n = drain_transmits(a, seen).size(); i < n; ++i)
            sent_at.push_back(*deadline - t0);
        drain_events(a, seen);
        if (seen.failed) {
            CHECK(*deadline - t0 == 30s);
            break;
        }
    }
    CHECK(sent_at == std::vector<Duration>{0s, 1s, 3s, 7s, 15s});
    CHECK(a.stats().retransmissions == 4);
    CHECK(a.state() == State::failed);
    REQUIRE(seen.failed.has_value());
    CHECK(seen.failed->find("handshake timed out after 30000 ms") == 0);
    CHECK(seen.data.empty());
    CHECK_FALSE(a.poll_timeout().has_value());
}

TEST_CASE("a server that never hears a ClientHello fails at the handshake timeout") {
    VirtualWallClock clock;
    const Instant t0 = Instant{} + 1h;
    Config config;
    config.handshake_timeout = 10s;
    Transport a(cert_a(), config);
    Observed seen;
    clock.set(t0);
    a.start(t0, Role::server, dtls::identity(cert_b()).fingerprint);
    REQUIRE(a.poll_timeout() == t0 + 10s);
    clock.set(t0 + 10s);
    a.handle_timeout(t0 + 10s);
    drain_events(a, seen);
    CHECK(drain_transmits(a, seen).empty());
    REQUIRE(seen.failed.has_value());
    CHECK(seen.failed->find("handshake timed out") == 0);
}

TEST_CASE(
    "the handshake completes through 30 % loss and reordering, on the retransmission schedule") {
    VirtualWallClock clock;
    const std::set<Duration> schedule{1s, 2s, 4s, 8s, 16s};
    int seeds_with_retransmissions = 0;
    Duration total{};
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        LossyLink link(seed, 0.30, 5ms, 80ms);  // 75 ms of jitter reorders datagrams of a flight
        Transport t[2] = {Transport(cert_a()), Transport(cert_b())};
        Observed seen[2];
        struct Timer {
            std::optional<Instant> deadline;
            Instant armed_at{};
            std::uint64_t retransmissions = 0;
        } timer[2];
        const Instant t0 = Instant{} + 1h;
        Instant now = t0;
        clock.set(now);
        t[1].start(now, Role::server, dtls::identity(cert_a()).fingerprint);
        t[0].start(now, Role::client, dtls::identity(cert_b()).fingerprint);
        for (int step = 0; step < 10000; ++step) {
            for (int i = 0; i < 2; ++i) {
                for (auto& d : drain_transmits(t[i], seen[i]))
                    link.send(1 - i, std::move(d), now);
                drain_events(t[i], seen[i]);
                // Every retransmission happens when the announced deadline comes (OpenSSL may
                // fire up to 15 ms early when a datagram arrives just before), after one of the
                // doubling waits.
                if (t[i].stats().retransmissions != timer[i].retransmissions) {
                    CHECK(t[i].stats().retransmissions == timer[i].retransmissions + 1);
                    REQUIRE(timer[i].deadline.has_value());
                    CHECK(now <= *timer[i].deadline);
                    CHECK(now >= *timer[i].deadline - 15ms);
                    CHECK(schedule.count(*timer[i].deadline - timer[i].armed_at) == 1);
                    timer[i].retransmissions = t[i].stats().retransmissions;
                }
                const auto deadline = t[i].poll_timeout();
                if (deadline != timer[i].deadline)
                    timer[i] = {deadline, now, timer[i].retransmissions};
            }
            if (t[0].state() == State::connected && t[1].state() == State::connected) break;
            std::optional<Instant> next = link.next_delivery();
            for (auto& side : t)
                if (auto d = side.poll_timeout(); d && (!next || *d < *next)) next = d;
            REQUIRE(next.has_value());
            now = std::max(now, *next);
            clock.set(now);
            while (auto d = link.deliver(now))
                t[d->first].handle_input(now, d->second);
            for (auto& side : t)
                side.handle_timeout(now);
        }
        REQUIRE(t[0].state() == State::connected);
        REQUIRE(t[1].state() == State::connected);
        CHECK(seen[0].connected->peer_fingerprint == cert_b().fingerprint());
        CHECK(now - t0 < 30s);
        if (t[0].stats().retransmissions + t[1].stats().retransmissions > 0) {
            ++seeds_with_retransmissions;
            CHECK(now - t0 >= 1s);  // nothing is resent before the first wait
        } else {
            CHECK(now - t0 < 1s);  // four flights, one way each, no waiting
        }
        total += now - t0;
        // Data flows afterwards (delivered directly here).
        REQUIRE(t[0].send(as_bytes("after the storm")));
        for (auto& d : drain_transmits(t[0], seen[0]))
            t[1].handle_input(now, d);
        drain_events(t[1], seen[1]);
        REQUIRE(seen[1].data.size() == 1);
        CHECK(as_string(seen[1].data[0]) == "after the storm");
    }
    MESSAGE("mean handshake time through 30% loss: " << to_ms(total / 20) << " ms; "
                                                     << seeds_with_retransmissions
                                                     << "/20 seeds needed retransmissions");
    CHECK(seeds_with_retransmissions >= 10);
}

TEST_CASE("when the caller's clock runs ahead of OpenSSL's, the deadline moves to what is left") {
    // No VirtualWallClock here: OpenSSL reads the real wall clock, which has not moved by a second.
    const Instant t0 = Instant{} + 1h;
    Transport a(cert_a());
    Observed seen;
    a.start(t0, Role::client, dtls::identity(cert_b()).fingerprint);
    REQUIRE(drain_transmits(a, seen).size() == 1);
    REQUIRE(a.poll_timeout() == t0 + 1s);
    a.handle_timeout(t0 + 1s);
    CHECK(drain_transmits(a, seen).empty());  // OpenSSL declined: its timer has not expired
    CHECK(a.stats().retransmissions == 0);
    REQUIRE(a.poll_timeout().has_value());
    CHECK(*a.poll_timeout() > t0 + 1s + 500ms);  // about a second of real time is left
    CHECK(*a.poll_timeout() <= t0 + 2s);
    CHECK(a.state() == State::connecting);
}
