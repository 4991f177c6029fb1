// The client transaction's retransmission schedule on a virtual clock, and what it accepts.
#include <doctest/doctest.h>

#include <vector>

#include <floe/stun/builder.hpp>

#include "stun/client_transaction.hpp"

using namespace floe;
using namespace floe::stun;

namespace {

const TransactionId tid = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
const SocketAddress server = *SocketAddress::parse("127.0.0.1:3478");
const SocketAddress mapped = *SocketAddress::parse("192.0.2.7:4444");

Bytes binding_request() {
    Bytes out;
    MessageBuilder(out, {method::binding, MessageClass::request}, tid).add_fingerprint();
    return out;
}

Bytes response(const TransactionId& id, MessageClass cls = MessageClass::success_response,
               std::uint16_t m = method::binding, const IntegrityKey* key = nullptr) {
    Bytes out;
    MessageBuilder b(out, {m, cls}, id);
    b.add_xor_mapped_address(mapped);
    if (key) b.add_message_integrity(*key);
    b.add_fingerprint();
    return out;
}

// Runs the transaction with nothing answering; returns the times (ms from start) of every send
// and of the timeout.
std::vector<long> schedule(RetransmissionConfig config, long& timeout_at) {
    const Instant start{};
    ClientTransaction t(binding_request(), server, start, config);
    std::vector<long> sends;
    Instant now = start;
    for (;;) {
        while (auto tx = t.poll_transmit()) {
            CHECK(tx->destination == server);
            sends.push_back(static_cast<long>(to_ms(now - start)));
        }
        if (auto e = t.poll_event()) {
            CHECK(e->kind == ClientTransaction::Event::Kind::timed_out);
            CHECK(e->transmissions == static_cast<int>(sends.size()));
            timeout_at = static_cast<long>(to_ms(now - start));
            return sends;
        }
        auto next = t.poll_timeout();
        REQUIRE(next);
        REQUIRE(*next > now);
        t.handle_timeout(*next - std::chrono::microseconds(1));  // early: nothing happens
        CHECK_FALSE(t.poll_transmit());
        now = *next;
        t.handle_timeout(now);
    }
}

}  // namespace

TEST_CASE("default schedule: 7 sends at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s, timeout at 39.5 s") {
    long timeout_at = 0;
    auto sends = schedule({}, timeout_at);
    CHECK(sends == std::vector<long>{0, 500, 1500, 3500, 7500, 15500, 31500});
    CHECK(timeout_at == 39500);
}

TEST_CASE("RTO, Rc and Rm are configurable (an 800 ms RTT path with RTO 1 s, Rc 3, Rm 4)") {
    long timeout_at = 0;
    auto sends = schedule({std::chrono::seconds(1), 3, 4}, timeout_at);
    CHECK(sends == std::vector<long>{0, 1000, 3000});
    CHECK(timeout_at == 7000);
    auto capped = schedule({std::chrono::milliseconds(100), 5, 2, std::chrono::milliseconds(300)},
                           timeout_at);
    CHECK(capped == std::vector<long>{0, 100, 300, 600, 900});
    CHECK(timeout_at == 1100);
}

TEST_CASE("an RTO from a measured round trip doubles from there and ends with the default") {
    long timeout_at = 0;
    RetransmissionConfig measured;
    measured.measured_rto = std::chrono::milliseconds(60);
    auto sends = schedule(measured, timeout_at);
    // sends while the default schedule still sends (its last at 31.5 s), the timeout as its own
    CHECK(sends == std::vector<long>{0, 60, 180, 420, 900, 1860, 3780, 7620, 15300, 30660});
    CHECK(timeout_at == 39500);
    // Not shorter than the RTO: the default schedule.
    measured.measured_rto = std::chrono::milliseconds(700);
    sends = schedule(measured, timeout_at);
    CHECK(sends == std::vector<long>{0, 500, 1500, 3500, 7500, 15500, 31500});
    CHECK(timeout_at == 39500);
    // With Rc 1 (one request, as consent freshness sends): one send, the same timeout.
    sends = schedule({.initial_rto = std::chrono::seconds(1),
                      .max_transmissions = 1,
                      .final_wait_multiplier = 4,
                      .measured_rto = std::chrono::milliseconds(100)},
                     timeout_at);
    CHECK(sends == std::vector<long>{0});
    CHECK(timeout_at == 4000);
    measured.measured_rto = Duration::zero();
    CHECK_THROWS_AS(ClientTransaction(binding_request(), server, Instant{}, measured),
                    std::invalid_argument);
}

TEST_CASE("timers that fire late cost no send, with or without a measured RTO") {
    for (const std::optional<Duration> measured :
         {std::optional<Duration>{}, std::optional<Duration>{std::chrono::milliseconds(40)}}) {
        CAPTURE(measured.has_value());
        ClientTransaction t(binding_request(), server, Instant{},
                            {.initial_rto = std::chrono::milliseconds(100),
                             .max_transmissions = 3,
                             .final_wait_multiplier = 4,
                             .measured_rto = measured});
        int sends = 0;
        while (!t.done()) {
            while (t.poll_transmit())
                ++sends;
            const auto at = t.poll_timeout();
            REQUIRE(at);
            t.handle_timeout(*at + std::chrono::milliseconds(30));  // every timer 30 ms late
        }
        // 0, 0.1, 0.3 s without; 0, 0.04, 0.12, 0.28 s with 40 ms
        CHECK(sends == (measured ? 4 : 3));
    }
}

TEST_CASE("a response after a retransmission ends the transaction with its RTT") {
    const Instant start{};
    ClientTransaction t(binding_request(), server, start);
    CHECK(t.poll_transmit());
    t.handle_timeout(start + std::chrono::milliseconds(500));
    CHECK(t.poll_transmit());
    CHECK(t.transmissions() == 2);
    const Instant at = start + std::chrono::milliseconds(800);
    CHECK(t.handle_input(at, server, response(tid)));
    auto e = t.poll_event();
    REQUIRE(e);
    CHECK(e->kind == ClientTransaction::Event::Kind::response);
    CHECK(e->rtt == std::chrono::milliseconds(300));
    CHECK(e->elapsed == std::chrono::milliseconds(800));
    CHECK(e->transmissions == 2);
    auto m = Message::decode(e->response);
    REQUIRE(m);
    CHECK(*m->xor_mapped_address() == mapped);
    CHECK(t.done());
    CHECK_FALSE(t.poll_timeout());
    t.handle_timeout(start + std::chrono::seconds(100));
    CHECK_FALSE(t.poll_transmit());
    CHECK_FALSE(t.poll_event());
}

TEST_CASE("a 800 ms RTT path still completes with the default schedule") {
    const Instant start{};
    ClientTransaction t(binding_request(), server, start);
    t.poll_transmit();
    t.handle_timeout(start + std::chrono::milliseconds(500));  // retransmit before the answer
    t.poll_transmit();
    // The answer to the first send arrives at 800 ms: it matches (same transaction id).
    CHECK(t.handle_input(start + std::chrono::milliseconds(800), server, response(tid)));
    REQUIRE(t.poll_event());
}

TEST_CASE("wrong transaction, wrong method, a request, bad fingerprint or integrity are ignored") {
    const Instant start{};
    const auto key = IntegrityKey::short_term("secret");
    ClientTransaction t(binding_request(), server, start);
    t.require_integrity(key);
    TransactionId other = tid;
    other[0] ^= 1;
    CHECK_FALSE(t.handle_input(
        start, server, response(other, MessageClass::success_response, method::binding, &key)));
    CHECK(t.ignored_responses() == 0);  // not ours at all
    CHECK_FALSE(t.handle_input(
        start, server, response(tid, MessageClass::success_response, method::allocate, &key)));
    CHECK_FALSE(
        t.handle_input(start, server, response(tid, MessageClass::request, method::binding, &key)));
    Bytes corrupted = response(tid, MessageClass::success_response, method::binding, &key);
    corrupted[corrupted.size() - 1] ^= 1;
    CHECK_FALSE(t.handle_input(start, server, corrupted));
    const auto wrong = IntegrityKey::short_term("Secret");
    CHECK_FALSE(t.handle_input(
        start, server, response(tid, MessageClass::success_response, method::binding, &wrong)));
    CHECK_FALSE(t.handle_input(start, server, response(tid)));  // no integrity at all
    CHECK(t.ignored_responses() == 5);
    CHECK_FALSE(t.done());
    CHECK_FALSE(t.poll_event());
    // Error responses pass without integrity; the caller reads the code.
    CHECK(t.handle_input(start, server, response(tid, MessageClass::error_response)));
    CHECK(t.poll_event()->kind == ClientTransaction::Event::Kind::response);
}

TEST_CASE("a response with the right transaction id from another address is ignored, counted") {
    const Instant start{};
    ClientTransaction t(binding_request(), server, start);
    t.poll_transmit();
    // Another port of the server's host, another host, another family: all strangers.
    for (const char* stranger : {"127.0.0.1:3479", "127.0.0.2:3478", "[::1]:3478"}) {
        CAPTURE(stranger);
        CHECK_FALSE(t.handle_input(start, *SocketAddress::parse(stranger), response(tid)));
    }
    CHECK(t.ignored_responses() == 3);
    CHECK_FALSE(t.done());
    CHECK_FALSE(t.poll_event());
    CHECK(t.poll_timeout());  // still waiting, still retransmitting
    // The server's own answer is still taken.
    CHECK(t.handle_input(start, server, response(tid)));
    auto e = t.poll_event();
    REQUIRE(e);
    CHECK(e->from == server);
}

TEST_CASE("a transaction refuses a non-request and a zero Rc") {
    CHECK_THROWS_AS(ClientTransaction(response(tid), server, Instant{}), std::invalid_argument);
    CHECK_THROWS_AS(ClientTransaction(binding_request(), server, Instant{},
                                      {std::chrono::milliseconds(500), 0}),
                    std::invalid_argument);
    CHECK_THROWS_AS(ClientTransaction(Bytes{1, 2, 3}, server, Instant{}), std::invalid_argument);
}
