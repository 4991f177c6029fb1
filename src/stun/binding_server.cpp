#include "stun/binding_server.hpp"

#include <array>

#include <floe/stun/builder.hpp>

#include "common/log.hpp"

namespace floe::stun {

namespace {

// Framing errors leave nothing trustworthy to answer; attribute errors get a 400.
bool is_framing_error(DecodeError e) {
    switch (e) {
        case DecodeError::too_short:
        case DecodeError::not_stun:
        case DecodeError::bad_cookie:
        case DecodeError::length_not_multiple_of_4:
        case DecodeError::length_mismatch:
        case DecodeError::attribute_overrun:
            return true;
        default:
            return false;
    }
}

}  // namespace

void BindingServer::handle_input(Instant, const SocketAddress& from, ByteSpan datagram) {
    ++counters_.received;
    auto header = peek_header(datagram);
    if (!header) {
        ++counters_.dropped_not_stun;
        return;
    }
    if (header->type.cls == MessageClass::indication) {
        ++counters_.dropped_indication;
        return;
    }
    if (header->type.cls != MessageClass::request) {
        ++counters_.dropped_response;
        return;
    }
    auto m = Message::decode(datagram);
    if (!m) {
        if (is_framing_error(m.error())) {
            ++counters_.dropped_malformed;
        } else {
            ++counters_.bad_request;
            respond_error(from, *header, error::bad_request);
        }
        FLOE_LOG(LogLevel::debug, "stun")
            << "bad request from " << from.to_string() << ": " << to_string(m.error());
        return;
    }
    if (m->has(attr::fingerprint) && !m->check_fingerprint()) {
        ++counters_.dropped_bad_fingerprint;
        return;
    }
    std::array<std::uint16_t, max_attributes> unknown{};
    if (const std::size_t n = m->unknown_comprehension_required(unknown); n > 0) {
        ++counters_.unknown_attribute;
        respond_error(from, *header, error::unknown_attribute, std::span(unknown).first(n));
        return;
    }
    if (m->method() != method::binding) {
        ++counters_.unsupported_method;
        respond_error(from, *header, error::bad_request);
        return;
    }
    Bytes out;
    MessageBuilder b(out, {method::binding, MessageClass::success_response}, m->transaction_id());
    b.add_xor_mapped_address(from);
    if (!config_.software.empty()) b.add_software(config_.software);
    b.add_fingerprint();
    if (!b.finish()) return;  // cannot fail with a growable buffer and these attributes
    ++counters_.success_responses;
    respond(from, std::move(out));
}

void BindingServer::respond_error(const SocketAddress& to, const Header& request, int code,
                                  std::span<const std::uint16_t> unknown) {
    Bytes out;
    MessageBuilder b(out, {request.type.method, MessageClass::error_response},
                     request.transaction_id);
    b.add_error_code(code);
    if (!unknown.empty()) b.add_unknown_attributes(unknown);
    if (!config_.software.empty()) b.add_software(config_.software);
    b.add_fingerprint();
    if (!b.finish()) return;
    ++counters_.error_responses;
    respond(to, std::move(out));
}

void BindingServer::respond(const SocketAddress& to, Bytes message) {
    if (queue_.size() >= config_.max_queued) {
        ++counters_.dropped_queue_full;
        return;
    }
    queue_.push_back({to, std::move(message)});
}

std::optional<BindingServer::Transmit> BindingServer::poll_transmit() {
    if (queue_.empty()) return std::nullopt;
    Transmit t = std::move(queue_.front());
    queue_.pop_front();
    return t;
}

std::string to_string(const BindingServer::Counters& c) {
    return "received=" + std::to_string(c.received) +
           " success=" + std::to_string(c.success_responses) +
           " errors=" + std::to_string(c.error_responses) +
           " bad_request=" + std::to_string(c.bad_request) +
           " unsupported_method=" + std::to_string(c.unsupported_method) +
           " unknown_attribute=" + std::to_string(c.unknown_attribute) +
           " dropped_not_stun=" + std::to_string(c.dropped_not_stun) +
           " dropped_malformed=" + std::to_string(c.dropped_malformed) +
           " dropped_bad_fingerprint=" + std::to_string(c.dropped_bad_fingerprint) +
           " dropped_indication=" + std::to_string(c.dropped_indication) +
           " dropped_response=" + std::to_string(c.dropped_response) +
           " dropped_queue_full=" + std::to_string(c.dropped_queue_full);
}

}  // namespace floe::stun
