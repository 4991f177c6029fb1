// Driving the handshake: start(), SSL_do_handshake, the retransmission schedule on the caller's
// clock (OpenSSL's timer callback, handle_timeout, poll_timeout), the peer's certificate checked
// against the remote fingerprints, and alerts and errors turned into a failure reason.
#include <algorithm>
#include <climits>
#include <span>

#include <floe/error.hpp>

#include "common/log.hpp"
#include "dtls/openssl_context.hpp"
#include "dtls/transport.hpp"

namespace floe::dtls {

Duration initial_retransmit_for(std::optional<Duration> rtt) {
    if (!rtt) return unknown_rtt_initial_retransmit;
    return std::clamp<Duration>(2 * *rtt, min_initial_retransmit, max_initial_retransmit);
}

// DTLS_set_timer_cb: OpenSSL asks how long to wait, with 0 when a flight starts its timer and
// with the previous wait when the timer fired. The answer becomes a deadline on our clock.
unsigned int Transport::Callbacks::timer(SSL* ssl, unsigned int previous_us) {
    Transport& t = transport_of(ssl);
    if (previous_us == 0) {
        t.retransmit_interval_ = t.config_.initial_retransmit;
    } else {
        t.retransmit_interval_ = std::min(t.retransmit_interval_ * 2, t.config_.max_retransmit);
        ++t.stats_.retransmissions;
        FLOE_LOG(LogLevel::debug, "dtls")
            << "retransmitting flight, next wait " << to_ms(t.retransmit_interval_) << " ms";
    }
    t.retransmit_deadline_ = t.now_ + t.retransmit_interval_;
    const auto us = duration_cast<microseconds>(t.retransmit_interval_).count();
    return static_cast<unsigned int>(std::clamp<long long>(us, 1, UINT_MAX));
}

// The certificate's DER in base64, without line breaks (as PEM's body, joined).
static std::string base64_der(X509* certificate) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(certificate, &der);
    if (length <= 0) return {};
    std::string out(4 * ((static_cast<std::size_t>(length) + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), der, length);
    OPENSSL_free(der);
    out.resize(written > 0 ? static_cast<std::size_t>(written) : 0);
    return out;
}

// Replaces chain verification: the peer's certificate is self-signed; what makes it trusted is
// that its digest equals the fingerprint from the remote description.
int Transport::Callbacks::verify(X509_STORE_CTX* store, void*) {
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    Transport& t = transport_of(ssl);
    X509* certificate = X509_STORE_CTX_get0_cert(store);
    if (!certificate || t.remote_fingerprints_.empty()) {
        t.verify_failure_ = "the peer presented no certificate";
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    t.peer_fingerprint_ = fingerprint_of(certificate, HashFunction::sha256).to_string();
    t.peer_certificate_base64_ = base64_der(certificate);
    // RFC 8122 §5: only the strongest hash function counts; a match in a weaker one the
    // description also lists proves nothing (start() kept only the strongest).
    const auto& expected = t.remote_fingerprints_;
    if (std::none_of(expected.begin(), expected.end(),
                     [&](const Fingerprint& f) { return fingerprint_matches(f, certificate); })) {
        const Fingerprint actual = fingerprint_of(certificate, expected.front().algorithm);
        std::string announced;
        for (const Fingerprint& f : expected)
            announced += (announced.empty() ? "" : " or ") + f.to_string();
        t.verify_failure_ = "certificate fingerprint mismatch: the peer presented " +
                            actual.to_string() + ", the remote description announced " + announced;
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    return 1;
}

void Transport::Callbacks::info(const SSL* ssl, int where, int value) {
    if (!(where & SSL_CB_ALERT)) return;
    Transport& t = transport_of(ssl);
    std::string name = std::string(SSL_alert_type_string_long(value)) + " alert " +
                       SSL_alert_desc_string_long(value);
    FLOE_LOG(LogLevel::debug, "dtls") << ((where & SSL_CB_READ) ? "received " : "sent ") << name;
    ((where & SSL_CB_READ) ? t.alert_received_ : t.alert_sent_) = std::move(name);
}

void Transport::set_initial_retransmit(Duration wait) {
    if (state_ != State::idle)
        throw InvalidStateError("DTLS retransmission timeout set after start()");
    if (wait <= Duration::zero())
        throw InvalidArgumentError("DTLS retransmission timeout must be positive");
    config_.initial_retransmit = wait;
}

void Transport::start(Instant now, Role role, std::span<const Fingerprint> remote_fingerprints) {
    if (state_ != State::idle)
        throw InvalidStateError("DTLS transport already started (" +
                                std::string(to_string(state_)) + ")");
    now_ = now;
    role_ = role;
    remote_fingerprints_ = strongest_fingerprints(remote_fingerprints);
    if (remote_fingerprints_.empty()) {
        pending_input_.clear();
        fail("no remote fingerprint");
        return;
    }
    state_ = State::connecting;
    handshake_deadline_ = now + config_.handshake_timeout;
    if (role == Role::client) {
        SSL_set_connect_state(ssl_.get());
        advance();  // the ClientHello
    } else {
        SSL_set_accept_state(ssl_.get());
    }
    while (!pending_input_.empty() && (state_ == State::connecting || state_ == State::connected)) {
        const Bytes datagram = std::move(pending_input_.front());
        pending_input_.pop_front();
        feed(datagram);
    }
    pending_input_.clear();
    pending_input_bytes_ = 0;
}

void Transport::advance() {
    clear_openssl_errors();
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) {
        state_ = State::connected;
        handshake_deadline_.reset();
        after_openssl_call();
        const char* name = SSL_get_cipher_name(ssl_.get());
        cipher_name_ = name ? name : "";
        version_ = SSL_version(ssl_.get());
        const SRTP_PROTECTION_PROFILE* srtp = SSL_get_selected_srtp_profile(ssl_.get());
        srtp_profile_ = srtp && srtp->name ? srtp->name : "";
        max_payload_ = DTLS_get_data_mtu(ssl_.get());
        FLOE_LOG(LogLevel::info, "dtls")
            << "connected, " << cipher_name_ << ", peer " << peer_fingerprint_;
        events_.push_back(event::Connected{cipher_name_, peer_fingerprint_, srtp_profile_});
        if (role_ == Role::server) keep_final_flight();
        bool delivered = false;
        read_application_data(delivered);  // records behind the Finished, in the same datagram
        if (state_ == State::connected && config_.record_layer == RecordLayer::floe)
            start_record_layer();
        return;
    }
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        after_openssl_call();
        return;
    }
    fail(describe_error(error));
}

void Transport::after_openssl_call() {
    timeval remaining{};
    if (state_ != State::connecting || DTLSv1_get_timeout(ssl_.get(), &remaining) != 1)
        retransmit_deadline_.reset();
}

std::string Transport::describe_error(int ssl_error) {
    const std::string openssl = take_openssl_errors();
    if (!verify_failure_.empty()) return verify_failure_;
    if (!alert_received_.empty()) return "peer sent " + alert_received_;
    std::string reason = "DTLS error " + std::to_string(ssl_error);
    if (!alert_sent_.empty()) reason += ", sent " + alert_sent_;
    if (!openssl.empty()) reason += ": " + openssl;
    return reason;
}

void Transport::handle_timeout(Instant now) {
    now_ = now;
    if (state_ != State::connecting) return;
    if (handshake_deadline_ && now >= *handshake_deadline_) {
        fail("handshake timed out after " +
             std::to_string(duration_cast<milliseconds>(config_.handshake_timeout).count()) +
             " ms (" + std::to_string(stats_.retransmissions) + " retransmissions)");
        return;
    }
    if (!retransmit_deadline_ || now < *retransmit_deadline_) return;
    clear_openssl_errors();
    const int result = DTLSv1_handle_timeout(ssl_.get());
    if (result < 0) {
        fail(describe_error(SSL_ERROR_SSL));
        return;
    }
    if (result == 0) {
        // OpenSSL compares its own copy of the deadline with gettimeofday; when the caller's clock
        // runs ahead of it (see docs/dtls.md), wait for what OpenSSL says is left.
        timeval left{};
        if (DTLSv1_get_timeout(ssl_.get(), &left) == 1)
            retransmit_deadline_ =
                now + std::max<Duration>(seconds(left.tv_sec) + microseconds(left.tv_usec), 1ms);
        else
            retransmit_deadline_.reset();
        return;
    }
    after_openssl_call();
}

std::optional<Instant> Transport::poll_timeout() const {
    if (state_ != State::connecting) return std::nullopt;
    if (retransmit_deadline_ && handshake_deadline_)
        return std::min(*retransmit_deadline_, *handshake_deadline_);
    return retransmit_deadline_ ? retransmit_deadline_ : handshake_deadline_;
}

}  // namespace floe::dtls
