// The OpenSSL side of floe::Certificate.
#pragma once

#include <mutex>
#include <string>

#include <floe/certificate.hpp>

#include "dtls/openssl.hpp"

namespace floe {

struct Certificate::Impl {
    dtls::X509Ptr x509;
    dtls::EvpPkeyPtr key;
    std::string fingerprint;  // "sha-256 AB:CD:..."
    // The DTLS context for this identity, made by the first transport that uses it and shared by
    // all the others (SSL_CTX_new costs about a fifth of a handshake). See dtls/transport.cpp.
    mutable std::once_flag context_once;
    mutable dtls::SslCtxPtr context;
};

}  // namespace floe
