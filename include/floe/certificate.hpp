// A DTLS identity: an ECDSA P-256 key and its self-signed certificate, as WebRTC uses them.
// Every PeerConnection generates a fresh one unless the configuration supplies its own (PEM).
// The peer learns it through the SDP fingerprint (`a=fingerprint:sha-256 AB:CD:...`).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace floe {

class Certificate {
  public:
    // A fresh ECDSA P-256 key and self-signed certificate: random subject and serial, valid from a
    // day ago for 30 days (the dates come from the wall clock; the certificate is an input to the
    // protocol cores, not part of them).
    static Certificate generate();
    // A certificate and its private key in PEM. Throws InvalidArgumentError when either does not
    // parse or the key does not belong to the certificate.
    static Certificate from_pem(std::string_view certificate_pem, std::string_view private_key_pem);

    // The SHA-256 fingerprint as the SDP attribute value: "sha-256 AB:CD:...".
    const std::string& fingerprint() const;
    std::string certificate_pem() const;
    std::string private_key_pem() const;

    // The OpenSSL objects, for src/dtls (defined in dtls/certificate.hpp).
    struct Impl;
    const Impl& impl() const { return *impl_; }

  private:
    explicit Certificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

}  // namespace floe
