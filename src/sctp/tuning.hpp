// usrsctp's process-wide settings (its "sysctls") chosen for WebRTC paths, and its process-wide
// counters. docs/sctp.md ("Under loss") gives each setting with the measurement behind it.
#pragma once

#include <cstdint>
#include <optional>

#include "common/time.hpp"

namespace floe::sctp {

// Retransmission timeout (RFC 9260 §6.3.1, §16 suggests 1 s / 1 s / 60 s; usrsctp's defaults are
// 3 s / 1 s / 60 s). RTO = SRTT + 4 RTTVAR, bounded by these.
inline constexpr Duration kRtoInitial = 200ms;  // before the first RTT sample: INIT, COOKIE-ECHO
// RTO.initial for a path whose ICE round trip is `rtt`: 3 × rtt (RFC 9260 §6.3.1 C2's RTO after a
// first sample), within [50 ms, kRtoInitial]; kRtoInitial when none was measured. A lost INIT or
// COOKIE-ECHO then waits about as long as DTLS waits for a lost flight
// (dtls::initial_retransmit_for), not 200 ms on a 1 ms path.
inline constexpr Duration kMinInitialRto = 50ms;
Duration initial_rto_for(std::optional<Duration> rtt);
inline constexpr Duration kRtoMin = 20ms;
inline constexpr Duration kRtoMax = 1s;  // bounds the exponential back-off (§6.3.3 E2)
// Consecutive retransmission timeouts before the path / the association is given up (§8.1, §8.2;
// RFC default 5 and 10). With kRtoMax 1 s, 30 is about 25 s of silence: about as long as ICE
// consent freshness (RFC 7675, 30 s) tolerates anyway.
inline constexpr std::uint32_t kMaxRetransmissions = 30;
// SACKs (RFC 9260 §6.2), set per socket in configure_socket(): for every second packet with DATA,
// or kSackDelay after a lone one. The delay must stay below kRtoMin, or a lone packet's T3 fires
// before the peer's SACK comes. While our SACKs report gaps, every packet is acknowledged
// (Association::handle_timeout): faster under loss, but always on it cost W3 a third more time
// per round trip (the SACK left alone instead of riding on the reply).
inline constexpr std::uint32_t kSackFrequency = 2;
inline constexpr Duration kSackDelay = 5ms;
// A peer whose packets come alone and get no reply (a client sending now and then, the echo it
// gets back) has every SACK wait kSackDelay for nothing and leave in a packet of its own, the
// receiver woken for it. After this many delayed SACKs in a row left alone, the association
// acknowledges at once (sack_freq 1), in the same pass as the packet: the same packets, one
// wake-up less each. A reply within kSackDelay of a packet (the SACK could ride on it) or a second
// packet within kSackDelay (a flow, where every second packet is acknowledged anyway) ends it.
inline constexpr std::uint8_t kLoneSacksForAtOnce = 3;

// RTO.min for an association whose runtime thread runs `lag` behind its timers (the lateness of
// its latest wake-ups): kRtoMin plus twice the lag, at most kRtoInitial (usrsctp refuses an
// RTO.min above RTO.initial). On a thread that is behind, a SACK leaves late (our delayed SACK
// waits in the queue) and comes in late (the peer's SACK waits in our socket while a tick fires
// T3): at kRtoMin alone, a W6 server resent thousands of echoes a run for nothing on loopback,
// each resend adding to the work that made it late (docs/sctp.md, "Under load").
Duration rto_min_for_lag(Duration lag);

// Applied once, right after usrsctp_init (usrsctp_global.cpp). Every association created afterwards
// starts from these values.
void apply_usrsctp_defaults();

// usrsctp_get_stat(): totals of every association of this process since it started.
struct ProcessCounters {
    std::uint64_t data_chunks_sent = 0;      // including retransmissions
    std::uint64_t retransmitted_chunks = 0;  // DATA chunks sent again, either way below
    std::uint64_t fast_retransmits = 0;      // chunks resent on gap reports (RFC 9260 §7.2.4)
    std::uint64_t t3_timeouts = 0;           // T3-rtx expiries (§6.3.3)
    std::uint64_t sacks_sent = 0;
    std::uint64_t duplicate_chunks_received = 0;
    std::uint64_t init_timeouts = 0;  // T1-init and T1-cookie expiries (§5.1)
};
ProcessCounters process_counters();

}  // namespace floe::sctp
