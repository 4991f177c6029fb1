// usrsctp's timers served on time: a caller that sleeps until poll_timeout() and then calls
// handle_timeout() must see a retransmission leave when it is due, not a tick (10 ms) or an idle
// tick (200 ms) later, nor early because usrsctp's clock lagged behind `now` when the timer was
// started; and a delayed SACK likewise. Virtual clock, no sleeping except where usrsctp itself
// reads the real clock (the T3 case).
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "pair.hpp"
#include "sctp/tuning.hpp"

using namespace floe;
using namespace floe::sctp;
using namespace floe::sctp::test;
using namespace std::chrono_literals;

namespace {

// Moves the shared virtual clock to the earlier of both sides' poll_timeout (as a runtime that
// sleeps until the timer it armed), fires both, carries the packets. Never moves more than `step`.
void step_to_next_timer(Pair& p, Duration step) {
    Instant next = virtual_now() + step;
    for (Association* s : {p.a.get(), p.b.get()})
        if (auto t = s->poll_timeout()) next = std::min(next, std::max(*t, virtual_now()));
    virtual_now() = next;
    p.a->handle_timeout(virtual_now());
    p.b->handle_timeout(virtual_now());
    p.pump();
}

bool has_sack(ByteSpan packet) {
    return has_chunk(packet, 3);  // SACK, RFC 9260 §3.3.4
}

// Sends one message from a whose first transmission is lost, and returns how long after it the
// retransmission left. usrsctp resends, at T3 expiry, only chunks whose real send time is older
// than its smoothed RTT (sctp_mark_all_for_resend): `real_wait` lets that much real time pass.
Duration retransmission_delay(Pair& p, std::uint16_t id, Duration real_wait) {
    std::optional<Instant> sent_at, resent_at;
    p.drop_if = [&](bool a_to_b, ByteSpan packet) {
        if (!a_to_b || data_chunks(packet).empty()) return false;
        if (!sent_at) {
            sent_at = virtual_now();
            return true;  // the original is lost
        }
        if (!resent_at) resent_at = virtual_now();
        return false;
    };
    p.a->advance_clock(virtual_now());  // as the runtime does before every send
    REQUIRE(p.a->send(id, true, Bytes(100, 7)).ok());
    p.pump();
    REQUIRE(sent_at);
    std::this_thread::sleep_for(real_wait);
    for (int i = 0; i < 2000 && !resent_at; ++i)
        step_to_next_timer(p, 1s);
    p.drop_if = nullptr;
    REQUIRE(resent_at);
    return *resent_at - *sent_at;
}

}  // namespace

TEST_CASE("a delayed SACK leaves when its delay is up, whatever the tick phase at arrival") {
    for (Duration phase : {0ms, 3ms, 7ms, 150ms, 193ms}) {
        CAPTURE(phase.count());
        Pair p;
        const std::uint16_t id = open_from_a(p);
        p.run_for(500ms);  // idle: both sides on the idle tick
        // The message is sent at an arbitrary point between two timer wake-ups.
        virtual_now() += phase;
        std::optional<Instant> data_at, sack_at;
        p.drop_if = [&](bool a_to_b, ByteSpan packet) {
            if (a_to_b && !data_chunks(packet).empty() && !data_at) data_at = virtual_now();
            if (!a_to_b && has_sack(packet) && data_at && !sack_at) sack_at = virtual_now();
            return false;
        };
        p.a->advance_clock(virtual_now());                 // as the runtime does before every send
        REQUIRE(p.a->send(id, true, Bytes(100, 7)).ok());  // one lone packet: its SACK is delayed
        p.pump();
        for (int i = 0; i < 1000 && !sack_at; ++i)
            step_to_next_timer(p, 1s);
        REQUIRE(data_at);
        REQUIRE(sack_at);
        CHECK(*sack_at - *data_at >= kSackDelay);
        CHECK(*sack_at - *data_at <= kSackDelay + 1ms);
        CHECK(kSackDelay < kRtoMin);  // else the sender's T3 fires before the SACK comes
    }
}

TEST_CASE("a lost DATA packet is retransmitted by T3 when RTO.min is up, not a tick later") {
    for (Duration phase : {0ms, 4ms, 170ms}) {
        CAPTURE(phase.count());
        Pair p;
        const std::uint16_t id = open_from_a(p);
        p.run_for(500ms);
        // The message is sent at an arbitrary point between two timer wake-ups.
        virtual_now() += phase;
        const Duration delay = retransmission_delay(p, id, 25ms);
        CHECK(delay >= kRtoMin - 1ms);
        CHECK(delay <= kRtoMin + 1ms);
    }
}

TEST_CASE("RTO.min follows the runtime's lag: rto_min_for_lag") {
    CHECK(rto_min_for_lag(Duration::zero()) == kRtoMin);
    CHECK(rto_min_for_lag(-5ms) == kRtoMin);
    CHECK(rto_min_for_lag(10ms) == kRtoMin + 20ms);
    CHECK(rto_min_for_lag(10s) == kRtoInitial);  // usrsctp refuses RTO.min above RTO.initial
}

TEST_CASE("a lagging runtime raises RTO.min, and a lost packet then waits that long for T3") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    p.run_for(500ms);
    REQUIRE(p.a->rto_min() == kRtoMin);
    p.a->set_scheduling_lag(20ms);  // RTO.min 20 + 2 x 20 ms
    const Duration raised = rto_min_for_lag(20ms);
    REQUIRE(raised == 60ms);
    CHECK(p.a->rto_min() == raised);
    p.a->set_scheduling_lag(21ms);  // a change under a quarter: left alone
    CHECK(p.a->rto_min() == raised);

    // usrsctp takes the new floor into its RTO at the next round-trip sample: one message that
    // arrives and is acknowledged gives it.
    p.a->advance_clock(virtual_now());
    REQUIRE(p.a->send(id, true, Bytes(100, 1)).ok());
    std::this_thread::sleep_for(2ms);  // usrsctp measures the round trip on the real clock
    p.run_for(100ms);

    const Duration delay = retransmission_delay(p, id, 65ms);
    CHECK(delay >= raised - 1ms);
    CHECK(delay <= raised + 1ms);

    p.a->set_scheduling_lag(Duration::zero());  // the lag is gone: back to the floor
    CHECK(p.a->rto_min() == kRtoMin);
}

TEST_CASE("lone packets get their SACK at once after a few delayed ones, until replies come") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    p.run_for(500ms);
    std::optional<Instant> data_at;
    std::vector<Duration> sack_delays;  // from a's DATA to b's SACK for it
    bool sack_on_data = false;
    p.drop_if = [&](bool a_to_b, ByteSpan packet) {
        const ChunkTypes chunks(packet);
        if (a_to_b && chunks.has(kDataChunk)) data_at = virtual_now();
        if (!a_to_b && chunks.has(kSackChunk) && data_at) {
            sack_on_data = chunks.has(kDataChunk);
            sack_delays.push_back(virtual_now() - *data_at);
            data_at.reset();
        }
        return false;
    };
    const auto wait_50ms = [&] {
        const Instant next = virtual_now() + 50ms;
        while (virtual_now() < next)
            step_to_next_timer(p, next - virtual_now());
    };
    // b gets a message every 50 ms and sends nothing back: each SACK waits its delay for
    // nothing, until b acknowledges at once, in the pass that reads the packet.
    const int lone = kLoneSacksForAtOnce;
    for (int i = 0; i < lone + 3; ++i) {
        p.a->advance_clock(virtual_now());
        REQUIRE(p.a->send(id, true, Bytes(100, 1)).ok());
        p.pump();
        wait_50ms();
    }
    REQUIRE(sack_delays.size() == static_cast<std::size_t>(lone + 3));
    for (int i = 0; i < lone; ++i) {
        CAPTURE(i);
        CHECK(sack_delays[static_cast<std::size_t>(i)] >= kSackDelay);
    }
    for (int i = lone; i < lone + 3; ++i) {
        CAPTURE(i);
        CHECK(sack_delays[static_cast<std::size_t>(i)] == Duration::zero());
    }

    // Now b answers each message at once, as an echo server does. The first answer ends the
    // at-once acknowledging (its SACK had already left); the next SACK rides on the answer.
    for (int i = 0; i < 2; ++i) {
        p.a->advance_clock(virtual_now());
        REQUIRE(p.a->send(id, true, Bytes(100, 2)).ok());
        p.pump();
        p.b->advance_clock(virtual_now());
        REQUIRE(p.b->send(id, true, Bytes(100, 3)).ok());
        p.pump();
        CAPTURE(i);
        CHECK(sack_on_data == (i == 1));
        wait_50ms();
    }
}

TEST_CASE("a lost INIT goes again after the initial RTO the session set from the path") {
    // Session::start_sctp sets Config::initial_rto from ICE's round trip (initial_rto_for): 3 ×
    // 20 ms here. Without it, RTO.initial is kRtoInitial (200 ms).
    CHECK(initial_rto_for(20ms) == 60ms);
    CHECK(initial_rto_for(1ms) == kMinInitialRto);
    CHECK(initial_rto_for(std::nullopt) == kRtoInitial);
    for (const Duration rto : {initial_rto_for(20ms), kRtoInitial}) {
        CAPTURE(rto.count());
        Config ca = client_config();
        ca.initial_rto = rto;
        std::vector<Instant> inits;
        Pair p(ca);
        // a's INITs (chunk type 1) are noted; nothing arrives, either way.
        p.drop_if = [&](bool a_to_b, ByteSpan packet) {
            if (a_to_b && has_chunk(packet, 1)) inits.push_back(virtual_now());
            return true;
        };
        for (int i = 0; i < 100 && inits.size() < 2; ++i)
            step_to_next_timer(p, 1s);
        REQUIRE(inits.size() == 2);
        CHECK(inits[1] - inits[0] == rto);
    }
}

TEST_CASE("a lag that raises RTO.min above a lowered initial RTO raises both") {
    // usrsctp refuses RTO.min above RTO.initial: with RTO.initial at 60 ms, a lag asking for
    // 100 ms must move RTO.initial up with it, or the setsockopt fails and RTO.min stays low.
    Config ca = client_config();
    ca.initial_rto = 60ms;
    Pair p(ca);
    REQUIRE(p.establish());
    p.a->set_scheduling_lag(40ms);
    CHECK(p.a->rto_min() == rto_min_for_lag(40ms));
    CHECK(p.a->rto_min() == 100ms);
}
