// The checklist of RFC 8445 §6.1.2 for one data stream and component: candidate pairs ordered by
// pair priority, their states, pruning, the foundation-based unfreezing rules (with the trickle
// amendments of RFC 8838 §12) and the triggered-check queue. Pure bookkeeping: no STUN, no time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/socket_address.hpp>

#include "common/fifo.hpp"
#include "common/time.hpp"

namespace floe::ice {

enum class PairState : std::uint8_t { frozen, waiting, in_progress, succeeded, failed };
std::string_view to_string(PairState state);

using PairId = std::uint32_t;

// What went over a pair, for stats (W3C webrtc-stats RTCIceCandidatePairStats) and traces.
struct PairCounters {
    std::uint64_t requests_sent =
        0;  // connectivity checks, one per transaction (no retransmissions)
    std::uint64_t requests_received = 0;  // authenticated checks from the pair's remote address
    std::uint64_t responses_sent = 0;
    std::uint64_t responses_received = 0;     // authenticated answers, checks and consent
    std::uint64_t consent_requests_sent = 0;  // RFC 7675 requests on the selected pair
    // Round trips of requests answered without a retransmission (Karn's rule, RFC 6298 §3).
    Duration total_round_trip_time{};
    std::uint64_t round_trips = 0;
    std::optional<Duration> current_round_trip_time;
    std::optional<Instant> last_request_sent;
    std::optional<Instant> last_response_received;
};

struct CandidatePair {
    PairId id = 0;
    // Where checks go: the local candidate's base socket and the remote address. Two pairs with
    // the same (socket, remote address) are redundant (§6.1.2.4).
    std::uint32_t socket = 0;
    SocketAddress remote_address;
    std::size_t local = 0;   // the owner's local candidate index (a base)
    std::size_t remote = 0;  // the owner's remote candidate index
    std::uint32_t local_priority = 0;
    std::uint32_t remote_priority = 0;
    std::string foundation;  // local foundation + ":" + remote foundation
    std::uint64_t priority = 0;
    PairState state = PairState::frozen;
    bool nominated = false;
    // Controlled side: the peer sent USE-CANDIDATE; nominate once our own check succeeds.
    bool use_candidate_received = false;
    // Controlling side: USE-CANDIDATE checks on this valid pair that timed out.
    int nominations_failed = 0;
    // When the pair last joined the triggered-check queue (the agent's clock).
    Instant triggered_at{};
    // After success: the local candidate the peer saw (the base itself, or a srflx/prflx).
    std::optional<std::size_t> valid_local;
    PairCounters counters;
};

class CheckList {
  public:
    explicit CheckList(std::size_t max_pairs = 100) : max_pairs_(max_pairs) {}

    // Adds `pair` (its id and priority are assigned here) unless a redundant one exists, in which
    // case that one's id is returned. The new pair starts Waiting when its foundation is new to
    // the list or already has a Succeeded pair, Frozen otherwise. When the list is over its limit
    // the lowest-priority pairs that are neither in progress nor succeeded are pruned (§6.1.2.5);
    // nullopt when the new pair itself was the one pruned.
    std::optional<PairId> add(CandidatePair pair, bool controlling);

    CandidatePair* find(PairId id);
    const CandidatePair* find(PairId id) const;
    CandidatePair* find(std::uint32_t socket, const SocketAddress& remote_address);

    // Our role changed (§7.2.5.1): every pair priority is recomputed and the list re-sorted.
    void set_controlling(bool controlling);

    void set_state(PairId id, PairState state);
    // §7.2.5.3.3: a check succeeded; Frozen pairs with the same foundation become Waiting.
    void succeeded(PairId id);
    void failed(PairId id);

    // The pair for the next ordinary check (§6.1.4.2): the highest-priority Waiting pair; when
    // none waits, each foundation without a Waiting or In-Progress pair has its best Frozen pair
    // unfrozen first. The pair is returned still Waiting; the caller starts the check.
    CandidatePair* next_ordinary();
    // Whether next_ordinary() would find a pair (without unfreezing anything).
    bool ordinary_ready() const;

    // Triggered checks (§7.3.1.4), first in first out, each pair once.
    void trigger(PairId id);
    std::optional<PairId> pop_triggered();
    bool has_triggered() const { return !triggered_.empty(); }
    // §8.1.2: once a pair is selected, nothing waits in the triggered-check queue any more.
    void clear_triggered() { triggered_.clear(); }

    // Highest priority first.
    const std::vector<CandidatePair>& pairs() const { return pairs_; }
    std::vector<CandidatePair>& pairs() { return pairs_; }
    bool empty() const { return pairs_.empty(); }
    // Some pair is Frozen, Waiting or In-Progress.
    bool any_pending() const;
    // Some pair of higher priority than `priority` is Frozen, Waiting or In-Progress.
    bool any_pending_above(std::uint64_t priority) const;
    bool any_succeeded() const;
    // Non-empty and every pair Failed.
    bool all_failed() const;
    void clear();

  private:
    void sort();

    std::vector<CandidatePair> pairs_;
    Fifo<PairId> triggered_;
    std::size_t max_pairs_;
    PairId next_id_ = 1;
};

// Pair priority for our role (§6.1.2.3): G is the controlling side's candidate priority.
std::uint64_t pair_priority_for(bool controlling, std::uint32_t local_priority,
                                std::uint32_t remote_priority);

}  // namespace floe::ice
