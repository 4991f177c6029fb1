// A certificate fingerprint as SDP carries it (RFC 8122 §5): `a=fingerprint:sha-256 AB:CD:...`.
// One type from the certificate to the DTLS check: the SDP codec reads and writes it, the DTLS
// transport verifies the peer's certificate against it, passed as a value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <floe/bytes.hpp>
#include <floe/result.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

// The RFC 8122 §5 hash functions floe verifies, weakest first (RFC 8122 §5: with several, verify
// with the strongest). md5 and md2 are not among them: a value naming them does not parse.
enum class HashFunction : std::uint8_t { sha1, sha224, sha256, sha384, sha512 };
std::string_view to_string(HashFunction hash);                           // "sha-256"
std::optional<HashFunction> parse_hash_function(std::string_view name);  // case-insensitive
std::size_t digest_size(HashFunction hash);                              // bytes

enum class FingerprintError : std::uint8_t {
    no_hash_function,           // no "<hash> <hex>" shape
    unsupported_hash_function,  // md5, md2, or a name this stack does not know
    malformed_digest,           // not colon-separated hex pairs of the hash's output length
};
std::string_view to_string(FingerprintError error);

struct Fingerprint {
    HashFunction algorithm = HashFunction::sha256;
    Bytes digest;

    // The attribute value "sha-256 AB:CD:..." (hex in either case; spaces between the two parts).
    static Result<Fingerprint, FingerprintError> parse(std::string_view value);
    // "sha-256 AB:CD:..." (upper-case hex, as browsers write it).
    std::string to_string() const;
    friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

}  // namespace floe

#pragma GCC visibility pop
