// The OpenSSL side of floe::Certificate.
#pragma once

#include <chrono>
#include <string>

#include <floe/certificate.hpp>

#include "dtls/openssl.hpp"

namespace floe {

struct Certificate::Impl {
    dtls::X509Ptr x509;
    dtls::EvpPkeyPtr key;
    std::string fingerprint;                        // "sha-256 AB:CD:..."
    std::chrono::system_clock::time_point expires;  // notAfter
};

}  // namespace floe
