// The TURN client's allocation, permissions and channels (RFC 8656 §7-§12).
#include "turn/client.hpp"

#include <algorithm>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "common/log.hpp"
#include "turn/channel_data.hpp"

namespace floe::turn {

namespace {

// A server that answers 401/438 forever would otherwise keep a request going round.
constexpr int max_credential_retries = 3;
// LIFETIME is the server's to choose; beyond a day it is a server bug, and a day is long enough.
constexpr std::uint32_t max_lifetime_seconds = 24 * 3600;

std::uint16_t method_of(int request) {
    constexpr std::uint16_t methods[] = {stun::method::allocate, stun::method::refresh,
                                         stun::method::create_permission,
                                         stun::method::channel_bind};
    return methods[request];
}

Event event_of(Event::Kind kind) {
    Event e;
    e.kind = kind;
    return e;
}

}  // namespace

std::string_view to_string(Event::Kind kind) {
    switch (kind) {
        case Event::Kind::allocated:
            return "allocated";
        case Event::Kind::refreshed:
            return "refreshed";
        case Event::Kind::failed:
            return "failed";
        case Event::Kind::permission_created:
            return "permission created";
        case Event::Kind::permission_failed:
            return "permission failed";
        case Event::Kind::channel_bound:
            return "channel bound";
        case Event::Kind::channel_failed:
            return "channel failed";
        case Event::Kind::data:
            return "data";
        case Event::Kind::deallocated:
            return "deallocated";
    }
    return "?";
}

Client::Client(ClientConfig config, Random& random, Instant now)
    : config_(std::move(config)),
      random_(random),
      credentials_(config_.username, config_.password) {
    start(now, Request::allocate, {}, 0, config_.lifetime_seconds);
}

// ---- requests -----------------------------------------------------------------------------------

Bytes Client::build(Request request, const SocketAddress& peer, std::uint16_t channel,
                    std::uint32_t lifetime) {
    stun::TransactionId id;
    random_.fill(id);
    Bytes out;
    stun::MessageBuilder b(out, {method_of(static_cast<int>(request)), stun::MessageClass::request},
                           id);
    switch (request) {
        case Request::allocate:
            // RFC 8656 §7.1: UDP relaying is the only kind RFC 8656 defines for Allocate.
            b.add_requested_transport(stun::transport_udp);
            b.add_lifetime(lifetime);
            if (!config_.software.empty()) b.add_software(config_.software);
            break;
        case Request::refresh:
            b.add_lifetime(lifetime);  // 0: delete the allocation (RFC 8656 §8)
            break;
        case Request::permission:
            b.add_xor_peer_address(peer);
            break;
        case Request::channel_bind:
            b.add_channel_number(channel);
            b.add_xor_peer_address(peer);
            break;
    }
    credentials_.add_to(b);
    b.add_fingerprint();
    (void)b.finish();  // cannot fail: the attributes are small and well-formed
    return out;
}

void Client::start(Instant now, Request request, const SocketAddress& peer, std::uint16_t channel,
                   std::uint32_t lifetime, int retries) {
    stun::RetransmissionConfig retransmission = config_.retransmission;
    if (config_.stream) {
        // RFC 8489 §6.2.2: over TCP/TLS the request is sent once and fails after 39.5 s.
        retransmission = {std::chrono::milliseconds(39500), 1, 1};
    }
    Pending p{request,
              stun::ClientTransaction(build(request, peer, channel, lifetime), config_.server, now,
                                      retransmission),
              peer,
              channel,
              lifetime,
              retries,
              credentials_.nonce()};
    // Success responses to authenticated requests must carry a valid MESSAGE-INTEGRITY
    // (RFC 8489 §9.2.5); forged ones are ignored and the transaction keeps waiting.
    if (const auto& key = credentials_.key()) p.transaction.require_integrity(*key);
    ++counters_.requests_sent;
    drain(p);
    pending_.push_back(std::move(p));
}

void Client::drain(Pending& pending) {
    while (auto tx = pending.transaction.poll_transmit())
        transmits_.push_back({tx->destination, Bytes(tx->data.begin(), tx->data.end())});
}

void Client::settle(Instant now) {
    for (std::size_t i = 0; i < pending_.size();) {
        auto event = pending_[i].transaction.poll_event();
        if (!event) {
            ++i;
            continue;
        }
        Pending p = std::move(pending_[i]);
        pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
        on_answer(now, std::move(p), *event);
        i = 0;  // on_answer may have started or cleared requests
    }
}

void Client::on_answer(Instant now, Pending pending, const stun::ClientTransaction::Event& event) {
    const std::uint16_t method = method_of(static_cast<int>(pending.request));
    if (event.kind == stun::ClientTransaction::Event::Kind::timed_out) {
        on_failure(now, pending, 0,
                   describe_error(method, 0, {}) + " after " + std::to_string(event.transmissions) +
                       " transmission(s)");
        return;
    }
    auto m = stun::Message::decode(event.response);
    if (!m) return;  // the transaction decoded it already
    if (m->message_class() == stun::MessageClass::success_response) {
        on_success(now, pending, *m);
        return;
    }
    const auto error = m->error_code();
    if (!error) {
        on_failure(now, pending, 0,
                   "the server answered " + stun::describe(m->type()) + " without ERROR-CODE");
        return;
    }
    const int code = error->code;
    if (code == stun::error::stale_nonce) ++counters_.stale_nonces;
    // RFC 8489 §9.2.5: a 401 brings REALM and NONCE for the long-term credential; a 438 a fresh
    // NONCE. The request goes again as a new transaction with the new credentials.
    // A request signed with an older nonce (sent while another request's 438 was renewing it)
    // meets a 438 carrying the nonce we hold already: it only needs signing again.
    const bool challenge = code == stun::error::unauthorized || code == stun::error::stale_nonce;
    const bool signed_with_old_nonce = credentials_.ready() &&
                                       pending.nonce != credentials_.nonce() &&
                                       m->nonce() == credentials_.nonce();
    if (challenge && pending.retries < max_credential_retries &&
        (signed_with_old_nonce || credentials_.handle_error_response(*m))) {
        ++counters_.credential_retries;
        start(now, pending.request, pending.peer, pending.channel, pending.lifetime,
              pending.retries + 1);
        return;
    }
    on_failure(now, pending, code, describe_error(method, code, error->reason));
}

void Client::on_success(Instant now, const Pending& pending, const stun::Message& response) {
    switch (pending.request) {
        case Request::allocate: {
            const auto relayed = response.xor_relayed_address();
            const auto lifetime = response.lifetime();
            if (!relayed || !lifetime || *lifetime == 0) {
                fail(0, "the server's Allocate success lacks XOR-RELAYED-ADDRESS or LIFETIME");
                return;
            }
            state_ = State::allocated;
            relayed_ = relayed;
            mapped_ = response.xor_mapped_address();
            const Duration granted =
                std::chrono::seconds(std::min(*lifetime, max_lifetime_seconds));
            allocation_refresh_at_ = now + refresh_after(granted);
            Event e = event_of(Event::Kind::allocated);
            e.relayed = *relayed_;
            if (mapped_) e.mapped = *mapped_;
            e.lifetime = granted;
            push_event(std::move(e));
            return;
        }
        case Request::refresh: {
            if (pending.lifetime == 0) {
                state_ = State::closed;
                push_event(event_of(Event::Kind::deallocated));
                return;
            }
            const auto lifetime = response.lifetime().value_or(config_.lifetime_seconds);
            if (lifetime == 0) {  // RFC 8656 §7.3: the server deleted it instead
                fail(0, "the server ended the allocation on refresh (LIFETIME 0)");
                return;
            }
            const Duration granted = std::chrono::seconds(std::min(lifetime, max_lifetime_seconds));
            allocation_refresh_at_ = now + refresh_after(granted);
            Event e = event_of(Event::Kind::refreshed);
            e.lifetime = granted;
            push_event(std::move(e));
            return;
        }
        case Request::permission: {
            Permission* p = find_permission(pending.peer.ip());
            if (!p) return;
            p->pending = false;
            p->refresh_at = now + refresh_after(permission_lifetime);
            if (!p->installed) {
                p->installed = true;
                Event e = event_of(Event::Kind::permission_created);
                e.peer = pending.peer;
                push_event(std::move(e));
            }
            return;
        }
        case Request::channel_bind: {
            Channel* c = find_channel(pending.peer);
            if (!c) return;
            c->pending = false;
            c->refresh_at = now + refresh_after(channel_lifetime);
            if (!c->bound) {
                c->bound = true;
                Event e = event_of(Event::Kind::channel_bound);
                e.peer = pending.peer;
                e.channel = c->number;
                push_event(std::move(e));
            }
            return;
        }
    }
}

void Client::on_failure(Instant, const Pending& pending, int code, std::string reason) {
    FLOE_LOG(LogLevel::info, "turn") << reason;
    switch (pending.request) {
        case Request::allocate:
            fail(code, std::move(reason));
            return;
        case Request::refresh:
            if (pending.lifetime == 0) {
                // Deallocating: a 437 means it is gone already; a timeout leaves it to expire.
                state_ = State::closed;
                Event e = event_of(Event::Kind::deallocated);
                e.code = code;
                e.reason = std::move(reason);
                push_event(std::move(e));
                return;
            }
            fail(code, "the allocation could not be refreshed: " + reason);
            return;
        case Request::permission: {
            std::erase_if(permissions_,
                          [&](const Permission& p) { return p.ip == pending.peer.ip(); });
            Event e = event_of(Event::Kind::permission_failed);
            e.peer = pending.peer;
            e.code = code;
            e.reason = std::move(reason);
            push_event(std::move(e));
            return;
        }
        case Request::channel_bind: {
            std::erase_if(channels_, [&](const Channel& c) { return c.peer == pending.peer; });
            Event e = event_of(Event::Kind::channel_failed);
            e.peer = pending.peer;
            e.channel = pending.channel;
            e.code = code;
            e.reason = std::move(reason);
            push_event(std::move(e));
            return;
        }
    }
}

void Client::fail(int code, std::string reason) {
    state_ = State::failed;
    pending_.clear();
    permissions_.clear();
    channels_.clear();
    Event e = event_of(Event::Kind::failed);
    e.code = code;
    e.reason = std::move(reason);
    push_event(std::move(e));
}

void Client::push_event(Event event) {
    if (event.kind == Event::Kind::data && events_.size() >= max_pending_events) {
        ++counters_.dropped_events;
        return;
    }
    events_.push_back(std::move(event));
}

Duration Client::refresh_after(Duration lifetime) const {
    return lifetime > 2 * refresh_margin ? lifetime - refresh_margin : lifetime / 2;
}

Client::Permission* Client::find_permission(const IpAddress& ip) {
    for (auto& p : permissions_)
        if (p.ip == ip) return &p;
    return nullptr;
}

Client::Channel* Client::find_channel(const SocketAddress& peer) {
    for (auto& c : channels_)
        if (c.peer == peer) return &c;
    return nullptr;
}

std::optional<std::uint16_t> Client::channel_for(const SocketAddress& peer) const {
    for (const auto& c : channels_)
        if (c.peer == peer && c.bound) return c.number;
    return std::nullopt;
}

// ---- the five verbs -----------------------------------------------------------------------------

void Client::handle_input(Instant now, ByteSpan bytes) {
    if (state_ == State::closed || state_ == State::failed) return;
    if (looks_like_channel_data(bytes)) {
        on_channel_data(bytes);
        return;
    }
    if (!stun::looks_like_stun(bytes)) {
        ++counters_.dropped_malformed;
        return;
    }
    auto m = stun::Message::decode(bytes);
    if (!m) {
        ++counters_.dropped_malformed;
        return;
    }
    if (m->message_class() == stun::MessageClass::indication) {
        on_indication(*m);
        return;
    }
    bool taken = false;
    for (auto& p : pending_)
        if ((taken = p.transaction.handle_input(now, config_.server, bytes))) break;
    if (!taken) {
        ++counters_.dropped_unexpected;
        return;
    }
    settle(now);
}

void Client::on_indication(const stun::Message& message) {
    // RFC 8656 §11.6: a Data indication carries the peer and its datagram.
    if (message.method() != stun::method::data || state_ != State::allocated) {
        ++counters_.dropped_unexpected;
        return;
    }
    const auto peer = message.xor_peer_address();
    const auto data = message.data();
    if (!peer || !data) {
        ++counters_.dropped_malformed;
        return;
    }
    const Permission* p = find_permission(peer->ip());
    if (!p || !p->installed) {
        ++counters_.dropped_unknown_peer;
        return;
    }
    ++counters_.data_received;
    Event e = event_of(Event::Kind::data);
    e.peer = *peer;
    e.data.assign(data->begin(), data->end());
    push_event(std::move(e));
}

void Client::on_channel_data(ByteSpan bytes) {
    auto cd = decode_channel_data(bytes);
    if (!cd) {
        ++counters_.dropped_malformed;
        return;
    }
    if (state_ != State::allocated) {
        ++counters_.dropped_unexpected;
        return;
    }
    // The number is ours once we asked for it: the server may relay on it before its success
    // response reaches us over UDP.
    const auto it = std::find_if(channels_.begin(), channels_.end(),
                                 [&](const Channel& c) { return c.number == cd->channel; });
    if (it == channels_.end()) {
        ++counters_.dropped_unknown_peer;
        return;
    }
    ++counters_.data_received;
    Event e = event_of(Event::Kind::data);
    e.peer = it->peer;
    e.channel = it->number;
    e.data.assign(cd->data.begin(), cd->data.end());
    push_event(std::move(e));
}

void Client::handle_timeout(Instant now) {
    if (state_ == State::closed || state_ == State::failed) return;
    for (auto& p : pending_) {
        p.transaction.handle_timeout(now);
        drain(p);
    }
    settle(now);
    if (state_ != State::allocated) return;
    const auto is_pending = [&](Request r, const SocketAddress* peer) {
        return std::any_of(pending_.begin(), pending_.end(), [&](const Pending& p) {
            return p.request == r && (!peer || p.peer == *peer);
        });
    };
    if (now >= allocation_refresh_at_ && !is_pending(Request::refresh, nullptr)) {
        ++counters_.allocation_refreshes;
        start(now, Request::refresh, {}, 0, config_.lifetime_seconds);
    }
    // RFC 8656 §9: permissions are refreshed with CreatePermission, channels by binding the
    // same number to the same peer again (§12.1).
    for (auto& p : permissions_) {
        if (!p.installed || p.pending || now < p.refresh_at) continue;
        p.pending = true;
        ++counters_.permission_refreshes;
        start(now, Request::permission, SocketAddress(p.ip, 0));
    }
    for (auto& c : channels_) {
        if (!c.bound || c.pending || now < c.refresh_at) continue;
        c.pending = true;
        ++counters_.channel_refreshes;
        start(now, Request::channel_bind, c.peer, c.number);
    }
}

std::optional<Instant> Client::poll_timeout() const {
    if (state_ == State::closed || state_ == State::failed) return std::nullopt;
    std::optional<Instant> at;
    const auto consider = [&](Instant t) {
        if (!at || t < *at) at = t;
    };
    bool refreshing = false;
    for (const auto& p : pending_) {
        if (auto t = p.transaction.poll_timeout()) consider(*t);
        refreshing = refreshing || p.request == Request::refresh;
    }
    if (state_ == State::allocated) {
        if (!refreshing) consider(allocation_refresh_at_);
        for (const auto& p : permissions_)
            if (p.installed && !p.pending) consider(p.refresh_at);
        for (const auto& c : channels_)
            if (c.bound && !c.pending) consider(c.refresh_at);
    }
    return at;
}

std::optional<Transmit> Client::poll_transmit() {
    if (transmits_.empty()) return std::nullopt;
    Transmit t = std::move(transmits_.front());
    transmits_.pop_front();
    return t;
}

std::optional<Event> Client::poll_event() {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

// ---- calls --------------------------------------------------------------------------------------

bool Client::create_permission(Instant now, const SocketAddress& peer) {
    if (state_ != State::allocated) return false;
    if (find_permission(peer.ip())) return true;
    if (permissions_.size() >= max_permissions) return false;
    permissions_.push_back({peer.ip(), false, true, {}});
    start(now, Request::permission, peer);
    return true;
}

bool Client::bind_channel(Instant now, const SocketAddress& peer) {
    if (state_ != State::allocated || find_channel(peer) || channels_.size() >= max_channels)
        return false;
    if (!create_permission(now, peer)) return false;
    // The lowest free number: channels that failed give theirs back.
    std::uint16_t number = min_channel;
    while (std::any_of(channels_.begin(), channels_.end(),
                       [&](const Channel& c) { return c.number == number; }))
        ++number;
    channels_.push_back({peer, number, false, true, {}});
    start(now, Request::channel_bind, peer, number);
    return true;
}

SendResult Client::send_to(const SocketAddress& peer, ByteSpan data) {
    if (state_ != State::allocated) return SendResult::not_allocated;
    if (data.size() > max_payload) return SendResult::too_large;
    if (auto channel = channel_for(peer)) {
        // RFC 8656 §12.5: 4 bytes of header instead of a 36-byte Send indication.
        Transmit t{config_.server, {}};
        encode_channel_data(t.data, *channel, data, config_.stream);
        transmits_.push_back(std::move(t));
        ++counters_.channel_data_sent;
        return SendResult::sent_channel_data;
    }
    if (!find_permission(peer.ip())) return SendResult::no_permission;
    // RFC 8656 §11.1: XOR-PEER-ADDRESS and DATA; indications carry no credentials.
    stun::TransactionId id;
    random_.fill(id);
    Transmit t{config_.server, {}};
    stun::MessageBuilder b(t.data, {stun::method::send, stun::MessageClass::indication}, id);
    b.add_xor_peer_address(peer).add_data(data);
    if (!b.finish()) return SendResult::too_large;
    transmits_.push_back(std::move(t));
    ++counters_.indications_sent;
    return SendResult::sent_indication;
}

void Client::close(Instant now) {
    switch (state_) {
        case State::allocating:
            // Nothing granted yet: an allocation the server makes after this expires by itself.
            pending_.clear();
            state_ = State::closed;
            push_event(event_of(Event::Kind::deallocated));
            return;
        case State::allocated:
            pending_.clear();
            permissions_.clear();
            channels_.clear();
            state_ = State::closing;
            start(now, Request::refresh, {}, 0, 0);
            return;
        case State::closing:
        case State::closed:
        case State::failed:
            return;
    }
}

}  // namespace floe::turn
