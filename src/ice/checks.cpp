// ICE connectivity checks, outgoing side: candidate pairs formed from local and remote
// candidates (RFC 8445 §6.1.2), the STUN transactions of our checks, their pacing (one per Ta,
// triggered first: §6.1.4.2, §7.3.1.4), timeouts and failures, and role switches (§7.3.1.1).
#include <algorithm>

#include <floe/stun/builder.hpp>

#include "common/log.hpp"
#include "ice/agent.hpp"

namespace floe::ice {

namespace {

// A valid pair whose nomination timed out is nominated again this many times in all.
constexpr int max_nomination_attempts = 2;

}  // namespace

void Agent::form_pair(std::size_t local_index, std::size_t remote_index) {
    const LocalEntry& l = locals_[local_index];
    const RemoteEntry& r = remotes_[remote_index];
    // Bases only (RFC 8445 §6.1.2.2): host and relay candidates; a srflx pairs through its base.
    if (!r.address) return;
    if (l.candidate.type != CandidateType::host && l.candidate.type != CandidateType::relay) return;
    // The relay policy pairs relay candidates only (W3C RTCIceTransportPolicy).
    if (config_.relay_only && l.candidate.type != CandidateType::relay) return;
    if (r.address->family() != l.address.family()) return;
    if (r.address->ip().is_loopback() != l.address.ip().is_loopback()) return;
    CandidatePair p;
    p.socket = l.socket;
    p.remote_address = *r.address;
    p.local = local_index;
    p.remote = remote_index;
    p.local_priority = l.candidate.priority;
    p.remote_priority = r.candidate.priority;
    p.foundation = l.candidate.foundation + ":" + r.candidate.foundation;
    checklist_.add(std::move(p), controlling());
}

std::optional<std::size_t> Agent::add_remote(Candidate c, std::optional<SocketAddress> address) {
    if (remotes_.size() >= config_.max_remote_candidates) return std::nullopt;
    remotes_.push_back({std::move(c), address});
    const std::size_t index = remotes_.size() - 1;
    for (std::size_t l = 0; l < locals_.size(); ++l)
        form_pair(l, index);
    return index;
}

void Agent::add_remote_candidate(Instant now, Candidate c) {
    if (closed_) return;
    if (c.component != component_id || c.transport != TransportProtocol::udp) return;
    if (c.is_mdns()) {
        // Kept for the record; connects through peer-reflexive discovery (RFC 8445 §7.3.1.3).
        if (remotes_.size() < config_.max_remote_candidates) remotes_.push_back({c, std::nullopt});
        drive(now);
        return;
    }
    auto address = c.socket_address();
    if (!address || address->port() == 0 || address->ip().is_unspecified()) return;
    if (auto existing = find_remote(*address)) {
        RemoteEntry& r = remotes_[*existing];
        if (r.candidate.type != CandidateType::prflx) return;
        // The signalled candidate a check already revealed: take its type and priority.
        r.candidate = std::move(c);
        for (auto& p : checklist_.pairs())
            if (p.remote == *existing) p.remote_priority = r.candidate.priority;
        checklist_.set_controlling(controlling());
        drive(now);
        return;
    }
    add_remote(std::move(c), address);
    drive(now);
}

void Agent::switch_role(Role to) {
    if (role_ == to || (lite() && to == Role::controlling)) return;  // RFC 8445 §6.1.1
    role_ = to;
    ++stats_.role_conflicts;
    nominating_ = false;
    checklist_.set_controlling(controlling());
    FLOE_LOG(LogLevel::debug, "ice") << "role conflict: now " << to_string(to);
    emit(event::RoleChanged{to});
}

// Starts a STUN client transaction for `request` (sent at once); the caller fills in the rest.
Agent::Transaction& Agent::start_transaction(Instant now, TxKind kind, SocketId socket,
                                             const SocketAddress& destination, Bytes request,
                                             const CandidatePair* pair) {
    Transaction& tx = transactions_.emplace_back(
        stun::ClientTransaction(std::move(request), destination, now, retransmission(kind, pair)));
    tx.kind = kind;
    tx.socket = socket;
    tx.destination = destination;
    tx.started = now;
    flush(tx);
    return tx;
}

// Sends what the transaction wants sent, unless it was cancelled.
void Agent::flush(Transaction& tx) {
    while (auto t = tx.client.poll_transmit()) {
        if (tx.cancelled) continue;
        send(tx.socket, t->destination, t->data);
        if (tx.kind == TxKind::check) ++stats_.checks_sent;
    }
}

// A triggered check supersedes the pair's earlier ones (§7.3.1.4): they stop retransmitting
// but their answers still count. A few are kept per pair (a peer's retransmissions trigger
// checks too), the oldest forgotten first.
void Agent::cancel_checks(PairId pair) {
    constexpr std::size_t keep = 3;
    std::size_t cancelled = 0;
    for (auto it = transactions_.rbegin(); it != transactions_.rend(); ++it)
        if (it->kind == TxKind::check && it->pair == pair && it->cancelled) ++cancelled;
    for (auto it = transactions_.begin(); cancelled >= keep && it != transactions_.end();) {
        if (it->kind == TxKind::check && it->pair == pair && it->cancelled) {
            it = transactions_.erase(it);
            --cancelled;
        } else {
            ++it;
        }
    }
    for (auto& t : transactions_)
        if (t.kind == TxKind::check && t.pair == pair) t.cancelled = true;
}

// Queues a triggered check on the pair (RFC 8445 §7.3.1.4), noting when: a check of its own that
// goes out later makes it redundant (next_paced_check).
void Agent::trigger_check(Instant now, CandidatePair& pair) {
    pair.triggered_at = now;
    checklist_.trigger(pair.id);
}

// A check on the pair started at or after `since` is still running.
bool Agent::checked_since(PairId pair, Instant since) const {
    return std::any_of(transactions_.begin(), transactions_.end(), [&](const Transaction& t) {
        return t.kind == TxKind::check && t.pair == pair && !t.cancelled && t.started >= since;
    });
}

bool Agent::live_check(PairId pair) const {
    return std::any_of(transactions_.begin(), transactions_.end(), [&](const Transaction& t) {
        return t.kind == TxKind::check && t.pair == pair && !t.cancelled;
    });
}

Bytes Agent::build_request(std::string_view username, std::uint32_t priority, bool use_candidate,
                           const stun::IntegrityKey& key) {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request},
                           new_transaction_id());
    b.add_username(username);
    b.add_priority(priority);
    if (controlling())
        b.add_ice_controlling(tie_breaker_);
    else
        b.add_ice_controlled(tie_breaker_);
    if (use_candidate) b.add_use_candidate();
    b.add_message_integrity(key);
    b.add_fingerprint();
    if (!b.finish()) return {};
    return out;
}

void Agent::start_check(Instant now, CandidatePair& pair, bool use_candidate) {
    if (!remote_ || lite()) return;  // RFC 8445 §2.5: a lite agent sends no checks
    cancel_checks(pair.id);
    const LocalEntry& l = locals_[pair.local];
    const std::uint32_t priority = prflx_priority(l.local_preference);
    Bytes request = build_request(remote_->ufrag + ":" + local_.credentials.ufrag, priority,
                                  use_candidate, *remote_key_);
    if (request.empty()) return;
    if (pair.state != PairState::succeeded) pair.state = PairState::in_progress;
    if (use_candidate) nominating_ = true;
    FLOE_LOG(LogLevel::debug, "ice")
        << "check " << pair.id << (use_candidate ? " (nominating)" : "") << " socket "
        << pair.socket << " -> " << pair.remote_address.to_string();
    Transaction& tx = start_transaction(now, TxKind::check, pair.socket, pair.remote_address,
                                        std::move(request), &pair);
    tx.pair = pair.id;
    tx.key = remote_key_;
    ++pair.counters.requests_sent;
    pair.counters.last_request_sent = now;
    tx.use_candidate = use_candidate;
    tx.controlling = controlling();
    tx.priority = priority;
    if (state_ == IceState::new_) {
        checking_since_ = now;
        set_state(IceState::checking);
    }
}

// The pair for the next paced check (RFC 8445 §6.1.4.2): one check per Ta, taken from the
// triggered-check queue first, then from the ordinary checks. A queued pair that got a
// check of its own after it was queued is skipped (§7.3.1.4 asks for one, not two).
CandidatePair* Agent::next_paced_check() {
    while (auto id = checklist_.pop_triggered()) {
        CandidatePair* p = checklist_.find(*id);
        if (p && !checked_since(p->id, p->triggered_at)) return p;
    }
    return checklist_.next_ordinary();
}

void Agent::expire_transactions(Instant now) {
    // Work on a snapshot of the due ids: handling one may add or remove others.
    std::vector<stun::TransactionId> due;
    for (const auto& t : transactions_)
        if (auto at = t.client.poll_timeout(); at && *at <= now) due.push_back(t.id());
    for (const auto& id : due) {
        auto it = find_transaction(id);
        if (it == transactions_.end()) continue;
        it->client.handle_timeout(now);
        flush(*it);
        if (!it->client.done()) continue;  // retransmitted
        const Transaction tx = std::move(*it);
        transactions_.erase(it);
        if (tx.kind == TxKind::check && !tx.cancelled) {
            FLOE_LOG(LogLevel::debug, "ice") << "check " << tx.pair << " timed out";
            check_failed(tx.pair, tx.use_candidate);
        } else if (tx.kind == TxKind::gather) {
            // W3C webrtc §4.8.2 (RTCPeerConnectionIceErrorEvent): 701, the server unreachable.
            FLOE_LOG(LogLevel::info, "ice")
                << "STUN server " << tx.destination.to_string() << " never answered";
            emit(event::ServerError{tx.socket, tx.server, 701,
                                    "no answer from STUN server " + tx.destination.to_string() +
                                        " (" + std::to_string(tx.client.transmissions()) +
                                        " requests)"});
        }
    }
}

std::vector<Agent::Transaction>::iterator Agent::find_transaction(const stun::TransactionId& id) {
    return std::find_if(transactions_.begin(), transactions_.end(),
                        [&](const Transaction& t) { return t.id() == id; });
}

void Agent::check_failed(PairId id, bool was_nomination) {
    if (was_nomination) nominating_ = false;
    if (live_check(id)) return;
    CandidatePair* p = checklist_.find(id);
    if (!p) return;
    if (p->state != PairState::succeeded) {
        checklist_.failed(id);
    } else if (was_nomination && ++p->nominations_failed >= max_nomination_attempts) {
        // The pair worked, but every answer to USE-CANDIDATE was lost twice over: give up on
        // it and let another pair be nominated. (Once, it is simply nominated again.)
        checklist_.failed(id);
    }
}

}  // namespace floe::ice
