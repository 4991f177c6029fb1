#include "dtls/record_protection.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "common/byte_writer.hpp"

namespace floe::dtls {

namespace {

constexpr std::uint64_t max_sequence = (std::uint64_t{1} << 48) - 1;
constexpr std::size_t max_plaintext = 16 * 1024;  // RFC 6347 §4.1: 2^14
constexpr std::size_t random_size = 32;           // ClientHello/ServerHello.random

struct KdfDeleter {
    void operator()(EVP_KDF* kdf) const { EVP_KDF_free(kdf); }
    void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

// What the negotiated suite needs: the AEAD, its key length, the fixed IV length from the key
// block and the explicit nonce each record carries.
struct Suite {
    const EVP_CIPHER* cipher;
    std::size_t key_size;
    std::size_t fixed_iv_size;
    std::size_t explicit_nonce_size;
};

std::optional<Suite> suite_of(const SSL_CIPHER* cipher) {
    if (!cipher) return std::nullopt;
    switch (SSL_CIPHER_get_cipher_nid(cipher)) {
        case NID_aes_128_gcm:
            return Suite{EVP_aes_128_gcm(), 16, 4, 8};
        case NID_aes_256_gcm:
            return Suite{EVP_aes_256_gcm(), 32, 4, 8};
        case NID_chacha20_poly1305:
            return Suite{EVP_chacha20_poly1305(), 32, 12, 0};
        default:
            return std::nullopt;
    }
}

// RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random),
// with the suite's PRF hash (SHA-256, or SHA-384 for AES-256-GCM-SHA384).
bool key_block(SSL* ssl, const SSL_CIPHER* cipher, std::span<std::uint8_t> out,
               std::string& error) {
    const EVP_MD* digest = SSL_CIPHER_get_handshake_digest(cipher);
    SSL_SESSION* session = SSL_get_session(ssl);
    if (!digest || !session) {
        error = "no session or PRF digest after the handshake";
        return false;
    }
    std::uint8_t master[SSL_MAX_MASTER_KEY_LENGTH];
    const std::size_t master_size = SSL_SESSION_get_master_key(session, master, sizeof master);
    constexpr std::string_view label = "key expansion";
    std::uint8_t seed[label.size() + 2 * random_size];
    std::memcpy(seed, label.data(), label.size());
    const bool randoms =
        SSL_get_server_random(ssl, seed + label.size(), random_size) == random_size &&
        SSL_get_client_random(ssl, seed + label.size() + random_size, random_size) == random_size;
    std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, "TLS1-PRF", nullptr));
    std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
    bool ok = master_size > 0 && randoms && ctx;
    if (ok) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                             const_cast<char*>(EVP_MD_get0_name(digest)), 0),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master, master_size),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed),
            OSSL_PARAM_construct_end()};
        ok = EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1;
    }
    OPENSSL_cleanse(master, sizeof master);
    if (!ok) error = "deriving the record keys failed: " + take_openssl_errors();
    return ok;
}

}  // namespace

std::optional<Record> next_record(ByteReader& reader) {
    // The whole header first: a read that fails leaves the reader where it was, so a later,
    // shorter read could still succeed and each field must be checked on its own.
    if (reader.remaining() < record_header_size) return std::nullopt;
    const ByteSpan all = reader.rest();
    Record r;
    const auto type = reader.u8();
    const auto version = reader.u16();
    const auto epoch = reader.u16();
    const auto sequence = reader.u48();
    const auto length = reader.u16();
    if (!type || !version || !epoch || !sequence || !length) return std::nullopt;
    if (*type < 20 || *type > 23 || (*version >> 8) != 0xfe) return std::nullopt;
    const auto body = reader.bytes(*length);
    if (!body) return std::nullopt;
    r.type = *type;
    r.version = *version;
    r.epoch = *epoch;
    r.sequence = *sequence;
    r.header = all.first(record_header_size);
    r.body = *body;
    return r;
}

bool ReplayWindow::seen(std::uint64_t sequence) const {
    if (!any_ || sequence > top_) return false;
    const std::uint64_t age = top_ - sequence;
    return age >= 64 || (mask_ >> age) & 1;
}

void ReplayWindow::accept(std::uint64_t sequence) {
    if (!any_) {
        top_ = sequence;
        mask_ = 1;
        any_ = true;
    } else if (sequence > top_) {
        const std::uint64_t shift = sequence - top_;
        mask_ = shift >= 64 ? 1 : (mask_ << shift) | 1;
        top_ = sequence;
    } else if (top_ - sequence < 64) {
        mask_ |= std::uint64_t{1} << (top_ - sequence);
    }
}

void RecordProtection::CipherCtxDeleter::operator()(EVP_CIPHER_CTX* ctx) const {
    EVP_CIPHER_CTX_free(ctx);
}

RecordProtection::~RecordProtection() = default;

std::optional<RecordProtection> RecordProtection::derive(SSL* ssl, bool is_client,
                                                         std::string& error) {
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    const auto suite = suite_of(cipher);
    if (!suite) {
        error = std::string("no record layer of ours for ") +
                (cipher ? SSL_CIPHER_get_name(cipher) : "an unknown cipher");
        return std::nullopt;
    }
    // RFC 5246 §6.3, no MAC keys for AEAD suites: client_write_key, server_write_key,
    // client_write_IV, server_write_IV.
    std::vector<std::uint8_t> block(2 * (suite->key_size + suite->fixed_iv_size));
    if (!key_block(ssl, cipher, block, error)) return std::nullopt;
    const std::span<const std::uint8_t> all(block);
    const auto client_key = all.subspan(0, suite->key_size);
    const auto server_key = all.subspan(suite->key_size, suite->key_size);
    const auto client_iv = all.subspan(2 * suite->key_size, suite->fixed_iv_size);
    const auto server_iv = all.subspan(2 * suite->key_size + suite->fixed_iv_size);

    RecordProtection p;
    p.explicit_nonce_size_ = suite->explicit_nonce_size;
    bool ok = true;
    auto key = [&](Direction& d, std::span<const std::uint8_t> k, std::span<const std::uint8_t> iv,
                   int encrypt) {
        std::copy(iv.begin(), iv.end(), d.iv.begin());
        d.ctx.reset(EVP_CIPHER_CTX_new());
        // The default IV length of both AEADs is the 12 bytes used here.
        ok =
            ok && d.ctx &&
            EVP_CipherInit_ex(d.ctx.get(), suite->cipher, nullptr, k.data(), nullptr, encrypt) == 1;
    };
    key(p.write_, is_client ? client_key : server_key, is_client ? client_iv : server_iv, 1);
    key(p.read_, is_client ? server_key : client_key, is_client ? server_iv : client_iv, 0);
    OPENSSL_cleanse(block.data(), block.size());
    if (!ok) {
        error = "setting up the record ciphers failed: " + take_openssl_errors();
        return std::nullopt;
    }
    return p;
}

std::array<std::uint8_t, RecordProtection::nonce_size> RecordProtection::nonce(
    const Direction& d, std::uint16_t epoch, std::uint64_t sequence,
    ByteSpan explicit_nonce) const {
    std::array<std::uint8_t, nonce_size> n = d.iv;
    if (explicit_nonce_size_ > 0) {
        // RFC 5288 §3: salt || nonce_explicit, the latter chosen by the sender.
        std::copy(explicit_nonce.begin(), explicit_nonce.end(), n.begin() + 4);
    } else {
        // RFC 7905 §2: the 64-bit sequence number (epoch and sequence in DTLS), left-padded
        // with zeros to 12 bytes, XORed with the IV.
        const std::uint64_t seq64 = (std::uint64_t{epoch} << 48) | sequence;
        for (std::size_t i = 0; i < 8; ++i)
            n[4 + i] ^= static_cast<std::uint8_t>(seq64 >> (56 - 8 * i));
    }
    return n;
}

namespace {

// RFC 5246 §6.2.3.3: seq_num || type || version || length, seq_num being epoch || sequence here.
std::array<std::uint8_t, 13> additional_data(std::uint16_t epoch, std::uint64_t sequence,
                                             std::uint8_t type, std::uint16_t version,
                                             std::size_t length) {
    std::array<std::uint8_t, 13> aad{};
    ByteWriter w{MutableByteSpan(aad)};
    w.u16(epoch);
    w.u48(sequence);
    w.u8(type);
    w.u16(version);
    w.u16(static_cast<std::uint16_t>(length));
    return aad;
}

}  // namespace

bool RecordProtection::seal(ContentType type, ByteSpan plaintext, Bytes& out) {
    if (next_write_sequence_ > max_sequence || plaintext.size() > max_plaintext) return false;
    constexpr std::uint16_t epoch = 1;
    const std::uint64_t sequence = next_write_sequence_;
    const auto kind = static_cast<std::uint8_t>(type);
    const std::size_t body_size = expansion() + plaintext.size();
    const std::size_t start = out.size();
    out.resize(start + record_header_size + body_size);
    const MutableByteSpan record = MutableByteSpan(out).subspan(start);
    {
        ByteWriter w{record.first(record_header_size + explicit_nonce_size_)};
        w.u8(kind);
        w.u16(dtls12_version);
        w.u16(epoch);
        w.u48(sequence);
        w.u16(static_cast<std::uint16_t>(body_size));
        // GCM's explicit nonce: the epoch and sequence number, unique per key as RFC 5288 §3
        // requires, as OpenSSL and browsers do.
        if (explicit_nonce_size_ > 0) {
            w.u16(epoch);
            w.u48(sequence);
        }
    }
    const auto explicit_nonce = ByteSpan(record).subspan(record_header_size, explicit_nonce_size_);
    const auto n = nonce(write_, epoch, sequence, explicit_nonce);
    const auto aad = additional_data(epoch, sequence, kind, dtls12_version, plaintext.size());
    std::uint8_t* ciphertext = record.data() + record_header_size + explicit_nonce_size_;
    EVP_CIPHER_CTX* ctx = write_.ctx.get();
    int written = 0;
    int final_written = 0;
    const bool ok =
        EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, n.data()) == 1 &&
        EVP_EncryptUpdate(ctx, nullptr, &written, aad.data(), static_cast<int>(aad.size())) == 1 &&
        EVP_EncryptUpdate(ctx, ciphertext, &written, plaintext.data(),
                          static_cast<int>(plaintext.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx, ciphertext + written, &final_written) == 1 &&
        static_cast<std::size_t>(written + final_written) == plaintext.size() &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag_size),
                            ciphertext + plaintext.size()) == 1;
    if (!ok) {
        (void)take_openssl_errors();
        out.resize(start);
        return false;
    }
    ++next_write_sequence_;
    return true;
}

std::optional<std::size_t> RecordProtection::open(const Record& record,
                                                  std::span<std::uint8_t> plaintext) {
    if (record.body.size() < expansion() || plaintext.size() < record.body.size())
        return std::nullopt;
    const std::size_t size = record.body.size() - expansion();
    if (size > max_plaintext) return std::nullopt;
    const ByteSpan explicit_nonce = record.body.first(explicit_nonce_size_);
    const ByteSpan ciphertext = record.body.subspan(explicit_nonce_size_, size);
    const ByteSpan tag = record.body.last(tag_size);
    const auto n = nonce(read_, record.epoch, record.sequence, explicit_nonce);
    const auto aad =
        additional_data(record.epoch, record.sequence, record.type, record.version, size);
    EVP_CIPHER_CTX* ctx = read_.ctx.get();
    int written = 0;
    int final_written = 0;
    // OpenSSL takes the expected tag through a non-const pointer; it only reads it.
    auto* expected = const_cast<std::uint8_t*>(tag.data());
    const bool ok =
        EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, n.data()) == 1 &&
        EVP_DecryptUpdate(ctx, nullptr, &written, aad.data(), static_cast<int>(aad.size())) == 1 &&
        EVP_DecryptUpdate(ctx, plaintext.data(), &written, ciphertext.data(),
                          static_cast<int>(size)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag_size), expected) ==
            1 &&
        EVP_DecryptFinal_ex(ctx, plaintext.data() + written, &final_written) == 1;
    if (!ok) {
        (void)take_openssl_errors();
        return std::nullopt;
    }
    return static_cast<std::size_t>(written + final_written);
}

}  // namespace floe::dtls
