// HMAC-SHA1/SHA256 with precomputed pad states, long-term key derivation, and CRC-32.
//
// HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)). The first block of each hash depends only on
// the key, so IntegrityKey hashes it once and keeps the two intermediate states; a message then
// costs the hashing of the message itself plus one block. OpenSSL's one-shot HMAC() and EVP_MAC
// redo the key setup (and allocate) on every call; the low-level SHA*_Init/Update/Final API, which
// OpenSSL 3 marks deprecated but still ships and runs on its assembler, lets us copy the states.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <floe/stun/integrity.hpp>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

namespace floe::stun {

static_assert(sizeof(SHA_CTX) == 96, "IntegrityKey::sha1_* hold a SHA_CTX");
static_assert(sizeof(SHA256_CTX) == 112, "IntegrityKey::sha256_* hold a SHA256_CTX");

namespace {

constexpr std::size_t block_size = 64;  // SHA-1 and SHA-256

template <class Ctx, class Init, class Update>
void pad_state(ByteSpan key, std::uint8_t pad, Init init, Update update, std::uint8_t* out) {
    std::array<std::uint8_t, block_size> block{};
    if (!key.empty()) std::memcpy(block.data(), key.data(), key.size());  // size <= block_size
    for (auto& b : block)
        b ^= pad;
    Ctx ctx;
    init(&ctx);
    update(&ctx, block.data(), block.size());
    std::memcpy(out, &ctx, sizeof ctx);
}

// Feeds bytes to a compression function (SHA1_Transform / SHA256_Transform) 64 bytes at a time
// and adds the Merkle-Damgard padding at the end. Driving the block function ourselves avoids
// SHA*_Update/Final's bookkeeping and the OPENSSL_cleanse of every Final, a third of the cost of a
// short message. `absorbed` counts the bytes already in the state (the 64-byte pad block).
template <class Ctx, void (*Transform)(Ctx*, const unsigned char*)>
class BlockHasher {
  public:
    BlockHasher(const std::uint8_t* state, std::uint64_t absorbed) : total_(absorbed) {
        std::memcpy(&ctx_, state, sizeof ctx_);
    }

    void update(ByteSpan data) {
        if (data.empty()) return;  // (an empty span may have no pointer to copy from)
        total_ += data.size();
        if (fill_ > 0) {
            const std::size_t n = std::min(block_size - fill_, data.size());
            std::memcpy(block_.data() + fill_, data.data(), n);
            fill_ += n;
            data = data.subspan(n);
            if (fill_ < block_size) return;
            Transform(&ctx_, block_.data());
            fill_ = 0;
        }
        for (; data.size() >= block_size; data = data.subspan(block_size))
            Transform(&ctx_, data.data());
        if (!data.empty()) std::memcpy(block_.data(), data.data(), data.size());
        fill_ = data.size();
    }

    // Pads, compresses the last block(s) and writes the state words big-endian to `out`.
    void finish(std::uint8_t* out, std::size_t words) {
        block_[fill_++] = 0x80;
        if (fill_ > block_size - 8) {
            std::memset(block_.data() + fill_, 0, block_size - fill_);
            Transform(&ctx_, block_.data());
            fill_ = 0;
        }
        std::memset(block_.data() + fill_, 0, block_size - 8 - fill_);
        const std::uint64_t bits = total_ * 8;
        for (int i = 0; i < 8; ++i)
            block_[block_size - 1 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
        Transform(&ctx_, block_.data());
        const auto* h = state_words(ctx_);
        for (std::size_t i = 0; i < words; ++i) {
            out[4 * i] = static_cast<std::uint8_t>(h[i] >> 24);
            out[4 * i + 1] = static_cast<std::uint8_t>(h[i] >> 16);
            out[4 * i + 2] = static_cast<std::uint8_t>(h[i] >> 8);
            out[4 * i + 3] = static_cast<std::uint8_t>(h[i]);
        }
    }

  private:
    static const SHA_LONG* state_words(const SHA_CTX& c) { return &c.h0; }
    static const SHA_LONG* state_words(const SHA256_CTX& c) { return c.h; }

    Ctx ctx_;
    std::array<std::uint8_t, block_size> block_;
    std::size_t fill_ = 0;
    std::uint64_t total_;
};

// SHA_CTX keeps h0..h4 as five consecutive members; read them as an array.
static_assert(offsetof(SHA_CTX, h4) == offsetof(SHA_CTX, h0) + 4 * sizeof(SHA_LONG));

template <class Ctx, void (*Transform)(Ctx*, const unsigned char*)>
void hmac(const std::uint8_t* inner_state, const std::uint8_t* outer_state,
          std::initializer_list<ByteSpan> parts, std::size_t digest_size, std::uint8_t* out) {
    BlockHasher<Ctx, Transform> inner(inner_state, block_size);
    for (ByteSpan part : parts)
        inner.update(part);
    std::array<std::uint8_t, 32> inner_digest;
    inner.finish(inner_digest.data(), digest_size / 4);
    BlockHasher<Ctx, Transform> outer(outer_state, block_size);
    outer.update(ByteSpan(inner_digest).first(digest_size));
    outer.finish(out, digest_size / 4);
}

Bytes digest(const EVP_MD* md, std::string_view username, std::string_view realm,
             std::string_view password) {
    const std::string text =
        std::string(username) + ":" + std::string(realm) + ":" + std::string(password);
    Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned size = 0;
    if (EVP_Digest(text.data(), text.size(), out.data(), &size, md, nullptr) != 1)
        throw std::runtime_error("stun: key digest failed");
    out.resize(size);
    return out;
}

}  // namespace

IntegrityKey::IntegrityKey() {
    derive({});
}

IntegrityKey IntegrityKey::short_term(std::string_view password) {
    return from_bytes(as_bytes(password));
}

IntegrityKey IntegrityKey::long_term_md5(std::string_view username, std::string_view realm,
                                         std::string_view password) {
    return from_bytes(digest(EVP_md5(), username, realm, password));
}

IntegrityKey IntegrityKey::long_term_sha256(std::string_view username, std::string_view realm,
                                            std::string_view password) {
    return from_bytes(digest(EVP_sha256(), username, realm, password));
}

IntegrityKey IntegrityKey::from_bytes(ByteSpan key) {
    return IntegrityKey(key);
}

void IntegrityKey::derive(ByteSpan key) {
    // Keys longer than a block are hashed first (RFC 2104), separately for each hash.
    std::array<std::uint8_t, 32> short_key;
    ByteSpan k1 = key, k256 = key;
    std::array<std::uint8_t, 32> short_key256;
    if (key.size() > block_size) {
        SHA1(key.data(), key.size(), short_key.data());
        k1 = ByteSpan(short_key).first(SHA_DIGEST_LENGTH);
        SHA256(key.data(), key.size(), short_key256.data());
        k256 = ByteSpan(short_key256);
    }
    pad_state<SHA_CTX>(k1, 0x36, SHA1_Init, SHA1_Update, sha1_inner_.data());
    pad_state<SHA_CTX>(k1, 0x5c, SHA1_Init, SHA1_Update, sha1_outer_.data());
    pad_state<SHA256_CTX>(k256, 0x36, SHA256_Init, SHA256_Update, sha256_inner_.data());
    pad_state<SHA256_CTX>(k256, 0x5c, SHA256_Init, SHA256_Update, sha256_outer_.data());
}

void IntegrityKey::hmac_sha1(std::initializer_list<ByteSpan> parts, std::uint8_t* out) const {
    hmac<SHA_CTX, SHA1_Transform>(sha1_inner_.data(), sha1_outer_.data(), parts, SHA_DIGEST_LENGTH,
                                  out);
}

void IntegrityKey::hmac_sha256(std::initializer_list<ByteSpan> parts, std::uint8_t* out) const {
    hmac<SHA256_CTX, SHA256_Transform>(sha256_inner_.data(), sha256_outer_.data(), parts,
                                       SHA256_DIGEST_LENGTH, out);
}

// ---- CRC-32 -------------------------------------------------------------------------------------
// Reflected polynomial 0xEDB88320, slicing by 8: eight tables let the loop fold 8 bytes per step.

namespace {

using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr CrcTables make_crc_tables() {
    CrcTables t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        t[0][i] = c;
    }
    for (std::size_t s = 1; s < 8; ++s)
        for (std::size_t i = 0; i < 256; ++i)
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    return t;
}

constexpr CrcTables crc_tables = make_crc_tables();

}  // namespace

std::uint32_t crc32(ByteSpan data, std::uint32_t previous) {
    std::uint32_t c = ~previous;
    const auto& t = crc_tables;
    std::size_t i = 0;
    for (; i + 8 <= data.size(); i += 8) {
        const std::uint32_t lo =
            c ^ (std::uint32_t{data[i]} | std::uint32_t{data[i + 1]} << 8 |
                 std::uint32_t{data[i + 2]} << 16 | std::uint32_t{data[i + 3]} << 24);
        c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
            t[3][data[i + 4]] ^ t[2][data[i + 5]] ^ t[1][data[i + 6]] ^ t[0][data[i + 7]];
    }
    for (; i < data.size(); ++i)
        c = t[0][(c ^ data[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

}  // namespace floe::stun
