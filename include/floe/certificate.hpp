// A DTLS identity: an ECDSA P-256 key and its self-signed certificate, as WebRTC uses them (the
// W3C RTCCertificate). Every PeerConnection generates a fresh one unless the configuration supplies
// its own (Configuration::certificates): a server that keeps one, saved with to_pem(), keeps its
// fingerprint across restarts and does not pay for a new key on every connection.
// The peer learns it through the SDP fingerprint (`a=fingerprint:sha-256 AB:CD:...`).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

class Certificate {
  public:
    // A fresh ECDSA P-256 key and self-signed certificate: random subject and serial, valid from a
    // day ago until `valid_for` from now (30 days by default, as browsers do). The dates come from
    // the wall clock; the certificate is an input to the protocol cores, not part of them.
    static Certificate generate(std::chrono::seconds valid_for = std::chrono::hours(24 * 30));
    // The certificate and its private key from one PEM text, as to_pem() writes it: a
    // "CERTIFICATE" block and a "PRIVATE KEY" block (PKCS#8; "EC PRIVATE KEY" is accepted too), in
    // either order. Throws InvalidArgumentError naming what is wrong: a block missing or not
    // parsing, or a key that does not belong to the certificate.
    static Certificate from_pem(std::string_view pem);
    // The same with the two blocks in separate texts.
    static Certificate from_pem(std::string_view certificate_pem, std::string_view private_key_pem);

    // The SHA-256 fingerprint as the SDP attribute value: "sha-256 AB:CD:..." (W3C
    // RTCCertificate.getFingerprints(), which lists this one).
    const std::string& fingerprint() const;
    // When the certificate stops being valid (its notAfter; W3C RTCCertificate.expires). A
    // PeerConnection refuses an expired one.
    std::chrono::system_clock::time_point expires() const;

    // The certificate then the unencrypted private key, in PEM: keep the text as secret as the key.
    std::string to_pem() const;
    std::string certificate_pem() const;
    std::string private_key_pem() const;

  private:
    // The OpenSSL objects, defined and read in src/dtls (dtls/certificate.hpp).
    struct Impl;
    friend struct CertificateAccess;
    explicit Certificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

}  // namespace floe

#pragma GCC visibility pop
