#include "support/virtual_wall_clock.hpp"

#include <sys/time.h>
#include <time.h>

#include <atomic>
#include <cstdint>

namespace {
std::atomic<bool> g_active{false};
std::atomic<std::int64_t> g_now_us{0};
constexpr std::int64_t base_us = 1'800'000'000LL * 1'000'000;  // a plausible date in 2027
}  // namespace

extern "C" int gettimeofday(struct timeval* __restrict tv, void* __restrict) noexcept {
    if (g_active.load()) {
        const std::int64_t us = base_us + g_now_us.load();
        tv->tv_sec = us / 1'000'000;
        tv->tv_usec = us % 1'000'000;
        return 0;
    }
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

namespace floe::test {

VirtualWallClock::VirtualWallClock() {
    g_now_us = 0;
    g_active = true;
}
VirtualWallClock::~VirtualWallClock() {
    g_active = false;
}
void VirtualWallClock::set(Instant now) {
    g_now_us = duration_cast<microseconds>(now.time_since_epoch()).count();
}

}  // namespace floe::test
