// The OpenSSL side of floe::Certificate.
#pragma once

#include <chrono>
#include <string>

#include <floe/certificate.hpp>

#include "dtls/fingerprint.hpp"
#include "dtls/openssl.hpp"

namespace floe {

struct Certificate::Impl {
    dtls::X509Ptr x509;
    dtls::EvpPkeyPtr key;
    dtls::Fingerprint fingerprint;                  // sha-256, for the SDP and the peer
    std::string fingerprint_text;                   // "sha-256 AB:CD:...", fingerprint()
    std::chrono::system_clock::time_point expires;  // notAfter
};

// The one door to a Certificate's private parts (the public header names it a friend).
struct CertificateAccess {
    using Impl = Certificate::Impl;
    static const Impl& impl(const Certificate& certificate) { return *certificate.impl_; }
};

namespace dtls {
// The certificate's OpenSSL objects and fingerprint.
inline const CertificateAccess::Impl& identity(const Certificate& certificate) {
    return CertificateAccess::impl(certificate);
}
}  // namespace dtls

}  // namespace floe
