// DTLS 1.2 records of epoch 1 sealed and opened by floe, with the keys of the handshake OpenSSL
// completed. OpenSSL 3.0's record layer costs 4,000-6,000 instructions a record beyond the cipher
// (provider parameter calls, BIO copies, buffer management): with one record per SCTP packet that
// was a fifth of a bulk transfer's CPU. Here a record is one nonce, one AAD, one AEAD call.
//
// Only the AEAD suites WebRTC negotiates (dtls/openssl_context.cpp's cipher list):
//   AES-128/256-GCM      RFC 5288: nonce = 4-byte salt || 8-byte explicit nonce sent in the record
//   ChaCha20-Poly1305    RFC 7905: nonce = 12-byte IV XOR the record's 64-bit sequence number
// Additional data for both, RFC 5246 §6.2.3.3 as DTLS uses it (RFC 6347 §4.1.2.1):
//   epoch (2) || sequence number (6) || type (1) || version (2) || plaintext length (2)
//
//   auto keys = RecordProtection::derive(ssl, /*is_client=*/true, error);
//   keys->set_next_write_sequence(after_openssls_finished);
//   keys->seal(ContentType::application_data, packet, out);   // appends header + body to out
//   if (auto n = keys->open(record, plaintext)) ...             // record from next_record()
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <floe/bytes.hpp>

#include "common/byte_reader.hpp"
#include "dtls/openssl.hpp"

namespace floe::dtls {

// RFC 6347 §4.1: the DTLSPlaintext / DTLSCiphertext framing.
inline constexpr std::size_t record_header_size = 13;
inline constexpr std::uint16_t dtls12_version = 0xfefd;

enum class ContentType : std::uint8_t {
    change_cipher_spec = 20,
    alert = 21,
    handshake = 22,
    application_data = 23,
};

struct Record {
    std::uint8_t type = 0;
    std::uint16_t version = 0;
    std::uint16_t epoch = 0;
    std::uint64_t sequence = 0;  // 48 bits
    ByteSpan header;             // the 13 bytes
    ByteSpan body;               // `length` bytes after the header
};

// The next record of a datagram, or nullopt when what is left is not a DTLS record (too short,
// a content type outside 20..23, not a DTLS version, a length beyond the datagram).
std::optional<Record> next_record(ByteReader& reader);

// RFC 6347 §4.1.2.6 anti-replay: a 64-record sliding window. Check with seen() first, and
// accept() only a record that authenticated, so forged records cannot move the window.
class ReplayWindow {
  public:
    // True when `sequence` was accepted before or is older than the window.
    bool seen(std::uint64_t sequence) const;
    void accept(std::uint64_t sequence);

  private:
    std::uint64_t top_ = 0;   // highest accepted
    std::uint64_t mask_ = 0;  // bit i: top_ - i accepted
    bool any_ = false;
};

class RecordProtection {
  public:
    // The epoch-1 keys of the handshake `ssl` has just completed, as the client or the server:
    // the TLS 1.2 PRF (RFC 5246 §6.3) of the master secret over "key expansion" and the two
    // randoms. nullopt with `error` set for a suite not listed above or when OpenSSL fails.
    static std::optional<RecordProtection> derive(SSL* ssl, bool is_client, std::string& error);

    RecordProtection(RecordProtection&&) noexcept = default;
    RecordProtection& operator=(RecordProtection&&) noexcept = default;
    ~RecordProtection();

    // Bytes a record's body adds to its plaintext: the explicit nonce (GCM) and the 16-byte tag.
    std::size_t expansion() const { return explicit_nonce_size_ + tag_size; }

    // Appends one record of epoch 1 carrying `plaintext` (at most 2^14 bytes) to `out`. False when
    // the sequence numbers are used up (2^48, never in practice) or OpenSSL fails; `out` is then
    // as it was.
    bool seal(ContentType type, ByteSpan plaintext, Bytes& out);

    // Authenticates and decrypts an epoch-1 record into `plaintext`, which must hold
    // record.body.size() bytes. The plaintext's length, or nullopt when the record does not
    // authenticate (forged, altered, or sealed with other keys).
    std::optional<std::size_t> open(const Record& record, std::span<std::uint8_t> plaintext);

    // The sequence number of the next record seal() writes: set it past the epoch-1 records
    // OpenSSL wrote with the same key (its Finished), so that no nonce is used twice.
    void set_next_write_sequence(std::uint64_t sequence) { next_write_sequence_ = sequence; }
    std::uint64_t next_write_sequence() const { return next_write_sequence_; }

  private:
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t nonce_size = 12;
    struct CipherCtxDeleter {
        void operator()(EVP_CIPHER_CTX* ctx) const;
    };
    using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

    // One direction: a cipher context keyed once, and the fixed part of every nonce.
    struct Direction {
        CipherCtxPtr ctx;
        std::array<std::uint8_t, nonce_size> iv{};  // GCM: salt in the first 4 bytes
    };

    RecordProtection() = default;
    std::array<std::uint8_t, nonce_size> nonce(const Direction& d, std::uint16_t epoch,
                                               std::uint64_t sequence,
                                               ByteSpan explicit_nonce) const;

    Direction write_;
    Direction read_;
    std::size_t explicit_nonce_size_ = 0;  // 8 for GCM, 0 for ChaCha20-Poly1305
    std::uint64_t next_write_sequence_ = 0;
};

}  // namespace floe::dtls
