#include "stun/long_term_credentials.hpp"

#include "common/log.hpp"

namespace floe::stun {

namespace {
// RFC 8489 §9.2: a NONCE starting with this cookie announces the security features.
constexpr std::string_view nonce_cookie = "obMatJos2";
}  // namespace

bool LongTermCredentials::handle_error_response(const Message& response) {
    const auto code = response.error_code();
    if (!code || response.message_class() != MessageClass::error_response) return false;
    const auto nonce = response.nonce();
    if (code->code == error::unauthorized) {
        // Credentials already sent with this nonce and still refused: they are wrong.
        if (sent_credentials_ && key_ && nonce && *nonce == nonce_) return false;
        const auto realm = response.realm();
        if (!realm || !nonce) return false;
        const bool realm_changed = *realm != realm_;
        realm_ = std::string(*realm);
        nonce_ = std::string(*nonce);
        PasswordAlgorithm algorithm = PasswordAlgorithm::md5;
        offered_algorithms_.reset();
        if (nonce_.compare(0, nonce_cookie.size(), nonce_cookie) == 0) {
            if (auto offered = response.password_algorithms()) {
                const ByteSpan raw = *response.value(attr::password_algorithms);
                offered_algorithms_ = Bytes(raw.begin(), raw.end());
                if (offered->contains(PasswordAlgorithm::sha256))
                    algorithm = PasswordAlgorithm::sha256;
                else if (!offered->contains(PasswordAlgorithm::md5))
                    return false;  // nothing we can use
            }
        }
        if (!key_ || realm_changed || algorithm != algorithm_) {
            algorithm_ = algorithm;
            derive_key();
        }
        sent_credentials_ = true;
        return true;
    }
    if (code->code == error::stale_nonce) {
        if (!key_ || !nonce || *nonce == nonce_) return false;
        nonce_ = std::string(*nonce);
        if (auto realm = response.realm(); realm && *realm != realm_) {
            realm_ = std::string(*realm);
            derive_key();
        }
        return true;
    }
    return false;
}

void LongTermCredentials::derive_key() {
    key_ = algorithm_ == PasswordAlgorithm::sha256
               ? IntegrityKey::long_term_sha256(username_, realm_, password_)
               : IntegrityKey::long_term_md5(username_, realm_, password_);
}

void LongTermCredentials::add_to(MessageBuilder& builder) const {
    if (!key_) return;
    builder.add_username(username_).add_realm(realm_).add_nonce(nonce_);
    if (offered_algorithms_) {
        builder.add(attr::password_algorithms, *offered_algorithms_);
        builder.add_password_algorithm({static_cast<std::uint16_t>(algorithm_), {}});
    }
    if (algorithm_ == PasswordAlgorithm::sha256)
        builder.add_message_integrity_sha256(*key_);
    else
        builder.add_message_integrity(*key_);
}

bool LongTermCredentials::check_response(const Message& response) const {
    if (!key_) return false;
    return algorithm_ == PasswordAlgorithm::sha256 ? response.check_integrity_sha256(*key_)
                                                   : response.check_integrity(*key_);
}

}  // namespace floe::stun
