#include "stun/client_transaction.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/log.hpp"

namespace floe::stun {

namespace {

Duration doubled(Duration interval, Duration cap) {
    return interval > cap / 2 ? cap : std::min(interval * 2, cap);
}

}  // namespace

ClientTransaction::ClientTransaction(Bytes request, const SocketAddress& destination, Instant now,
                                     RetransmissionConfig config)
    : request_(std::move(request)), destination_(destination), config_(config) {
    auto m = Message::decode(request_);
    if (!m || m->message_class() != MessageClass::request)
        throw std::invalid_argument("stun: a client transaction needs a STUN request");
    if (config_.max_transmissions < 1 || config_.initial_rto <= Duration::zero() ||
        config_.final_wait_multiplier < 1 || config_.max_rto <= Duration::zero() ||
        (config_.measured_rto && *config_.measured_rto <= Duration::zero()))
        throw std::invalid_argument("stun: bad retransmission configuration");
    id_ = m->transaction_id();
    method_ = m->method();
    // The schedule of initial_rto fixes when the last send may go and when the transaction ends,
    // whatever RTO it starts from.
    Duration step = config_.initial_rto;
    for (int k = 1; k < config_.max_transmissions; ++k) {
        if (last_send_after_ > Duration::max() - step) {
            last_send_after_ = Duration::max() / 2;
            break;
        }
        last_send_after_ += step;
        step = doubled(step, config_.max_rto);
    }
    lifetime_ = last_send_after_ + config_.initial_rto * config_.final_wait_multiplier;
    first_sent_ = now;
    interval_ = config_.measured_rto ? std::min(*config_.measured_rto, config_.initial_rto)
                                     : config_.initial_rto;
    transmit(now);
}

void ClientTransaction::transmit(Instant now) {
    ++transmissions_;
    last_sent_ = now;
    transmit_pending_ = true;
    // On the schedule's own clock (`scheduled_`, this send's nominal offset), not `now`: a timer
    // that fires late must not cost a send.
    last_transmission_ = scheduled_ + interval_ > last_send_after_;
    deadline_ = now + (last_transmission_ ? lifetime_ - scheduled_ : interval_);
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
    if (last_transmission_) {
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
    scheduled_ += interval_;
    interval_ = doubled(interval_, config_.max_rto);
    transmit(now);
}

void ClientTransaction::resend_now(Instant now) {
    if (done_) return;
    ++transmissions_;
    last_sent_ = now;
    transmit_pending_ = true;
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
