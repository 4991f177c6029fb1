// LoopLag: the lateness of a runtime thread's timers, kept for one to two windows.
#include <doctest/doctest.h>

#include "rtc/loop_lag.hpp"

using namespace floe;
using floe::rtc::LoopLag;

namespace {
// An instant `offset` into window number `window`.
Instant at(long long window, Duration offset = Duration::zero()) {
    return Instant{} + window * LoopLag::kWindow + offset;
}
}  // namespace

TEST_CASE("nothing late: no lag") {
    LoopLag lag;
    CHECK(lag.recent(at(100)) == Duration::zero());
    lag.note(at(100, 5ms), at(100, 5ms));  // on time
    lag.note(at(100, 9ms), at(100, 8ms));  // early (a timer's slack the other way)
    CHECK(lag.recent(at(100, 10ms)) == Duration::zero());
}

TEST_CASE("the largest lateness counts for this window and the next, then is forgotten") {
    LoopLag lag;
    lag.note(at(7, 100ms), at(7, 103ms));
    lag.note(at(7, 200ms), at(7, 230ms));  // 30 ms late
    lag.note(at(7, 300ms), at(7, 301ms));
    CHECK(lag.recent(at(7, 400ms)) == 30ms);
    CHECK(lag.recent(at(8, 900ms)) == 30ms);  // the previous window's
    lag.note(at(8, 950ms), at(8, 952ms));     // rolls: 30 ms is now the previous window's
    CHECK(lag.recent(at(8, 999ms)) == 30ms);
    lag.note(at(9, 10ms), at(9, 11ms));  // two windows on: only 2 ms and 1 ms remain
    CHECK(lag.recent(at(9, 20ms)) == 2ms);
    CHECK(lag.recent(at(11)) == Duration::zero());  // asked later without a note: nothing recent
}

TEST_CASE("a gap of several windows forgets everything before it") {
    LoopLag lag;
    lag.note(at(3), at(3, 50ms));
    lag.note(at(10), at(10, 1ms));
    CHECK(lag.recent(at(10, 2ms)) == 1ms);
}
