// Message integrity (RFC 8489 §9, §14.5, §14.6) and the FINGERPRINT checksum (§14.7).
//
// A key is derived once per credential and holds the HMAC state after the inner and outer pads
// (the first block of each HMAC), so checking or signing a message costs only the hashing of the
// message itself. An ICE agent checks thousands of messages with one password: keep the key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <floe/bytes.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::stun {

inline constexpr std::size_t sha1_mac_size = 20;    // MESSAGE-INTEGRITY value
inline constexpr std::size_t sha256_mac_size = 32;  // MESSAGE-INTEGRITY-SHA256 value (full)
inline constexpr std::uint32_t fingerprint_xor = 0x5354554E;  // "STUN"

// CRC-32 (ISO-HDLC, as in zlib/Ethernet) of `data`; crc32(prev, more) continues a running CRC.
std::uint32_t crc32(ByteSpan data, std::uint32_t previous = 0);

// The HMAC keys of one credential, for HMAC-SHA1 (MESSAGE-INTEGRITY) and HMAC-SHA256
// (MESSAGE-INTEGRITY-SHA256). A plain value: copy it, keep it, share it read-only across threads.
class IntegrityKey {
  public:
    IntegrityKey();  // the empty key (an empty password)
    // Short-term credential (ICE): the key is the password as given. floe does not apply
    // OpaqueString (RFC 8265) preparation; ICE passwords are ASCII ice-chars, where it is a no-op.
    static IntegrityKey short_term(std::string_view password);
    // Long-term credential, MD5 (RFC 8489 §9.2.2): MD5(username ":" realm ":" password).
    // The password must already be prepared (SASLprep/OpaqueString): floe passes bytes through.
    static IntegrityKey long_term_md5(std::string_view username, std::string_view realm,
                                      std::string_view password);
    // Long-term credential, SHA-256: SHA-256(username ":" realm ":" password).
    static IntegrityKey long_term_sha256(std::string_view username, std::string_view realm,
                                         std::string_view password);
    // Any key bytes.
    static IntegrityKey from_bytes(ByteSpan key);

    // HMAC over the concatenation of `parts` (up to 3, so callers can hash a patched header
    // followed by the body without copying). `out` must hold 20 (SHA1) or 32 (SHA256) bytes.
    void hmac_sha1(std::initializer_list<ByteSpan> parts, std::uint8_t* out) const;
    void hmac_sha256(std::initializer_list<ByteSpan> parts, std::uint8_t* out) const;

  private:
    explicit IntegrityKey(ByteSpan key) { derive(key); }
    void derive(ByteSpan key);
    // OpenSSL SHA_CTX / SHA256_CTX images after absorbing (key ^ ipad) and (key ^ opad); sizes
    // are checked against OpenSSL's headers in integrity.cpp.
    alignas(16) std::array<std::uint8_t, 96> sha1_inner_{};
    alignas(16) std::array<std::uint8_t, 96> sha1_outer_{};
    alignas(16) std::array<std::uint8_t, 112> sha256_inner_{};
    alignas(16) std::array<std::uint8_t, 112> sha256_outer_{};
};

}  // namespace floe::stun

#pragma GCC visibility pop
