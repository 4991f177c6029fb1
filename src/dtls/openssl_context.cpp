// The process-wide SSL_CTX: DTLS 1.2 only, the browsers' suites, groups and signature algorithms,
// use_srtp, the options, and the two callbacks OpenSSL takes only per context (certificate
// verification, key log), which find their transport through the SSL's app data.
#include "dtls/openssl_context.hpp"

#include <floe/error.hpp>

namespace floe::dtls {

namespace {

// What browsers offer for DTLS 1.2 with an ECDSA certificate.
constexpr const char* cipher_list =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305";
constexpr const char* groups_list = "X25519:P-256:P-384";
// Chromium 156's signature algorithms in its order, without rsa_pkcs1_sha1 (RFC 9155 forbids SHA-1
// signatures in DTLS 1.2). OpenSSL's default list adds Ed25519, Ed448, DSA, SHA-224 and the
// rsa_pss_pss forms, which no WebRTC stack uses; whatever Chromium accepts, floe accepts.
constexpr const char* sigalgs_list =
    "ECDSA+SHA256:rsa_pss_rsae_sha256:RSA+SHA256:ECDSA+SHA384:rsa_pss_rsae_sha384:RSA+SHA384:"
    "rsa_pss_rsae_sha512:RSA+SHA512";

}  // namespace

void Transport::Callbacks::keylog(const SSL* ssl, const char* line) {
    Transport& t = transport_of(ssl);
    if (t.config_.keylog) t.config_.keylog(line);
}

// One context for every transport of the process. Nothing in it depends on the transport: the
// identity (certificate and key) is set on each SSL object, and the per-transport settings (MTU,
// timer, key log sink, expected fingerprint) live on the SSL object or behind its app data.
// SSL_CTX_new with the cipher and group lists costs more than generating the P-256 key, and each
// context holds about 17 KB (cipher tables, a certificate store; measured by RSS), so one per
// PeerConnection was a large part of both setup time and memory per connection. SSL_new takes a
// reference on the context, so a transport still alive at exit keeps it valid.
SSL_CTX* shared_context() {
    static const SslCtxPtr context = [] {
        clear_openssl_errors();
        SslCtxPtr owned(SSL_CTX_new(DTLS_method()));
        if (!owned) throw Error("SSL_CTX_new failed: " + take_openssl_errors());
        SSL_CTX* ctx = owned.get();
        const bool ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
                        SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) &&
                        SSL_CTX_set_cipher_list(ctx, cipher_list) &&
                        SSL_CTX_set1_groups_list(ctx, groups_list) &&
                        SSL_CTX_set1_sigalgs_list(ctx, sigalgs_list) &&
                        // RFC 5764 §4.1.1: offered as a client, chosen from the client's list
                        // (in this order of preference) as a server. Returns 0 on success.
                        SSL_CTX_set_tlsext_use_srtp(ctx, srtp_profiles) == 0;
        if (!ok) throw Error("configuring DTLS failed: " + take_openssl_errors());
        // Encrypt-then-MAC (RFC 7366) applies to CBC suites only, and floe offers none.
        SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                     SSL_OP_NO_ENCRYPT_THEN_MAC);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        SSL_CTX_set_cert_verify_callback(ctx, &Transport::Callbacks::verify, nullptr);
        SSL_CTX_set_keylog_callback(
            ctx, &Transport::Callbacks::keylog);  // a no-op without Config::keylog
        return owned;
    }();
    return context.get();
}

}  // namespace floe::dtls
