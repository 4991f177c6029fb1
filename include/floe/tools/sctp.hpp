// The tools API: usrsctp's process-wide counters, which `floe peer` and `floe bench` report next
// to their figures (docs/sctp.md, "Under loss"). Totals of every association of this process.
#pragma once

#include <cstdint>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::tools {

struct SctpCounters {
    std::uint64_t data_chunks_sent = 0;      // including retransmissions
    std::uint64_t retransmitted_chunks = 0;  // DATA chunks sent again
    std::uint64_t fast_retransmits = 0;      // on gap reports (RFC 9260 §7.2.4)
    std::uint64_t t3_timeouts = 0;           // T3-rtx expiries (§6.3.3)
    std::uint64_t sacks_sent = 0;
    std::uint64_t duplicate_chunks_received = 0;
    std::uint64_t init_timeouts = 0;  // T1-init and T1-cookie expiries (§5.1)
};

SctpCounters sctp_counters();

}  // namespace floe::tools

#pragma GCC visibility pop
