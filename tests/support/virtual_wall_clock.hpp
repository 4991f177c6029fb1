// OpenSSL 3.0 checks its DTLS retransmission timer against gettimeofday(), inside
// DTLSv1_handle_timeout and at the start of every read. The transport keeps the schedule on the
// caller's clock, but OpenSSL only retransmits once *its* clock agrees. floe_test_support
// therefore defines gettimeofday() (the executable's definition interposes libssl's reference):
// while a VirtualWallClock is alive, the wall clock reads the test's virtual clock. That makes DTLS
// handshakes under loss run in virtual time, instantly and repeatably (unit tests and simulator).
// doctest calls gettimeofday() as well, so every test binary links this definition; while no
// VirtualWallClock is alive it returns CLOCK_REALTIME, exactly what glibc's would.
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
