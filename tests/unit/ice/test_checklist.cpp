#include <doctest/doctest.h>

#include <floe/ice/candidate.hpp>

#include "ice/checklist.hpp"

using namespace floe;
using namespace floe::ice;

namespace {
CandidatePair make_pair(std::uint32_t socket, std::string_view remote, std::uint32_t local_prio,
                        std::uint32_t remote_prio, std::string foundation) {
    CandidatePair p;
    p.socket = socket;
    p.remote_address = *SocketAddress::parse(remote);
    p.local_priority = local_prio;
    p.remote_priority = remote_prio;
    p.foundation = std::move(foundation);
    return p;
}
}  // namespace

TEST_CASE("checklist orders pairs by RFC 8445 pair priority for our role") {
    CheckList list;
    auto low = list.add(make_pair(1, "192.0.2.1:1", 100, 10, "a:x"), true);
    auto high = list.add(make_pair(1, "192.0.2.2:1", 100, 1000, "a:y"), true);
    REQUIRE(low);
    REQUIRE(high);
    REQUIRE(list.pairs().size() == 2);
    CHECK(list.pairs()[0].id == *high);
    CHECK(list.pairs()[0].priority == pair_priority(100, 1000));
    CHECK(list.pairs()[1].priority == pair_priority(100, 10));
}

TEST_CASE("checklist recomputes priorities when the role changes") {
    CheckList list;
    auto id = list.add(make_pair(1, "192.0.2.1:1", 500, 7, "a:x"), true);
    REQUIRE(id);
    CHECK(list.find(*id)->priority == pair_priority(500, 7));
    list.set_controlling(false);
    CHECK(list.find(*id)->priority == pair_priority(7, 500));
    CHECK(pair_priority(500, 7) != pair_priority(7, 500));
}

TEST_CASE("checklist keeps one pair per (socket, remote address): redundant pairs are pruned") {
    CheckList list;
    auto first = list.add(make_pair(1, "192.0.2.1:1", 100, 10, "a:x"), true);
    auto again = list.add(make_pair(1, "192.0.2.1:1", 200, 20, "b:y"), true);
    CHECK(first == again);
    CHECK(list.pairs().size() == 1);
    auto other_socket = list.add(make_pair(2, "192.0.2.1:1", 100, 10, "c:x"), true);
    CHECK(other_socket != first);
    CHECK(list.pairs().size() == 2);
}

TEST_CASE("checklist prunes the lowest-priority pairs beyond its limit") {
    CheckList list(3);
    for (std::uint32_t i = 1; i <= 3; ++i) {
        std::string remote = "192.0.2.1:";  // appended: GCC 12 -O3 misreports "a" + to_string
        remote += std::to_string(i);
        REQUIRE(list.add(make_pair(1, remote, 100, i * 10, "f"), true));
    }
    // A better pair pushes out the worst; a worse one is itself dropped.
    REQUIRE(list.add(make_pair(1, "192.0.2.1:9", 100, 1000, "f"), true));
    CHECK(list.pairs().size() == 3);
    CHECK_FALSE(list.find(1, *SocketAddress::parse("192.0.2.1:1")));
    CHECK_FALSE(list.add(make_pair(1, "192.0.2.1:8", 100, 1, "f"), true));
    CHECK(list.pairs().size() == 3);
}

TEST_CASE("checklist never prunes a pair whose check is in progress") {
    CheckList list(1);
    auto busy = list.add(make_pair(1, "192.0.2.1:1", 100, 1, "f"), true);
    REQUIRE(busy);
    list.set_state(*busy, PairState::in_progress);
    auto better = list.add(make_pair(1, "192.0.2.1:2", 100, 1000, "g"), true);
    CHECK(list.find(*busy));
    CHECK_FALSE(better);  // the limit holds: the newcomer is the only pair that may go
    CHECK(list.pairs().size() == 1);
}

TEST_CASE("checklist starts one pair per foundation waiting and freezes the rest") {
    CheckList list;
    auto a1 = list.add(make_pair(1, "192.0.2.1:1", 100, 50, "A"), true);
    auto a2 = list.add(make_pair(1, "192.0.2.1:2", 100, 40, "A"), true);
    auto b1 = list.add(make_pair(2, "192.0.2.1:1", 90, 50, "B"), true);
    CHECK(list.find(*a1)->state == PairState::waiting);
    CHECK(list.find(*a2)->state == PairState::frozen);
    CHECK(list.find(*b1)->state == PairState::waiting);
}

TEST_CASE("checklist unfreezes a foundation's pairs when one of its checks succeeds") {
    CheckList list;
    auto a1 = list.add(make_pair(1, "192.0.2.1:1", 100, 50, "A"), true);
    auto a2 = list.add(make_pair(1, "192.0.2.1:2", 100, 40, "A"), true);
    auto b2 = list.add(make_pair(2, "192.0.2.1:2", 90, 40, "B"), true);
    list.set_state(*b2, PairState::in_progress);
    REQUIRE(list.find(*a2)->state == PairState::frozen);
    list.succeeded(*a1);
    CHECK(list.find(*a1)->state == PairState::succeeded);
    CHECK(list.find(*a2)->state == PairState::waiting);
    // A pair added later to a foundation that already succeeded starts waiting.
    auto a3 = list.add(make_pair(1, "192.0.2.1:3", 100, 30, "A"), true);
    CHECK(list.find(*a3)->state == PairState::waiting);
}

TEST_CASE("checklist picks the best waiting pair, then unfreezes idle foundations") {
    CheckList list;
    auto a1 = list.add(make_pair(1, "192.0.2.1:1", 100, 50, "A"), true);
    auto a2 = list.add(make_pair(1, "192.0.2.1:2", 100, 40, "A"), true);
    CandidatePair* next = list.next_ordinary();
    REQUIRE(next);
    CHECK(next->id == *a1);
    list.set_state(*a1, PairState::in_progress);
    // a2 stays frozen while its foundation has a check in progress.
    CHECK(list.next_ordinary() == nullptr);
    list.failed(*a1);
    next = list.next_ordinary();
    REQUIRE(next);
    CHECK(next->id == *a2);
    CHECK(next->state == PairState::waiting);
}

TEST_CASE("checklist serves triggered checks first in first out, each once") {
    CheckList list;
    auto a = list.add(make_pair(1, "192.0.2.1:1", 100, 50, "A"), true);
    auto b = list.add(make_pair(1, "192.0.2.1:2", 100, 40, "B"), true);
    list.trigger(*b);
    list.trigger(*a);
    list.trigger(*b);
    CHECK(list.pop_triggered() == b);
    CHECK(list.pop_triggered() == a);
    CHECK_FALSE(list.pop_triggered());
    list.trigger(12345);  // unknown pairs are ignored
    CHECK_FALSE(list.has_triggered());
}

TEST_CASE("checklist reports all-failed only when every pair failed") {
    CheckList list;
    CHECK_FALSE(list.all_failed());
    auto a = list.add(make_pair(1, "192.0.2.1:1", 100, 50, "A"), true);
    auto b = list.add(make_pair(1, "192.0.2.1:2", 100, 40, "B"), true);
    list.failed(*a);
    CHECK_FALSE(list.all_failed());
    CHECK(list.any_pending());
    list.failed(*b);
    CHECK(list.all_failed());
    CHECK_FALSE(list.any_pending());
}
