#include "stun/client_transaction.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/log.hpp"

namespace floe::stun {

ClientTransaction::ClientTransaction(Bytes request, const SocketAddress& destination, Instant now,
                                     RetransmissionConfig config)
    : request_(std::move(request)), destination_(destination), config_(config) {
    auto m = Message::decode(request_);
    if (!m || m->message_class() != MessageClass::request)
        throw std::invalid_argument("stun: a client transaction needs a STUN request");
    if (config_.max_transmissions < 1 || config_.initial_rto <= Duration::zero() ||
        config_.final_wait_multiplier < 1 || config_.max_rto <= Duration::zero())
        throw std::invalid_argument("stun: bad retransmission configuration");
    id_ = m->transaction_id();
    method_ = m->method();
    first_sent_ = now;
    interval_ = config_.initial_rto;
    transmit(now);
}

void ClientTransaction::transmit(Instant now) {
    ++transmissions_;
    last_sent_ = now;
    transmit_pending_ = true;
    if (transmissions_ == config_.max_transmissions)
        deadline_ = now + config_.initial_rto * config_.final_wait_multiplier;
    else
        deadline_ = now + interval_;
}

std::optional<ClientTransaction::Transmit> ClientTransaction::poll_transmit() {
    if (!transmit_pending_) return std::nullopt;
    transmit_pending_ = false;
    return Transmit{destination_, request_};
}

std::optional<Instant> ClientTransaction::poll_timeout() const {
    if (done_) return std::nullopt;
    return deadline_;
}

std::optional<ClientTransaction::Event> ClientTransaction::poll_event() {
    auto e = std::move(event_);
    event_.reset();
    return e;
}

void ClientTransaction::handle_timeout(Instant now) {
    if (done_ || now < deadline_) return;
    if (transmissions_ >= config_.max_transmissions) {
        done_ = true;
        transmit_pending_ = false;
        Event e;
        e.kind = Event::Kind::timed_out;
        e.from = destination_;
        e.elapsed = now - first_sent_;
        e.transmissions = transmissions_;
        event_ = std::move(e);
        FLOE_LOG(LogLevel::debug, "stun")
            << "transaction timed out after " << transmissions_ << " transmissions";
        return;
    }
    // Double the interval for the next wait (capped), then resend.
    interval_ = interval_ > config_.max_rto / 2 ? config_.max_rto
                                                : std::min(interval_ * 2, config_.max_rto);
    transmit(now);
}

bool ClientTransaction::handle_input(Instant now, const SocketAddress& from, ByteSpan datagram) {
    if (done_) return false;
    auto header = peek_header(datagram);
    if (!header || header->transaction_id != id_) return false;
    auto m = Message::decode(datagram);
    const bool is_response = m && (m->message_class() == MessageClass::success_response ||
                                   m->message_class() == MessageClass::error_response);
    // RFC 8489 matches by transaction id; the answer must also come from where the request went
    // (the caller feeds only the request's socket), or whoever saw the id could forge it.
    bool ok = is_response && m->method() == method_ && from == destination_;
    if (ok && m->has(attr::fingerprint)) ok = m->check_fingerprint();
    if (ok && key_ && m->message_class() == MessageClass::success_response)
        ok = m->check_integrity(*key_) || m->check_integrity_sha256(*key_);
    if (!ok) {
        ++ignored_;
        FLOE_LOG(LogLevel::debug, "stun")
            << "ignored a datagram for our transaction from " << from.to_string();
        return false;
    }
    done_ = true;
    transmit_pending_ = false;
    Event e;
    e.kind = Event::Kind::response;
    e.response.assign(datagram.begin(), datagram.end());
    e.from = from;
    e.rtt = now - last_sent_;
    e.elapsed = now - first_sent_;
    e.transmissions = transmissions_;
    event_ = std::move(e);
    return true;
}

}  // namespace floe::stun
