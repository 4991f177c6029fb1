// OpenSSL 3.0 checks its DTLS retransmission timer against gettimeofday(), inside
// DTLSv1_handle_timeout and at the start of every read. The transport keeps the schedule on the
// caller's clock, but OpenSSL only retransmits once *its* clock agrees. This test binary therefore
// defines gettimeofday() itself (the executable's definition interposes libssl's reference): while
// a VirtualWallClock is alive, the wall clock is the test's virtual clock; otherwise it is the real
// one. That makes handshakes under loss run in virtual time, instantly and repeatably.
#pragma once

#include "common/time.hpp"

namespace floe::test {

class VirtualWallClock {
  public:
    VirtualWallClock();  // the wall clock now reads as Instant{} + the time set below
    ~VirtualWallClock();
    VirtualWallClock(const VirtualWallClock&) = delete;
    VirtualWallClock& operator=(const VirtualWallClock&) = delete;
    void set(Instant now);
};

}  // namespace floe::test
