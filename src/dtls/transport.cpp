#include "dtls/transport.hpp"

#include <algorithm>
#include <climits>
#include <memory>
#include <span>

#include <floe/error.hpp>

#include <openssl/err.h>

#include "common/byte_reader.hpp"
#include "common/log.hpp"
#include "dtls/certificate.hpp"

namespace floe::dtls {

namespace {

// What browsers offer for DTLS 1.2 with an ECDSA certificate.
constexpr const char* cipher_list =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
constexpr const char* groups_list = "X25519:P-256:P-384";
// Chromium 156's signature algorithms in its order, without rsa_pkcs1_sha1 (RFC 9155 forbids SHA-1
// signatures in DTLS 1.2). OpenSSL's default list adds Ed25519, Ed448, DSA, SHA-224 and the
// rsa_pss_pss forms, which no WebRTC stack uses; whatever Chromium accepts, floe accepts.
constexpr const char* sigalgs_list =
    "ECDSA+SHA256:rsa_pss_rsae_sha256:RSA+SHA256:ECDSA+SHA384:rsa_pss_rsae_sha384:RSA+SHA384:"
    "rsa_pss_rsae_sha512:RSA+SHA512";

// Bytes an AEAD cipher adds to a record's plaintext: AES-GCM's 8-byte explicit nonce and 16-byte
// tag (RFC 5288), ChaCha20-Poly1305's 16-byte tag (RFC 7905).
constexpr std::size_t gcm_expansion = 24;
constexpr std::size_t chacha20_poly1305_expansion = 16;
constexpr std::size_t max_pending_datagrams = 64;  // kept before start()
constexpr std::size_t max_pending_bytes = 256 * 1024;
constexpr std::size_t read_buffer_size = 16 * 1024 + 256;  // one record's plaintext at most

// Where SSL_read decrypts to before the plaintext is copied into its DataReceived. Its contents
// never outlive one read_application_data call, so one buffer per thread serves every transport
// on that thread: 16 KiB per thread instead of 16 KiB per transport (a runtime holding 1,000
// PeerConnections used 16 MB for it).
std::span<std::uint8_t> scratch_read_buffer() {
    thread_local const std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[read_buffer_size]);
    return {buffer.get(), read_buffer_size};
}

// SSL_get_error reads the thread's error queue, so it must be empty before each SSL call. Checking
// first is much cheaper than ERR_clear_error on the data path, where the queue is always empty.
void clear_openssl_errors() {
    if (ERR_peek_error() != 0) ERR_clear_error();
}

Transport& transport_of(const SSL* ssl) {
    return *static_cast<Transport*>(SSL_get_app_data(ssl));
}

}  // namespace

Duration initial_retransmit_for(std::optional<Duration> rtt) {
    if (!rtt) return unknown_rtt_initial_retransmit;
    return std::clamp<Duration>(2 * *rtt, min_initial_retransmit, max_initial_retransmit);
}

std::string_view to_string(State state) {
    switch (state) {
        case State::idle:
            return "idle";
        case State::connecting:
            return "connecting";
        case State::connected:
            return "connected";
        case State::closed:
            return "closed";
        case State::failed:
            return "failed";
    }
    return "?";
}

// OpenSSL calls these with the SSL whose app data is the Transport.
struct Transport::Callbacks {
    // DTLS_set_timer_cb: OpenSSL asks how long to wait, with 0 when a flight starts its timer and
    // with the previous wait when the timer fired. The answer becomes a deadline on our clock.
    static unsigned int timer(SSL* ssl, unsigned int previous_us) {
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

    // Replaces chain verification: the peer's certificate is self-signed; what makes it trusted is
    // that its digest equals the fingerprint from the remote description.
    static int verify(X509_STORE_CTX* store, void*) {
        auto* ssl = static_cast<SSL*>(
            X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
        Transport& t = transport_of(ssl);
        X509* certificate = X509_STORE_CTX_get0_cert(store);
        if (!certificate || t.remote_fingerprints_.empty()) {
            t.verify_failure_ = "the peer presented no certificate";
            X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
            return 0;
        }
        t.peer_fingerprint_ = Fingerprint{HashAlgorithm::sha256,
                                          certificate_digest(certificate, HashAlgorithm::sha256)}
                                  .to_string();
        // RFC 8122 §5: only the strongest hash function counts; a match in a weaker one the
        // description also lists proves nothing (start() kept only the strongest).
        const auto& expected = t.remote_fingerprints_;
        if (std::none_of(expected.begin(), expected.end(), [&](const Fingerprint& f) {
                return fingerprint_matches(f, certificate);
            })) {
            const Fingerprint actual{expected.front().algorithm,
                                     certificate_digest(certificate, expected.front().algorithm)};
            std::string announced;
            for (const Fingerprint& f : expected)
                announced += (announced.empty() ? "" : " or ") + f.to_string();
            t.verify_failure_ = "certificate fingerprint mismatch: the peer presented " +
                                actual.to_string() + ", the remote description announced " +
                                announced;
            X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
            return 0;
        }
        return 1;
    }

    static void info(const SSL* ssl, int where, int value) {
        if (!(where & SSL_CB_ALERT)) return;
        Transport& t = transport_of(ssl);
        std::string name = std::string(SSL_alert_type_string_long(value)) + " alert " +
                           SSL_alert_desc_string_long(value);
        FLOE_LOG(LogLevel::debug, "dtls")
            << ((where & SSL_CB_READ) ? "received " : "sent ") << name;
        ((where & SSL_CB_READ) ? t.alert_received_ : t.alert_sent_) = std::move(name);
    }

    static SSL_CTX* shared_context();

    static void keylog(const SSL* ssl, const char* line) {
        Transport& t = transport_of(ssl);
        if (t.config_.keylog) t.config_.keylog(line);
    }
};

// One context for every transport of the process. Nothing in it depends on the transport: the
// identity (certificate and key) is set on each SSL object, and the per-transport settings (MTU,
// timer, key log sink, expected fingerprint) live on the SSL object or behind its app data.
// SSL_CTX_new with the cipher and group lists costs more than generating the P-256 key, and each
// context holds about 17 KB (cipher tables, a certificate store; measured by RSS), so one per
// PeerConnection was a large part of both setup time and memory per connection. SSL_new takes a
// reference on the context, so a transport still alive at exit keeps it valid.
SSL_CTX* Transport::Callbacks::shared_context() {
    static const SslCtxPtr context = [] {
        clear_openssl_errors();
        SslCtxPtr owned(SSL_CTX_new(DTLS_method()));
        if (!owned) throw Error("SSL_CTX_new failed: " + take_openssl_errors());
        SSL_CTX* ctx = owned.get();
        const bool ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
                        SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) &&
                        SSL_CTX_set_cipher_list(ctx, cipher_list) &&
                        SSL_CTX_set1_groups_list(ctx, groups_list) &&
                        SSL_CTX_set1_sigalgs_list(ctx, sigalgs_list) &&
                        // RFC 5764 §4.1.1: offered as a client, chosen from the client's list
                        // (in this order of preference) as a server. Returns 0 on success.
                        SSL_CTX_set_tlsext_use_srtp(ctx, srtp_profiles) == 0;
        if (!ok) throw Error("configuring DTLS failed: " + take_openssl_errors());
        // Encrypt-then-MAC (RFC 7366) applies to CBC suites only, and floe offers none.
        SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                     SSL_OP_NO_ENCRYPT_THEN_MAC);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        SSL_CTX_set_cert_verify_callback(ctx, &Callbacks::verify, nullptr);
        SSL_CTX_set_keylog_callback(ctx, &Callbacks::keylog);  // a no-op without Config::keylog
        return owned;
    }();
    return context.get();
}

Transport::Transport(Certificate certificate, Config config)
    : certificate_(std::move(certificate)), config_(std::move(config)) {
    clear_openssl_errors();
    ssl_.reset(SSL_new(Callbacks::shared_context()));
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    if (!ssl_ || !rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        throw Error("SSL_new failed: " + take_openssl_errors());
    }
    // This transport's identity. SSL_use_PrivateKey checks that the key belongs to the certificate.
    const Certificate::Impl& identity = certificate_.impl();
    if (SSL_use_certificate(ssl_.get(), identity.x509.get()) != 1 ||
        SSL_use_PrivateKey(ssl_.get(), identity.key.get()) != 1)
        throw Error("setting the DTLS certificate failed: " + take_openssl_errors());
    BIO_set_mem_eof_return(rbio, -1);  // empty means "wait for more", not end of stream
    BIO_set_mem_eof_return(wbio, -1);
    SSL_set_bio(ssl_.get(), rbio, wbio);
    rbio_ = rbio;
    wbio_ = wbio;
    SSL_set_app_data(ssl_.get(), this);
    SSL_set_info_callback(ssl_.get(), &Callbacks::info);
    DTLS_set_timer_cb(ssl_.get(), &Callbacks::timer);
    if (!config_.cipher_suites.empty() &&
        SSL_set_cipher_list(ssl_.get(), config_.cipher_suites.c_str()) != 1)
        throw InvalidArgumentError("DTLS cipher suites \"" + config_.cipher_suites +
                                   "\": " + take_openssl_errors());
    if (!SSL_set_mtu(ssl_.get(), static_cast<long>(config_.mtu)))
        throw InvalidArgumentError("DTLS MTU " + std::to_string(config_.mtu) + " is too small");
    // No record we write is larger than the MTU (send() refuses more than max_payload()), so
    // OpenSSL's write buffer need not hold a 16 KiB record: sized for the default maximum it
    // costs up to 17 KB per transport for nothing (measured: 3 KB of RSS each). 512 is the smallest
    // maximum OpenSSL accepts.
    (void)SSL_set_max_send_fragment(ssl_.get(),
                                    static_cast<long>(std::max<std::size_t>(config_.mtu, 512)));
}

Transport::~Transport() = default;

void Transport::start(Instant now, Role role, std::string_view remote_fingerprint) {
    const std::string value(remote_fingerprint);
    start(now, role, std::span<const std::string>(&value, 1));
}

void Transport::set_initial_retransmit(Duration wait) {
    if (state_ != State::idle)
        throw InvalidStateError("DTLS retransmission timeout set after start()");
    if (wait <= Duration::zero())
        throw InvalidArgumentError("DTLS retransmission timeout must be positive");
    config_.initial_retransmit = wait;
}

void Transport::start(Instant now, Role role, std::span<const std::string> remote_fingerprints) {
    if (state_ != State::idle)
        throw InvalidStateError("DTLS transport already started (" +
                                std::string(to_string(state_)) + ")");
    now_ = now;
    role_ = role;
    auto parsed = strongest_fingerprints(remote_fingerprints);
    if (!parsed) {
        pending_input_.clear();
        fail(parsed.error());
        return;
    }
    remote_fingerprints_ = std::move(*parsed);
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

void Transport::handle_input(Instant now, ByteSpan datagram) {
    now_ = now;
    ++stats_.datagrams_received;
    switch (state_) {
        case State::idle:
            if (pending_input_.size() >= max_pending_datagrams ||
                pending_input_bytes_ + datagram.size() > max_pending_bytes) {
                ++stats_.dropped_overflow;
                return;
            }
            pending_input_.emplace_back(datagram.begin(), datagram.end());
            pending_input_bytes_ += datagram.size();
            ++stats_.buffered_before_start;
            return;
        case State::connecting:
        case State::connected:
            feed(datagram);
            return;
        case State::closed:
        case State::failed:
            return;
    }
}

bool Transport::count_records(ByteSpan datagram, bool& has_application_data) {
    ByteReader reader(datagram);
    if (reader.empty()) return false;
    while (!reader.empty()) {
        const auto record = next_record(reader);
        if (!record) return false;
        const std::size_t length = record->body.size();
        if (record->epoch > 1) continue;  // no renegotiation here: OpenSSL or we drop it
        // An encrypted record too short to hold the AEAD nonce and tag cannot be genuine. OpenSSL
        // 3.0 (seen with 3.0.19) fails the whole connection on one ("internal error" alert) where
        // RFC 6347 §4.1.2.7 says invalid records are silently discarded, so anyone able to spoof a
        // datagram to the 5-tuple could end the connection. Drop the datagram here instead.
        // (The first comparison keeps the cipher lookup off the path of every ordinary record.)
        if (record->epoch == 1 && length < gcm_expansion && length < min_encrypted_record())
            return false;
        if (protection_) continue;  // feed_protected() keeps its own window
        ReplayWindow& window = windows_[record->epoch];
        if (window.seen(record->sequence)) {
            ++stats_.duplicates;
        } else {
            window.accept(record->sequence);
            if (record->type == 23) has_application_data = true;
        }
    }
    return true;
}

std::size_t Transport::min_encrypted_record() const {
    // The cipher is known once the hello is processed (the ClientHello by a server, the
    // ServerHello by a client), before any genuine record of epoch 1 can arrive. Until then the
    // bound is AES-GCM's, the larger: OpenSSL keeps an early epoch-1 record and, once the suite is
    // AES-GCM, fails the handshake on one shorter than 24 bytes, so ChaCha20-Poly1305's 16 would
    // let a 16..23-byte record through. Nothing genuine is lost: no epoch-1 record precedes the
    // hello that names the suite.
    if (protection_) return protection_->expansion();
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
    if (cipher && SSL_CIPHER_get_cipher_nid(cipher) == NID_chacha20_poly1305)
        return chacha20_poly1305_expansion;
    return gcm_expansion;
}

void Transport::feed(ByteSpan datagram) {
    bool has_application_data = false;
    if (!count_records(datagram, has_application_data)) {
        ++stats_.garbage;
        FLOE_LOG(LogLevel::debug, "dtls")
            << "dropped a " << datagram.size() << "-byte datagram that is not DTLS";
        return;
    }
    if (protection_) {
        feed_protected(datagram);
        return;
    }
    if (BIO_write(rbio_, datagram.data(), static_cast<int>(datagram.size())) <= 0) return;
    if (state_ == State::connecting) {
        advance();
    } else {
        bool delivered = false;
        read_application_data(delivered);
        if (has_application_data && !delivered && state_ == State::connected) ++stats_.garbage;
    }
    // Whatever OpenSSL left unread belongs to this datagram only; never let it join the next one.
    if (BIO_ctrl_pending(rbio_) > 0) (void)BIO_reset(rbio_);
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
        const SRTP_PROTECTION_PROFILE* srtp = SSL_get_selected_srtp_profile(ssl_.get());
        srtp_profile_ = srtp && srtp->name ? srtp->name : "";
        max_payload_ = DTLS_get_data_mtu(ssl_.get());
        FLOE_LOG(LogLevel::info, "dtls")
            << "connected, " << cipher_name_ << ", peer " << peer_fingerprint_;
        events_.push_back(event::Connected{cipher_name_, peer_fingerprint_, srtp_profile_});
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

// Records after the handshake. OpenSSL runs the handshake; once it completes, floe's record layer
// (RecordProtection, keys from the same master secret) opens every epoch-1 application data and
// alert record, and seals what we send once OpenSSL can no longer need to write:
// - The client's last flight is its Finished; it completes on the server's Finished, which proves
//   the server has it. It never writes again: both directions switch at once.
// - The server completes when it sends its Finished. If that flight is lost the client sends its
//   own again, and OpenSSL must answer with a retransmission, written with OpenSSL's keys and
//   epoch-1 sequence numbers. So until the first application data record from the client (proof
//   that it completed) arrives, handshake records still go to OpenSSL and OpenSSL writes; then
//   sealing switches to floe, starting after the last sequence number OpenSSL wrote (read from its
//   output: two writers with one key must never use one nonce), and OpenSSL is not used again.
// Once floe writes, handshake records are dropped (counted as late_handshake): renegotiation is
// off, and nothing else may make OpenSSL write. Records OpenSSL read before the switch are not in
// floe's replay window, so each could be replayed once, within the first moments of the
// connection; SCTP discards duplicate packets (RFC 9260 §6.2) and RFC 6347 §4.1.2.6 leaves replay
// detection to the receiver.
void Transport::start_record_layer() {
    std::string error;
    protection_ = RecordProtection::derive(ssl_.get(), role_ == Role::client, error);
    if (!protection_) {
        FLOE_LOG(LogLevel::info, "dtls") << "OpenSSL keeps the record layer: " << error;
        return;
    }
    if (role_ == Role::client) take_over_writes();
}

void Transport::take_over_writes() {
    // OpenSSL's output not yet handed out counts too.
    const ByteSpan output = openssl_output();
    if (out_position_ < output.size()) note_openssl_output(output.subspan(out_position_));
    protection_->set_next_write_sequence(openssl_next_sequence_);
    openssl_writes_ = false;
    FLOE_LOG(LogLevel::debug, "dtls")
        << "records sealed by floe from epoch 1 sequence " << openssl_next_sequence_;
}

// Once floe seals and opens every record and OpenSSL's last output is out, nothing calls OpenSSL
// for this connection again: free its SSL object. That returns what OpenSSL 3.0 holds for a DTLS
// connection's lifetime, the handshake buffer kept to answer retransmissions (22 KB), the record
// read buffer (17 KB), the handshake state and the peer's certificate.
void Transport::release_openssl() {
    ssl_.reset();  // frees both BIOs
    rbio_ = nullptr;
    wbio_ = nullptr;
}

// Tracks the next epoch-1 sequence number after what OpenSSL has written (see above).
void Transport::note_openssl_output(ByteSpan records) {
    ByteReader reader(records);
    while (auto record = next_record(reader)) {
        if (record->epoch == 1)
            openssl_next_sequence_ = std::max(openssl_next_sequence_, record->sequence + 1);
    }
}

void Transport::feed_protected(ByteSpan datagram) {
    bool rejected = false;
    bool opened_data = false;
    bool to_openssl = false;
    ByteReader reader(datagram);
    while (state_ == State::connected && !reader.empty()) {
        const auto record = next_record(reader);  // count_records() checked the whole datagram
        if (!record) break;
        const bool ours =
            record->epoch == 1 &&
            (record->type == static_cast<std::uint8_t>(ContentType::application_data) ||
             record->type == static_cast<std::uint8_t>(ContentType::alert));
        if (ours) {
            if (read_window_.seen(record->sequence)) {
                ++stats_.duplicates;
            } else if (!open_record(*record)) {
                rejected = true;
            } else if (record->type == static_cast<std::uint8_t>(ContentType::application_data)) {
                opened_data = true;
            }
        } else if (record->epoch > 1) {
            continue;  // no renegotiation
        } else if (openssl_writes_) {
            const ByteSpan whole(record->header.data(), record_header_size + record->body.size());
            if (BIO_write(rbio_, whole.data(), static_cast<int>(whole.size())) > 0)
                to_openssl = true;
        } else {
            ++stats_.late_handshake;
        }
    }
    if (rejected) ++stats_.garbage;
    if (to_openssl) {
        bool delivered = false;
        read_application_data(delivered);  // a retransmitted flight: OpenSSL answers it
        if (BIO_ctrl_pending(rbio_) > 0) (void)BIO_reset(rbio_);
    }
    if (opened_data && openssl_writes_ && state_ == State::connected) take_over_writes();
}

// Opens one record of epoch 1 and acts on it; false when it does not authenticate.
bool Transport::open_record(const Record& record) {
    Bytes data = pool_.take();
    data.resize(record.body.size());
    const auto size = protection_->open(record, data);
    if (!size) {
        pool_.give(std::move(data));
        return false;
    }
    read_window_.accept(record.sequence);
    data.resize(*size);
    if (record.type == static_cast<std::uint8_t>(ContentType::application_data)) {
        ++stats_.records_received;
        events_.push_back(event::DataReceived{std::move(data)});
        return true;
    }
    // An alert (RFC 5246 §7.2): level, description.
    ByteReader alert(data);
    const auto level = alert.u8();
    const auto description = alert.u8();
    pool_.give(std::move(data));
    if (!level || !description) return true;
    const int value = (*level << 8) | *description;
    const std::string name = std::string(SSL_alert_type_string_long(value)) + " alert " +
                             SSL_alert_desc_string_long(value);
    FLOE_LOG(LogLevel::debug, "dtls") << "received " << name;
    if (*description == SSL_AD_CLOSE_NOTIFY)
        finish_closed("peer sent close_notify");
    else if (*level == SSL3_AL_FATAL)
        fail("peer sent " + name);
    return true;
}

void Transport::read_application_data(bool& delivered) {
    const std::span<std::uint8_t> buffer = scratch_read_buffer();
    while (state_ == State::connected) {
        clear_openssl_errors();
        const int n = SSL_read(ssl_.get(), buffer.data(), static_cast<int>(buffer.size()));
        if (n > 0) {
            delivered = true;
            ++stats_.records_received;
            Bytes data = pool_.take();
            data.assign(buffer.begin(), buffer.begin() + n);
            events_.push_back(event::DataReceived{std::move(data)});
            continue;
        }
        const int error = SSL_get_error(ssl_.get(), n);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) break;
        if (error == SSL_ERROR_ZERO_RETURN) {
            finish_closed("peer sent close_notify");
            break;
        }
        fail(describe_error(error));
    }
    after_openssl_call();
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

std::optional<ByteSpan> Transport::poll_transmit() {
    // OpenSSL's records first (written before any of ours), then the ones floe sealed.
    if (const ByteSpan all = openssl_output(); !all.empty()) {
        if (auto datagram = next_datagram(all, out_position_)) {
            if (openssl_writes_ && config_.record_layer == RecordLayer::floe)
                note_openssl_output(*datagram);
            return datagram;
        }
        (void)BIO_reset(wbio_);
    }
    out_position_ = 0;
    if (!openssl_writes_ && ssl_) release_openssl();
    if (auto datagram = next_datagram(sealed_, sealed_position_)) return datagram;
    sealed_.clear();
    sealed_position_ = 0;
    return std::nullopt;
}

// What OpenSSL has written to its write BIO since the last reset (nothing once it is freed).
ByteSpan Transport::openssl_output() const {
    char* raw = nullptr;
    const long size = wbio_ ? BIO_get_mem_data(wbio_, &raw) : 0;
    if (size <= 0) return {};
    return {reinterpret_cast<const std::uint8_t*>(raw), static_cast<std::size_t>(size)};
}

// Records are contiguous in `all`; packs as many whole ones from `position` as fit in the MTU.
std::optional<ByteSpan> Transport::next_datagram(ByteSpan all, std::size_t& position) {
    if (position >= all.size()) return std::nullopt;
    const std::size_t start = position;
    std::size_t end = start;
    while (end < all.size()) {
        std::size_t record = all.size() - end;
        if (record >= record_header_size)
            record = std::min(record, record_header_size + load_u16(all, end + 11));
        if (end > start && end - start + record > config_.mtu) break;
        end += record;
    }
    position = end;
    ++stats_.datagrams_sent;
    return all.subspan(start, end - start);
}

std::optional<Event> Transport::poll_event() {
    if (next_event_ == events_.size()) {
        events_.clear();  // keeps the capacity: queuing events does not allocate once warm
        next_event_ = 0;
        return std::nullopt;
    }
    return std::move(events_[next_event_++]);
}

bool Transport::send(ByteSpan data) {
    if (state_ != State::connected || data.empty() || data.size() > max_payload()) return false;
    if (!openssl_writes_) {
        if (!protection_->seal(ContentType::application_data, data, sealed_)) {
            fail("sealing a record failed");
            return false;
        }
        ++stats_.records_sent;
        return true;
    }
    clear_openssl_errors();
    const int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size()));
    if (n != static_cast<int>(data.size())) {
        fail(describe_error(SSL_get_error(ssl_.get(), n)));
        return false;
    }
    ++stats_.records_sent;
    return true;
}

void Transport::recycle(Bytes buffer) {
    pool_.give(std::move(buffer));
}

void Transport::close(Instant now) {
    now_ = now;
    if (state_ == State::closed || state_ == State::failed) return;
    if (state_ == State::connected && !openssl_writes_) {
        // RFC 5246 §7.2.1: a warning-level close_notify.
        const std::uint8_t close_notify[] = {SSL3_AL_WARNING, SSL_AD_CLOSE_NOTIFY};
        (void)protection_->seal(ContentType::alert, close_notify, sealed_);
    } else if (state_ == State::connected) {
        clear_openssl_errors();
        (void)SSL_shutdown(ssl_.get());  // writes close_notify
        (void)take_openssl_errors();
    }
    finish_closed("closed locally");
}

std::size_t Transport::max_payload() const {
    return state_ == State::connected ? max_payload_ : 0;
}

std::string Transport::cipher() const {
    return state_ == State::connected ? cipher_name_ : "";
}

void Transport::fail(std::string reason) {
    if (state_ == State::failed || state_ == State::closed) return;
    FLOE_LOG(LogLevel::info, "dtls") << "failed: " << reason;
    state_ = State::failed;
    retransmit_deadline_.reset();
    handshake_deadline_.reset();
    events_.push_back(event::Failed{std::move(reason)});
}

void Transport::finish_closed(std::string reason) {
    if (state_ == State::failed || state_ == State::closed) return;
    state_ = State::closed;
    retransmit_deadline_.reset();
    handshake_deadline_.reset();
    events_.push_back(event::Closed{std::move(reason)});
}

}  // namespace floe::dtls
