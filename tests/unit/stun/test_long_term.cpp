// The long-term credential dance: 401 with REALM/NONCE, retry signed; 438 with a new NONCE;
// SHA-256 when the server offers it; no endless retries with a wrong password.
#include <doctest/doctest.h>

#include "stun/long_term_credentials.hpp"

using namespace floe;
using namespace floe::stun;

namespace {

const TransactionId tid = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

Bytes challenge(int code, std::string_view realm, std::string_view nonce,
                bool offer_sha256 = false) {
    Bytes out;
    MessageBuilder b(out, {method::allocate, MessageClass::error_response}, tid);
    b.add_error_code(code).add_realm(realm).add_nonce(nonce);
    if (offer_sha256) {
        const PasswordAlgorithmEntry algs[] = {{2, {}}, {1, {}}};
        b.add_password_algorithms(algs);
    }
    return out;
}

Bytes signed_request(const LongTermCredentials& creds) {
    Bytes out;
    MessageBuilder b(out, {method::allocate, MessageClass::request}, tid);
    b.add_u32(0x0019, 0x11000000);  // REQUESTED-TRANSPORT (UDP), as TURN would
    creds.add_to(b);
    b.add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

}  // namespace

TEST_CASE("401 then retry with MD5 key, USERNAME/REALM/NONCE and MESSAGE-INTEGRITY") {
    LongTermCredentials creds("user", "pass");
    CHECK_FALSE(creds.ready());
    const Bytes first = signed_request(creds);
    CHECK_FALSE(Message::decode(first)->has(attr::username));

    const Bytes c = challenge(401, "example.org", "nonce-1");
    CHECK(creds.handle_error_response(*Message::decode(c)));
    CHECK(creds.ready());
    const Bytes retry = signed_request(creds);
    auto m = Message::decode(retry);
    REQUIRE(m);
    CHECK(*m->username() == "user");
    CHECK(*m->realm() == "example.org");
    CHECK(*m->nonce() == "nonce-1");
    CHECK(m->check_integrity(IntegrityKey::long_term_md5("user", "example.org", "pass")));
    CHECK(m->check_fingerprint());

    // The same 401 again: the password is wrong, stop.
    CHECK_FALSE(creds.handle_error_response(*Message::decode(c)));
}

TEST_CASE("438 Stale Nonce retries once with the new nonce") {
    LongTermCredentials creds("user", "pass");
    const Bytes c = challenge(401, "example.org", "nonce-1");
    REQUIRE(creds.handle_error_response(*Message::decode(c)));
    const Bytes stale = challenge(438, "example.org", "nonce-2");
    CHECK(creds.handle_error_response(*Message::decode(stale)));
    CHECK(*Message::decode(signed_request(creds))->nonce() == "nonce-2");
    CHECK_FALSE(creds.handle_error_response(*Message::decode(stale)));  // same nonce: no loop
}

TEST_CASE("a server offering SHA-256 (nonce cookie + PASSWORD-ALGORITHMS) gets MI-SHA256") {
    LongTermCredentials creds("user", "pass");
    const Bytes c = challenge(401, "example.org", "obMatJos2AAABxyz", true);
    REQUIRE(creds.handle_error_response(*Message::decode(c)));
    CHECK(creds.algorithm() == PasswordAlgorithm::sha256);
    const Bytes retry = signed_request(creds);
    auto m = Message::decode(retry);
    REQUIRE(m);
    CHECK(m->password_algorithms()->size() == 2);
    CHECK(m->password_algorithm()->algorithm == 2);
    CHECK_FALSE(m->has(attr::message_integrity));
    CHECK(m->check_integrity_sha256(IntegrityKey::long_term_sha256("user", "example.org", "pass")));
}

TEST_CASE("other errors and challenges without REALM/NONCE do not cause a retry") {
    LongTermCredentials creds("user", "pass");
    Bytes out;
    MessageBuilder(out, {method::allocate, MessageClass::error_response}, tid).add_error_code(401);
    CHECK_FALSE(creds.handle_error_response(*Message::decode(out)));
    CHECK_FALSE(creds.handle_error_response(*Message::decode(challenge(400, "r", "n"))));
    CHECK_FALSE(creds.handle_error_response(*Message::decode(challenge(438, "r", "n"))));
    CHECK_FALSE(creds.ready());
}
