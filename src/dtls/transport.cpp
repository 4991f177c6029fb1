// The transport itself: its SSL object made, datagrams in (buffered before start(), checked and
// counted, fed to OpenSSL or to the record layer), datagrams out (cut to the MTU), events, send,
// close. The handshake is in handshake.cpp, the switch to floe's records in record_switch.cpp.
#include "dtls/transport.hpp"

#include <algorithm>
#include <memory>
#include <span>

#include <floe/error.hpp>

#include "common/byte_reader.hpp"
#include "common/log.hpp"
#include "dtls/certificate.hpp"
#include "dtls/openssl_context.hpp"

namespace floe::dtls {

namespace {

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

}  // namespace

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

Transport::Transport(Certificate certificate, Config config)
    : certificate_(std::move(certificate)), config_(std::move(config)) {
    clear_openssl_errors();
    ssl_.reset(SSL_new(shared_context()));
    BIO* rbio = BIO_new(BIO_s_mem());
    BIO* wbio = BIO_new(BIO_s_mem());
    if (!ssl_ || !rbio || !wbio) {
        BIO_free(rbio);
        BIO_free(wbio);
        throw Error("SSL_new failed: " + take_openssl_errors());
    }
    // This transport's identity. SSL_use_PrivateKey checks that the key belongs to the certificate.
    const auto& identity = dtls::identity(certificate_);
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

void Transport::read_application_data(bool& delivered) {
    const std::span<std::uint8_t> buffer = scratch_read_buffer();
    while (state_ == State::connected) {
        clear_openssl_errors();
        const int n = SSL_read(ssl_.get(), buffer.data(), static_cast<int>(buffer.size()));
        if (n > 0) {
            delivered = true;
            received_data_ = true;
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
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
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
    repeat_final_flight();
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

std::string Transport::tls_version() const {
    if (state_ != State::connected) return {};
    const int version = version_;
    constexpr std::string_view hex = "0123456789ABCDEF";
    std::string out;
    for (int shift = 12; shift >= 0; shift -= 4)
        out += hex[(version >> shift) & 0xF];
    return out;
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
