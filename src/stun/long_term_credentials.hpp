// Client side of the long-term credential mechanism (RFC 8489 §9.2), for TURN.
//
// The first request goes without credentials. A 401 (Unauthorized) brings REALM and NONCE, and
// PASSWORD-ALGORITHMS when the server offers SHA-256 (its NONCE then starts with the "nonce
// cookie" obMatJos2); the client derives the key and retries with USERNAME, REALM, NONCE, the
// algorithms and MESSAGE-INTEGRITY (MD5 key) or MESSAGE-INTEGRITY-SHA256 (SHA-256 key). A 438
// (Stale Nonce) brings a fresh NONCE to retry with. A 401 to a request that carried credentials
// means they are wrong: no retry.
//
//   LongTermCredentials creds("user", "pass");
//   build request: ...attributes...; creds.add_to(builder); builder.add_fingerprint();
//   on error response r: if (creds.handle_error_response(r)) rebuild and resend (new transaction)
//
// Scope cuts: USERHASH is not sent (USERNAME is), the password is used as given (no OpaqueString
// preparation), the key is derived once per realm/algorithm.
#pragma once

#include <optional>
#include <string>

#include <floe/stun/attributes.hpp>
#include <floe/stun/builder.hpp>
#include <floe/stun/integrity.hpp>
#include <floe/stun/message.hpp>

namespace floe::stun {

class LongTermCredentials {
  public:
    LongTermCredentials(std::string username, std::string password)
        : username_(std::move(username)), password_(std::move(password)) {}

    // True once a challenge was met: requests then carry credentials.
    bool ready() const { return key_.has_value(); }
    // Reads an error response to our request; true if the request should be sent again (with
    // add_to() now adding the new credentials).
    bool handle_error_response(const Message& response);
    // Adds USERNAME, REALM, NONCE, PASSWORD-ALGORITHMS/PASSWORD-ALGORITHM when negotiated, and
    // the MESSAGE-INTEGRITY(-SHA256). Call after the request's own attributes, before FINGERPRINT.
    // Does nothing before the first challenge.
    void add_to(MessageBuilder& builder) const;
    // A response to a request carrying credentials must carry a valid integrity attribute.
    bool check_response(const Message& response) const;

    // The key responses must be signed with, once a challenge was met.
    const std::optional<IntegrityKey>& key() const { return key_; }
    const std::string& realm() const { return realm_; }
    const std::string& nonce() const { return nonce_; }
    PasswordAlgorithm algorithm() const { return algorithm_; }

  private:
    void derive_key();

    std::string username_, password_, realm_, nonce_;
    std::optional<Bytes> offered_algorithms_;  // PASSWORD-ALGORITHMS value to echo
    PasswordAlgorithm algorithm_ = PasswordAlgorithm::md5;
    std::optional<IntegrityKey> key_;
    bool sent_credentials_ = false;
};

}  // namespace floe::stun
