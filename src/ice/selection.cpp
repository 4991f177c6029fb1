// ICE selection and consent: nomination (RFC 8445 §8.1.1), the selected pair and the states it
// drives (connected, completed), consent freshness on it (RFC 7675), and the ways checking ends
// in failure (disconnected/failed, the checking timeout of RFC 8863).
#include <algorithm>

#include "common/log.hpp"
#include "ice/agent.hpp"

namespace floe::ice {

void Agent::nominate(Instant now, CandidatePair& pair) {
    pair.nominated = true;
    if (selected_ && selected_->generation == generation_) {
        if (selected_->pair_id == pair.id) return;
        if (selected_->priority >= pair.priority) return;  // keep the better nominated pair
    }
    Selected s;
    s.pair.local = locals_[pair.valid_local.value_or(pair.local)].candidate;
    s.pair.remote = remotes_[pair.remote].candidate;
    s.pair.socket = pair.socket;
    s.pair.remote_address = pair.remote_address;
    if (const SocketEntry* socket = find_socket(pair.socket); socket && socket->relay)
        s.pair.relay_url = socket->relay_url;
    s.pair_id = pair.id;
    s.generation = generation_;
    s.priority = pair.priority;
    // A lite agent may be nominated before the remote description reaches it (the full
    // answerer checks as soon as it has the offer); it never sends consent requests, so it
    // needs no username for them.
    if (remote_) s.username = remote_->ufrag + ":" + local_.credentials.ufrag;
    s.remote_key = remote_key_;
    s.request_priority = prflx_priority(locals_[pair.local].local_preference);
    s.last_response = now;
    s.next_consent = now + consent_delay();
    selected_ = std::move(s);
    previous_local_.reset();  // the old generation's pair is replaced
    // §8.1.2: checks on the other pairs are no longer needed. They end as failed (an incoming
    // check on one revives it with a triggered check); answers still in flight still count.
    for (auto& p : checklist_.pairs()) {
        if (p.id == pair.id || p.state == PairState::succeeded) continue;
        if (p.state == PairState::in_progress) cancel_checks(p.id);
        p.state = PairState::failed;
    }
    checklist_.clear_triggered();
    FLOE_LOG(LogLevel::debug, "ice") << "selected " << selected_->pair.local.to_string() << " -> "
                                     << pair.remote_address.to_string();
    emit(event::SelectedPairChanged{selected_->pair});
    update_connected_state();
}

void Agent::consent_refreshed(Instant now) {
    selected_->last_response = now;
    selected_->first_unanswered.reset();
    if (state_ == IceState::disconnected) update_connected_state();
}

void Agent::update_connected_state() {
    if (!selected_ || state_ == IceState::failed || state_ == IceState::closed) return;
    if (selected_->first_unanswered && state_ == IceState::disconnected) return;
    // A lite agent's pairs never leave waiting (it checks none): they are not pending work.
    const bool done = remote_done_ && gathering_ == GatheringState::complete &&
                      (lite() || !checklist_.any_pending()) && selected_->generation == generation_;
    set_state(done ? IceState::completed : IceState::connected);
}

void Agent::maybe_nominate(Instant now) {
    if (!controlling() || nominating_ || !remote_) return;
    if (selected_ && selected_->generation == generation_) return;
    CandidatePair* best = best_valid();
    if (!best) return;
    const bool better_pending = checklist_.any_pending_above(best->priority);
    if (better_pending && first_valid_at_ && now < *first_valid_at_ + config_.nomination_delay)
        return;
    start_check(now, *best, true);
}

// The peer's check arrived on the pair we are nominating, and our nomination has had no answer
// for a quick_retry since it last went: the path works now, so it goes again at once rather than
// at its next retransmission, which under heavy loss may be seconds away. The same transaction:
// it still ends when it would have (and a nomination that never gets an answer still fails),
// and however often the peer checks, it resends at most once per quick_retry.
void Agent::renominate_if_stalled(Instant now, CandidatePair& pair) {
    if (!nominating_) return;
    const Duration patience = quick_retry(pair, config_.stun.rto).value_or(config_.stun.rto);
    for (auto& t : transactions_) {
        if (t.kind != TxKind::check || t.pair != pair.id || !t.use_candidate || t.cancelled)
            continue;
        if (now - t.client.last_sent() < patience) return;
        t.client.resend_now(now);
        flush(t);
        return;
    }
}

// A controlled agent with a working pair but no nomination yet checks its best valid pair
// again: if the controlling peer's check or its answer was lost, each of these gives it a
// triggered check (§7.3.1.4) at once, where it would otherwise wait for its retransmission
// (500 ms). The first goes a quick_retry after the pair worked, the next ones at doubling
// intervals up to consent_probe, so a peer that is slow to nominate costs few requests.
void Agent::ping_while_unnominated(Instant now) {
    if (controlling() || (selected_ && selected_->generation == generation_)) {
        next_valid_ping_.reset();
        return;
    }
    CandidatePair* best = best_valid();
    if (!best) {
        next_valid_ping_.reset();
        return;
    }
    if (!next_valid_ping_) {
        valid_ping_interval_ =
            quick_retry(*best, config_.consent_probe).value_or(config_.consent_probe);
        next_valid_ping_ = now + valid_ping_interval_;
    }
    if (now < *next_valid_ping_ || now < next_check_at_) return;  // paced like every check
    valid_ping_interval_ = std::min(2 * valid_ping_interval_, config_.consent_probe);
    next_valid_ping_ = now + valid_ping_interval_;
    start_check(now, *best, false);
    next_check_at_ = now + config_.ta;
}

CandidatePair* Agent::best_valid() {
    for (auto& p : checklist_.pairs())
        if (p.state == PairState::succeeded) return &p;
    return nullptr;
}

void Agent::send_consent(Instant now) {
    Selected& s = *selected_;
    if (!s.remote_key) return;
    Bytes request = build_request(s.username, s.request_priority, false, *s.remote_key);
    if (request.empty()) return;
    if (!s.first_unanswered) s.first_unanswered = now;
    s.last_sent = now;
    Transaction& tx = start_transaction(now, TxKind::consent, s.pair.socket, s.pair.remote_address,
                                        std::move(request));
    tx.pair = s.pair_id;
    tx.key = s.remote_key;
    if (CandidatePair* p = checklist_.find(s.pair_id)) {
        ++p->counters.consent_requests_sent;
        p->counters.last_request_sent = now;
    }
    tx.controlling = controlling();
}

void Agent::fail(std::string_view why) {
    FLOE_LOG(LogLevel::info, "ice") << "failed: " << why;
    set_state(IceState::failed);
    selected_.reset();
    std::erase_if(transactions_, [](const Transaction& t) { return t.kind != TxKind::gather; });
}

void Agent::check_consent(Instant now) {
    if (!selected_) return;
    if (lite()) {
        check_lite_liveness(now);
        return;
    }
    Selected& s = *selected_;
    if (now - s.last_response >= config_.failed_after) {
        if (s.generation != generation_) {
            // The pair of the generation before a restart is gone; the new generation's
            // checks go on, under their own failure rules.
            FLOE_LOG(LogLevel::info, "ice") << "consent expired on the pre-restart pair";
            selected_.reset();
            previous_local_.reset();
            std::erase_if(transactions_,
                          [](const Transaction& t) { return t.kind == TxKind::consent; });
            set_state(IceState::checking);
            return;
        }
        fail("consent expired (RFC 7675)");
        return;
    }
    if (s.first_unanswered && now - *s.first_unanswered >= config_.disconnected_after)
        set_state(IceState::disconnected);
    if (now >= next_consent_at(s)) {
        send_consent(now);
        // RFC 7675 §5.1: the regular schedule counts from the latest request, 4-6 s apart.
        s.next_consent = now + consent_delay();
    }
}

// A lite agent sends no consent requests (RFC 8445 §2.5) and so cannot obtain consent itself; its
// full peer asks for consent every 4-6 s on the selected pair (RFC 7675 §5.1), and those checks
// are what a lite agent hears (`last_response` is the latest). Silence for one interval plus
// `disconnected_after` reads as disconnected (a healthy peer is never that quiet, nor a peer
// that probes every second while unanswered), and for `failed_after` (30 s, the consent lifetime
// of RFC 7675 §5.1) as consent lost: failed, as on the full side.
void Agent::check_lite_liveness(Instant now) {
    Selected& s = *selected_;
    const Duration silence = now - s.last_response;
    if (silence >= config_.failed_after) {
        fail("no check from the full peer within the consent lifetime (RFC 7675)");
        return;
    }
    if (silence >= config_.consent_interval + config_.disconnected_after)
        set_state(IceState::disconnected);
}

// The next consent request: on the regular schedule while the latest one was answered; one
// consent_probe after the latest while unanswered (RFC 7675 §5.1 sends each request once,
// with a new transaction id; an unanswered one is followed by the next at the faster rate).
Instant Agent::next_consent_at(const Selected& s) const {
    if (!s.first_unanswered) return s.next_consent;
    return std::min(s.next_consent, s.last_sent + config_.consent_probe);
}

// Without a selected pair, checking gives up `checking_timeout` after it began, or after the
// first pair became valid when one did (a nomination under loss may need retries), but never
// while a nomination is still in flight.
std::optional<Instant> Agent::checking_deadline() const {
    if (selected_ || !checking_since_ || nominating_) return std::nullopt;
    return (first_valid_at_ ? *first_valid_at_ : *checking_since_) + config_.checking_timeout;
}

void Agent::check_failure(Instant now) {
    if (selected_ || !checking_since_) return;
    if (auto deadline = checking_deadline(); deadline && now >= *deadline) {
        fail(first_valid_at_ ? "no pair could be nominated within the checking timeout"
                             : "no connectivity within the checking timeout");
        return;
    }
    const bool exhausted =
        remote_done_ && checklist_.all_failed() &&
        !std::any_of(transactions_.begin(), transactions_.end(),
                     [](const Transaction& t) { return t.kind == TxKind::check; });
    if (!exhausted) {
        all_failed_at_.reset();
        return;
    }
    if (!all_failed_at_) all_failed_at_ = now;
    if (now - *all_failed_at_ >= config_.failed_grace) fail("every candidate pair failed");
}

}  // namespace floe::ice
