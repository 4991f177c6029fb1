// How far behind its schedule a runtime thread runs. Asio runs a timer's handler only after
// whatever the loop was busy with when the timer came due (a batch of datagrams, other
// PeerConnections' work), so a PeerConnection's timer firing late measures the wait that
// everything on that thread, its SACKs included, has at that moment. The figure is the largest
// lateness seen in the current and the previous window of kWindow: a busy moment counts for one
// to two windows, then is forgotten. One thread's: no locking.
#pragma once

#include <algorithm>

#include "common/time.hpp"

namespace floe::rtc {

class LoopLag {
  public:
    static constexpr Duration kWindow = 1s;

    // A timer due at `due` ran at `now`.
    void note(Instant due, Instant now) {
        roll(now);
        if (now > due) current_ = std::max(current_, now - due);
    }

    // The largest lateness of this window and the one before.
    Duration recent(Instant now) const {
        const auto w = window_of(now);
        if (w == window_) return std::max(current_, previous_);
        if (w == window_ + 1) return current_;
        return Duration::zero();
    }

  private:
    static long long window_of(Instant t) {
        return static_cast<long long>(t.time_since_epoch() / kWindow);
    }
    void roll(Instant now) {
        const auto w = window_of(now);
        if (w == window_) return;
        previous_ = w == window_ + 1 ? current_ : Duration::zero();
        current_ = Duration::zero();
        window_ = w;
    }

    long long window_ = 0;
    Duration current_{};
    Duration previous_{};
};

}  // namespace floe::rtc
