// How the agent recovers a lost check, answer or nomination during set-up without waiting for
// STUN's 500 ms retransmission (RFC 8445 §14.3) when it knows better: a triggered check on an
// In-Progress pair (§7.3.1.4), an RTO from the pair's measured round trip (RFC 8489 §6.2.1), the
// controlled side's quick re-checks while it waits for a nomination, and a nomination resent when
// the peer's check shows the path works. Two agents on the shuttle, 10 ms each way.
#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include <floe/stun/message.hpp>

#include "agent_test_support.hpp"

using namespace floe;
using namespace floe::ice;
using namespace floe::ice::test;
using namespace std::chrono_literals;

namespace {

bool is_request(const Transmit& tx, bool use_candidate) {
    auto m = stun::Message::decode(tx.data);
    return m && m->message_class() == stun::MessageClass::request &&
           m->use_candidate() == use_candidate;
}

std::optional<stun::TransactionId> transaction_of(const Transmit& tx) {
    auto m = stun::Message::decode(tx.data);
    if (!m) return std::nullopt;
    return m->transaction_id();
}

// Both agents gathered, 10 ms apart each way; nothing signalled yet.
struct TenMillisecondsApart : TwoPeers {
    TenMillisecondsApart() {
        net.one_way = 10ms;
        gather("192.0.2.1:5000", "192.0.2.2:6000");
    }
};

struct Sent {
    Instant at;
    stun::TransactionId id;
};

}  // namespace

TEST_CASE("a lost check is replaced by a triggered check when the peer's check arrives") {
    TenMillisecondsApart t;
    bool dropped = false;
    t.net.filter = [&](std::size_t from, const Transmit& tx) {
        if (from != 0 || dropped || !is_request(tx, false)) return true;
        dropped = true;  // a's first check
        return false;
    };
    const Instant start = t.net.now;
    t.exchange();
    REQUIRE(t.connect());
    CHECK(dropped);
    // b's check reached a 10 ms in, while a's own was lost on the way: a checked again at once
    // (its pair was In-Progress) instead of retransmitting after 500 ms.
    CHECK(t.net.now - start < 100ms);
    CHECK(t.a.agent.stats().checks_sent >= 2);
}

TEST_CASE("a lost nomination goes again after three round trips (two Ta at least), not 500 ms") {
    TenMillisecondsApart t;
    std::vector<Sent> nominations;
    t.net.observe = [&](std::size_t from, const Transmit& tx) {
        if (from == 0 && is_request(tx, true))
            nominations.push_back({t.net.now, *transaction_of(tx)});
    };
    t.net.filter = [&](std::size_t from, const Transmit& tx) {
        if (from == 0 && is_request(tx, true)) return nominations.size() > 1;  // the first is lost
        return true;
    };
    t.exchange();
    REQUIRE(t.connect());
    REQUIRE(nominations.size() == 2);
    // The pair's round trip is 20 ms: 3 × 20 ms, raised to two Ta (100 ms). The same transaction.
    CHECK(nominations[1].at - nominations[0].at == 100ms);
    CHECK(nominations[1].id == nominations[0].id);
}

TEST_CASE("a controlled agent waiting for a nomination re-checks soon, then less and less often") {
    TenMillisecondsApart t;
    std::vector<Instant> b_checks;
    t.net.observe = [&](std::size_t from, const Transmit& tx) {
        if (from == 1 && is_request(tx, false)) b_checks.push_back(t.net.now);
    };
    // a's nominations never arrive: b's pair works and b waits.
    t.net.filter = [&](std::size_t from, const Transmit& tx) {
        return !(from == 0 && is_request(tx, true));
    };
    const Instant start = t.net.now;
    t.exchange();
    REQUIRE(t.net.run_until([&] { return b_checks.size() >= 7; }, 10s));
    CHECK_FALSE(connected(t.b));
    // b's first check went at 0 and was answered at 20 ms; its second, at 50 ms, is the
    // triggered check for a's (which came while b's own was in progress). Then the re-checks:
    // one quick_retry (3 × 20 ms, raised to 100 ms) after the pair worked, and doubling up to
    // consent_probe (1 s). Each is answered, so none is a retransmission.
    CHECK(b_checks[0] == start);
    CHECK(b_checks[1] == start + 50ms);
    CHECK(b_checks[2] == start + 120ms);
    std::vector<Duration> gaps;
    for (std::size_t i = 3; i < b_checks.size(); ++i)
        gaps.push_back(b_checks[i] - b_checks[i - 1]);
    CHECK(gaps == std::vector<Duration>{200ms, 400ms, 800ms, 1000ms});
}

TEST_CASE("the peer's check makes an unanswered nomination go again at once") {
    TenMillisecondsApart t;
    std::optional<stun::TransactionId> nomination;
    std::vector<Sent> nominations;
    std::vector<Instant> b_requests;
    t.net.observe = [&](std::size_t from, const Transmit& tx) {
        if (from == 0 && is_request(tx, true)) {
            nominations.push_back({t.net.now, *transaction_of(tx)});
            if (!nomination) nomination = transaction_of(tx);
        }
        if (from == 1 && is_request(tx, false)) b_requests.push_back(t.net.now);
    };
    const Instant start = t.net.now;
    // b's answers to a's nomination are lost for the first 4 s: b is nominated at once and
    // completes; a's retransmissions (at 0.1, 0.3, 0.7, 1.5 and 3.1 s) get no answer.
    t.net.filter = [&](std::size_t from, const Transmit& tx) {
        auto m = stun::Message::decode(tx.data);
        const bool answer = m && m->message_class() == stun::MessageClass::success_response;
        return !(from == 1 && answer && nomination && m->transaction_id() == *nomination &&
                 t.net.now - start < 4s);
    };
    t.exchange();
    REQUIRE(t.net.run_until([&] { return connected(t.b); }, 1s));
    REQUIRE(t.net.run_until([&] { return connected(t.a); }, 10s));
    // b's first consent request (RFC 7675: 4-6 s after it selected the pair) reached a while
    // its nomination waited for the next retransmission (6.3 s after the first send): a resent
    // it on the spot, in the same transaction, and that answer came back.
    REQUIRE_FALSE(b_requests.empty());
    const Instant consent_arrived = b_requests.back() + 10ms;
    CHECK(nominations.back().at == consent_arrived);
    CHECK(nominations.back().id == *nomination);
    CHECK(t.net.now == consent_arrived + 20ms);
    CHECK(t.net.now - nominations.front().at < 6300ms);
}

TEST_CASE("with Ta set to 0 and a round trip of 0, a lost nomination still waits 10 ms") {
    // The virtual clock can answer a check in no time; 3 × 0 is no RTO a transaction can use.
    AgentConfig a = config(true);
    a.ta = Duration::zero();
    TwoPeers t(a);
    t.net.one_way = Duration::zero();
    t.gather("192.0.2.1:5000", "192.0.2.2:6000");
    std::vector<Instant> nominations;
    t.net.observe = [&](std::size_t from, const Transmit& tx) {
        if (from == 0 && is_request(tx, true)) nominations.push_back(t.net.now);
    };
    t.net.filter = [&](std::size_t from, const Transmit& tx) {
        return !(from == 0 && is_request(tx, true) && nominations.size() == 1);
    };
    t.exchange();
    REQUIRE(t.connect());
    REQUIRE(nominations.size() == 2);
    CHECK(nominations[1] - nominations[0] == 10ms);
}
