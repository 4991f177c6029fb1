// Time as the protocol cores see it: a monotonic instant passed in by the caller. The cores never
// read a clock; the runtime (src/rtc) and the simulator (tests/sim) supply `now`.
#pragma once

#include <chrono>

namespace floe {

using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;
using Duration = Clock::duration;

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

using namespace std::chrono_literals;

// Milliseconds as a double, for printing.
inline double to_ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace floe
