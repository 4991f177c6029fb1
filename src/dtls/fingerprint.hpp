// Certificate fingerprints checked against a certificate (RFC 8122 §5). WebRTC uses sha-256;
// RFC 8122 allows the others, which a remote description may name.
#pragma once

#include <span>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/fingerprint.hpp>

#include <openssl/x509.h>

namespace floe::dtls {

// The fingerprint type is floe's own (<floe/fingerprint.hpp>), shared with the SDP codec: the
// remote description's values reach the transport parsed once, as values.
using floe::Fingerprint;
using floe::HashFunction;

// The fingerprint of `certificate` in `hash` (its DER encoding digested).
Fingerprint fingerprint_of(X509* certificate, HashFunction hash);

// RFC 8122 §5: with several `a=fingerprint` values, verify with the strongest hash function
// (sha-512 > sha-384 > sha-256 > sha-224 > sha-1), never with a weaker one the description also
// lists. Returns every value in that function (a peer with several certificates lists one per
// certificate; the certificate presented must match one); empty when `fingerprints` is.
std::vector<Fingerprint> strongest_fingerprints(std::span<const Fingerprint> fingerprints);

// The digest of a certificate's DER encoding.
Bytes certificate_digest(X509* certificate, HashFunction hash);

// Whether `certificate` has this fingerprint; the digests are compared in constant time.
bool fingerprint_matches(const Fingerprint& expected, X509* certificate);

}  // namespace floe::dtls
