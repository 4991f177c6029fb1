// Certificate fingerprints as SDP carries them (RFC 8122 §5): "sha-256 AB:CD:...". WebRTC uses
// sha-256; RFC 8122 allows the others, which a remote description may name.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/result.hpp>

#include <openssl/x509.h>

namespace floe::dtls {

// Weakest first: strongest_fingerprints() compares them.
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
    // The fingerprint of `certificate` in `algorithm` (its DER encoding digested).
    static Fingerprint of(X509* certificate, HashAlgorithm algorithm);
    // "sha-256 AB:CD:..." (upper-case hex, as browsers write it).
    std::string to_string() const;
};

// RFC 8122 §5: with several `a=fingerprint` values, verify with the strongest hash function this
// stack supports (sha-512 > sha-384 > sha-256 > sha-224 > sha-1), never with a weaker one the
// description also lists. Returns every value in that function (a peer with several certificates
// lists one per certificate; the certificate presented must match one). Values naming a function
// floe does not verify (md5, md2, anything unknown) are skipped; the result is an error when none
// is left or when a value with a supported function is malformed.
Result<std::vector<Fingerprint>, std::string> strongest_fingerprints(
    std::span<const std::string> sdp_values);

// The digest of a certificate's DER encoding.
Bytes certificate_digest(X509* certificate, HashAlgorithm algorithm);

// Whether `certificate` has this fingerprint; the digests are compared in constant time.
bool fingerprint_matches(const Fingerprint& expected, X509* certificate);

}  // namespace floe::dtls
