// Certificate fingerprints as SDP carries them (RFC 8122 §5): "sha-256 AB:CD:...". WebRTC uses
// sha-256; RFC 8122 allows the others, which a remote description may name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <floe/bytes.hpp>
#include <floe/result.hpp>

#include <openssl/x509.h>

namespace floe::dtls {

enum class HashAlgorithm { sha1, sha224, sha256, sha384, sha512 };

// "sha-256" (any case) -> sha256; nullopt for names this stack does not verify (md5, md2, ...).
std::optional<HashAlgorithm> parse_hash_algorithm(std::string_view name);
// The SDP name: "sha-256".
std::string_view to_string(HashAlgorithm algorithm);

struct Fingerprint {
    HashAlgorithm algorithm = HashAlgorithm::sha256;
    Bytes digest;

    // The value of an `a=fingerprint` attribute. The error says what is wrong, for the failure
    // reason ("unsupported fingerprint hash function 'md5'").
    static Result<Fingerprint, std::string> parse(std::string_view sdp_value);
    // "sha-256 AB:CD:..." (upper-case hex, as browsers write it).
    std::string to_string() const;
};

// The digest of a certificate's DER encoding.
Bytes certificate_digest(X509* certificate, HashAlgorithm algorithm);

// Whether `certificate` has this fingerprint; the digests are compared in constant time.
bool fingerprint_matches(const Fingerprint& expected, X509* certificate);

}  // namespace floe::dtls
