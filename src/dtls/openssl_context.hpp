// How OpenSSL and a Transport meet: the one SSL_CTX every transport of the process is made from,
// the callbacks OpenSSL calls with an SSL whose app data is the Transport, and the error-queue
// hygiene every SSL call needs.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "dtls/transport.hpp"

namespace floe::dtls {

// OpenSSL calls these with the SSL whose app data is the Transport. timer, verify and info are
// the handshake's (handshake.cpp); keylog is the context's (openssl_context.cpp).
struct Transport::Callbacks {
    static unsigned int timer(SSL* ssl, unsigned int previous_us);
    static int verify(X509_STORE_CTX* store, void*);
    static void info(const SSL* ssl, int where, int value);
    static void keylog(const SSL* ssl, const char* line);
};

// The context every SSL object is made from (openssl_context.cpp says what it holds and why).
SSL_CTX* shared_context();

// SSL_get_error reads the thread's error queue, so it must be empty before each SSL call. Checking
// first is much cheaper than ERR_clear_error on the data path, where the queue is always empty.
inline void clear_openssl_errors() {
    if (ERR_peek_error() != 0) ERR_clear_error();
}

// The Transport an SSL belongs to (set with SSL_set_app_data when the transport is made).
inline Transport& transport_of(const SSL* ssl) {
    return *static_cast<Transport*>(SSL_get_app_data(ssl));
}

}  // namespace floe::dtls
