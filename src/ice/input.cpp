// ICE STUN input (RFC 8445 §7.2-7.3): a datagram sorted into request or response; requests
// authenticated and answered (role conflicts, peer-reflexive remote candidates, triggered checks,
// USE-CANDIDATE), responses matched to our transactions (peer-reflexive local candidates, the
// valid list). Answers to STUN server requests go on to gathering.cpp.
#include <algorithm>
#include <array>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "common/log.hpp"
#include "ice/agent.hpp"

namespace floe::ice {

namespace {

// Memory bound against a hostile or buggy peer.
constexpr std::size_t max_prflx_locals = 64;

}  // namespace

bool Agent::handle_input(Instant now, SocketId socket, SocketAddress from, ByteSpan datagram) {
    if (!stun::looks_like_stun(datagram) || !stun::peek_header(datagram)) {
        ++stats_.not_stun;
        return false;
    }
    if (closed_) return true;
    auto msg = stun::Message::decode(datagram);
    if (!msg || (msg->has(stun::attr::fingerprint) && !msg->check_fingerprint()) ||
        msg->method() != stun::method::binding) {
        ++stats_.malformed;
        return true;
    }
    switch (msg->message_class()) {
        case stun::MessageClass::request:
            handle_request(now, socket, from, *msg);
            break;
        case stun::MessageClass::success_response:
        case stun::MessageClass::error_response:
            handle_response(now, socket, from, *msg);
            break;
        case stun::MessageClass::indication:
            break;  // keepalive (RFC 8445 §11)
    }
    drive(now);
    return true;
}

void Agent::respond_error(SocketId socket, const SocketAddress& to, const stun::Message& request,
                          int code, const stun::IntegrityKey* key,
                          std::span<const std::uint16_t> unknown) {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::error_response},
                           request.transaction_id());
    b.add_error_code(code);
    if (!unknown.empty()) b.add_unknown_attributes(unknown);
    if (key) b.add_message_integrity(*key);
    b.add_fingerprint();
    if (b.finish()) transmits_.push_back({socket, to, std::move(out)});
}

void Agent::handle_request(Instant now, SocketId socket_id, const SocketAddress& from,
                           const stun::Message& msg) {
    SocketEntry* socket = find_socket(socket_id);
    if (!socket) {
        ++stats_.unknown_socket;
        return;
    }
    // A failed agent no longer consents (RFC 7675 §5.1, RFC 8445 §8.1.2): it stops answering,
    // so the peer's consent runs out instead of holding a pair we gave up. An ICE restart
    // starts answering again.
    if (state_ == IceState::failed) {
        ++stats_.refused_failed;
        return;
    }
    // The relay policy pairs relay candidates only: a check on a plain socket would open a
    // non-relay path, so it is not answered.
    if (config_.relay_only && !socket->relay) {
        ++stats_.refused_policy;
        return;
    }
    std::array<std::uint16_t, 8> unknown{};
    if (std::size_t n = msg.unknown_comprehension_required(unknown); n > 0) {
        ++stats_.answered_420;
        respond_error(socket_id, from, msg, stun::error::unknown_attribute, nullptr,
                      std::span<const std::uint16_t>(unknown.data(), std::min(n, unknown.size())));
        return;
    }
    auto username = msg.username();
    if (!username || !msg.message_integrity()) {
        ++stats_.answered_400;
        respond_error(socket_id, from, msg, stun::error::bad_request, nullptr);
        return;
    }
    // USERNAME is "LFRAG:RFRAG" from our side's point of view (RFC 8445 §7.2.2).
    const auto colon = username->find(':');
    const std::string_view lfrag = username->substr(0, colon);
    const Generation* gen = nullptr;
    if (colon != std::string_view::npos) {
        if (lfrag == local_.credentials.ufrag)
            gen = &local_;
        else if (previous_local_ && lfrag == previous_local_->credentials.ufrag)
            gen = &*previous_local_;
    }
    if (!gen || !msg.check_integrity(gen->key)) {
        ++stats_.unauthenticated;
        ++stats_.answered_401;
        respond_error(socket_id, from, msg, stun::error::unauthorized, nullptr);
        return;
    }
    const auto priority = msg.priority();
    if (!priority) {
        ++stats_.answered_400;
        respond_error(socket_id, from, msg, stun::error::bad_request, &gen->key);
        return;
    }
    // Role conflict (RFC 8445 §7.3.1.1).
    if (auto theirs = msg.ice_controlling(); theirs && controlling()) {
        if (tie_breaker_ >= *theirs) {
            ++stats_.answered_487;
            respond_error(socket_id, from, msg, stun::error::role_conflict, &gen->key);
            return;
        }
        switch_role(Role::controlled);
    } else if (auto theirs_c = msg.ice_controlled(); theirs_c && !controlling()) {
        // A lite agent never takes the controlling role (RFC 8445 §6.1.1): the full peer is
        // told to (487 makes it switch, §7.2.5.1); a lite peer cannot, and never connects.
        if (!lite() && tie_breaker_ >= *theirs_c) {
            switch_role(Role::controlling);
        } else {
            ++stats_.answered_487;
            respond_error(socket_id, from, msg, stun::error::role_conflict, &gen->key);
            return;
        }
    }
    {
        Bytes out;
        stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::success_response},
                               msg.transaction_id());
        b.add_xor_mapped_address(from);
        b.add_message_integrity(gen->key);
        b.add_fingerprint();
        if (b.finish()) transmits_.push_back({socket_id, from, std::move(out)});
    }
    ++stats_.checks_received;
    // From this answer on the peer may start DTLS towards us (its check just succeeded),
    // before our own check to it has: its address is validated now.
    validate(socket_id, from);
    FLOE_LOG(LogLevel::debug, "ice") << "check from " << from.to_string() << " on socket "
                                     << socket_id << (msg.use_candidate() ? " USE-CANDIDATE" : "");
    // A lite agent's only sign that the path lives: the full peer's consent checks on it.
    if (lite() && selected_ && selected_->pair.socket == socket_id &&
        selected_->pair.remote_address == from)
        consent_refreshed(now);
    // The old generation only keeps the old pair's consent.
    if (gen != &local_) return;
    if (state_ == IceState::new_) {
        checking_since_ = now;
        set_state(IceState::checking);
    }
    if (!socket->host) return;
    std::optional<std::size_t> remote_index = find_remote(from);
    if (!remote_index) {
        // Peer-reflexive remote candidate (RFC 8445 §7.3.1.3).
        remote_index = add_remote(
            make_candidate(CandidateType::prflx, from, random_->string(8, ice_chars), *priority),
            from);
        if (!remote_index) return;
    }
    CandidatePair* pair = checklist_.find(socket_id, from);
    if (!pair) return;  // pruned, or the families/scopes do not pair
    ++pair->counters.requests_received;
    ++pair->counters.responses_sent;  // answered above
    if (lite()) {
        // RFC 8445 §2.5, §8.2: a lite agent checks nothing itself. The full peer's check
        // reached us and was answered, so the pair works as far as we can know; the pair it
        // nominates (USE-CANDIDATE, regular nomination) is the selected one. No triggered check.
        if (pair->state != PairState::succeeded) checklist_.succeeded(pair->id);
        pair = checklist_.find(socket_id, from);
        if (!pair) return;
        if (!first_valid_at_) first_valid_at_ = now;
        if (msg.use_candidate()) {
            pair->use_candidate_received = true;
            nominate(now, *pair);
        }
        return;
    }
    const bool use_candidate = msg.use_candidate() && !controlling();
    if (use_candidate) pair->use_candidate_received = true;
    if (pair->state == PairState::succeeded) {
        if (use_candidate) nominate(now, *pair);
        if (controlling()) renominate_if_stalled(now, *pair);
        return;
    }
    // Triggered check (§7.3.1.4), an In-Progress pair's too: the peer's check shows the path
    // works towards us, while our own check may be lost; waiting for its retransmission
    // would cost an RTO (500 ms), the new check costs a round trip.
    if (pair->state != PairState::in_progress) pair->state = PairState::waiting;
    trigger_check(now, *pair);
}

void Agent::handle_response(Instant now, SocketId socket, const SocketAddress& from,
                            const stun::Message& msg) {
    auto it = find_transaction(msg.transaction_id());
    if (it == transactions_.end()) {
        ++stats_.unknown_transaction;
        FLOE_LOG(LogLevel::debug, "ice")
            << "response from " << from.to_string() << " matches no transaction: dropped";
        return;
    }
    const bool success = msg.message_class() == stun::MessageClass::success_response;
    if (it->kind == TxKind::gather) {
        handle_server_response(socket, from, msg, it);
        return;
    }
    // Every answer to a check must carry our peer's MESSAGE-INTEGRITY, errors included: an
    // unauthenticated 487 or 401 could be forged. Those are dropped; the check times out.
    if (!it->key || !msg.check_integrity(*it->key)) {
        ++stats_.unauthenticated;
        FLOE_LOG(LogLevel::debug, "ice")
            << "unauthenticated response from " << from.to_string() << ": dropped";
        return;
    }
    ++stats_.responses_received;
    FLOE_LOG(LogLevel::debug, "ice") << (success ? "success" : "error") << " response for pair "
                                     << it->pair << " from " << from.to_string();
    const Transaction tx = std::move(*it);
    transactions_.erase(it);
    if (socket != tx.socket || from != tx.destination) {
        // Not symmetric (§7.2.5.2.1): the check fails.
        ++stats_.asymmetric;
        if (tx.kind == TxKind::check) check_failed(tx.pair, tx.use_candidate);
        return;
    }
    const bool on_selected_path =
        selected_ && selected_->pair.socket == socket && selected_->pair.remote_address == from;
    if (success && on_selected_path) consent_refreshed(now);
    if (success && tx.client.transmissions() == 1 && (!selected_ || on_selected_path))
        round_trip_ = now - tx.started;
    CandidatePair* pair = checklist_.find(tx.pair);
    if (pair) {
        PairCounters& c = pair->counters;
        ++c.responses_received;
        c.last_response_received = now;
        if (success && tx.client.transmissions() == 1) {
            c.current_round_trip_time = now - tx.started;
            c.total_round_trip_time += now - tx.started;
            ++c.round_trips;
        }
    }
    if (tx.kind == TxKind::consent || !pair) return;
    if (!success) {
        const auto error = msg.error_code();
        if (error && error->code == stun::error::role_conflict) {
            // §7.2.5.1: switch if the request carried our current role, then check again.
            if (tx.controlling == controlling())
                switch_role(controlling() ? Role::controlled : Role::controlling);
            if (tx.use_candidate) nominating_ = false;
            if (pair->state != PairState::succeeded) pair->state = PairState::waiting;
            trigger_check(now, *pair);
        } else {
            check_failed(tx.pair, tx.use_candidate);
        }
        return;
    }
    const auto mapped = msg.xor_mapped_address();
    if (!mapped) {
        check_failed(tx.pair, tx.use_candidate);
        return;
    }
    // The local candidate the peer saw: known, or peer-reflexive (§7.2.5.3.1).
    std::optional<std::size_t> valid_local;
    for (std::size_t i = 0; i < locals_.size(); ++i)
        if (locals_[i].socket == socket && locals_[i].address == *mapped) valid_local = i;
    const auto prflx_locals =
        std::count_if(locals_.begin(), locals_.end(),
                      [](const LocalEntry& l) { return l.candidate.type == CandidateType::prflx; });
    if (!valid_local && static_cast<std::size_t>(prflx_locals) >= max_prflx_locals)
        valid_local = pair->local;
    if (!valid_local) {
        const LocalEntry& base = locals_[pair->local];
        const Candidate c = make_candidate(CandidateType::prflx, *mapped,
                                           foundation_for("prflx", base.address.ip(), std::nullopt),
                                           tx.priority, base.address);
        valid_local = locals_.size();
        locals_.push_back({c, socket, *mapped, base.local_preference});
    }
    pair->valid_local = valid_local;
    validate(socket, from);  // the valid list (§7.2.5.3.2)
    if (pair->state != PairState::succeeded) checklist_.succeeded(pair->id);
    pair = checklist_.find(tx.pair);  // succeeded() keeps order, but stay safe
    if (!pair) return;
    if (!first_valid_at_) first_valid_at_ = now;
    if (tx.use_candidate && controlling()) {
        nominating_ = false;
        nominate(now, *pair);
    } else if (!controlling() && pair->use_candidate_received) {
        nominate(now, *pair);
    }
}

}  // namespace floe::ice
