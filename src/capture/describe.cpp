#include "capture/describe.hpp"

#include <floe/stun/message.hpp>

#include <array>
#include <cstdio>
#include <optional>
#include <string_view>

#include "common/byte_reader.hpp"
#include "common/text.hpp"
#include "dtls/fingerprint.hpp"
#include "dtls/record_protection.hpp"

#include <openssl/x509.h>

namespace floe::capture {
namespace {

constexpr std::string_view indent = "\n    ";

std::string hex16(std::uint16_t v) {
    char out[8];
    std::snprintf(out, sizeof out, "0x%04x", v);
    return out;
}

std::string text_value(std::string_view v) {
    return "\"" + text::printable(v) + "\"";
}

// ---- STUN ---------------------------------------------------------------------------------------

std::string describe_attribute(const stun::Message& m, const stun::RawAttribute& a) {
    namespace attr = stun::attr;
    const auto name = stun::attribute_name(a.type);
    std::string out = name ? std::string(*name) : "attribute " + hex16(a.type);
    const auto address = [&](std::optional<SocketAddress> v) {
        out += v ? " " + v->to_string() : " (malformed)";
    };
    switch (a.type) {
        case attr::mapped_address:
            address(m.mapped_address());
            break;
        case attr::xor_mapped_address:
            address(m.xor_mapped_address());
            break;
        case attr::alternate_server:
            address(m.alternate_server());
            break;
        case attr::username:
            out += " " + text_value(m.username().value_or(""));
            break;
        case attr::realm:
            out += " " + text_value(m.realm().value_or(""));
            break;
        case attr::nonce:
            out += " " + text_value(m.nonce().value_or(""));
            break;
        case attr::software:
            out += " " + text_value(m.software().value_or(""));
            break;
        case attr::priority:
            out += " " + std::to_string(m.priority().value_or(0));
            break;
        case attr::ice_controlling:
        case attr::ice_controlled: {
            const auto tie =
                a.type == attr::ice_controlling ? m.ice_controlling() : m.ice_controlled();
            out += " tie-breaker " + to_hex(ByteSpan(m.value(a)));
            if (!tie) out += " (malformed)";
            break;
        }
        case attr::error_code:
            if (const auto e = m.error_code())
                out += " " + std::to_string(e->code) + " " + text_value(e->reason);
            break;
        case attr::use_candidate:
        case attr::message_integrity:
        case attr::message_integrity_sha256:
        case attr::fingerprint:
            break;  // named; verification is reported below
        default:
            out += " (" + std::to_string(a.length) + " B)";
            break;
    }
    return out;
}

}  // namespace

std::string describe_stun(ByteSpan message, std::span<const stun::IntegrityKey> integrity_keys) {
    auto decoded = stun::Message::decode(message);
    if (!decoded) {
        return "STUN, " + std::to_string(message.size()) +
               " B, malformed: " + std::string(stun::to_string(decoded.error()));
    }
    const stun::Message& m = *decoded;
    std::string out = "STUN " + stun::describe(m.type()) + " " +
                      to_hex(ByteSpan(m.transaction_id())) + ", " + std::to_string(message.size()) +
                      " B";
    for (const auto& a : m.attributes())
        out += std::string(indent) + describe_attribute(m, a);

    std::string checks;
    if (m.fingerprint()) checks += m.check_fingerprint() ? "fingerprint ok" : "fingerprint BAD";
    const bool sha1 = m.message_integrity().has_value();
    const bool sha256 = m.message_integrity_sha256().has_value();
    if (sha1 || sha256) {
        if (!checks.empty()) checks += ", ";
        if (integrity_keys.empty()) {
            checks += "integrity not checked (no key)";
        } else {
            std::optional<std::size_t> matched;
            for (std::size_t i = 0; i < integrity_keys.size() && !matched; ++i) {
                const bool ok = sha1 ? m.check_integrity(integrity_keys[i])
                                     : m.check_integrity_sha256(integrity_keys[i]);
                if (ok) matched = i;
            }
            checks += matched ? "integrity ok (key " + std::to_string(*matched + 1) + ")"
                              : "integrity FAILS with every known key";
        }
    }
    if (!checks.empty()) out += std::string(indent) + checks;
    return out;
}

// ---- DTLS ---------------------------------------------------------------------------------------
namespace {

std::string_view handshake_name(std::uint8_t type) {
    switch (type) {
        case 0:
            return "HelloRequest";
        case 1:
            return "ClientHello";
        case 2:
            return "ServerHello";
        case 3:
            return "HelloVerifyRequest";
        case 4:
            return "NewSessionTicket";
        case 11:
            return "Certificate";
        case 12:
            return "ServerKeyExchange";
        case 13:
            return "CertificateRequest";
        case 14:
            return "ServerHelloDone";
        case 15:
            return "CertificateVerify";
        case 16:
            return "ClientKeyExchange";
        case 20:
            return "Finished";
        default:
            return "";
    }
}

// The TLS 1.2 suites WebRTC stacks offer (IANA names); others print as hex.
std::string suite_name(std::uint16_t suite) {
    switch (suite) {
        case 0xC02B:
            return "ECDHE_ECDSA_AES_128_GCM_SHA256";
        case 0xC02C:
            return "ECDHE_ECDSA_AES_256_GCM_SHA384";
        case 0xC02F:
            return "ECDHE_RSA_AES_128_GCM_SHA256";
        case 0xC030:
            return "ECDHE_RSA_AES_256_GCM_SHA384";
        case 0xCCA9:
            return "ECDHE_ECDSA_CHACHA20_POLY1305";
        case 0xCCA8:
            return "ECDHE_RSA_CHACHA20_POLY1305";
        case 0xC009:
            return "ECDHE_ECDSA_AES_128_CBC_SHA";
        case 0xC00A:
            return "ECDHE_ECDSA_AES_256_CBC_SHA";
        case 0xC013:
            return "ECDHE_RSA_AES_128_CBC_SHA";
        case 0xC014:
            return "ECDHE_RSA_AES_256_CBC_SHA";
        case 0x009C:
            return "RSA_AES_128_GCM_SHA256";
        case 0x009D:
            return "RSA_AES_256_GCM_SHA384";
        case 0x002F:
            return "RSA_AES_128_CBC_SHA";
        case 0x0035:
            return "RSA_AES_256_CBC_SHA";
        case 0x00FF:
            return "EMPTY_RENEGOTIATION_INFO_SCSV";
        default:
            return hex16(suite);
    }
}

std::string extension_name(std::uint16_t type) {
    switch (type) {
        case 0:
            return "server_name";
        case 10:
            return "supported_groups";
        case 11:
            return "ec_point_formats";
        case 13:
            return "signature_algorithms";
        case 14:
            return "use_srtp";
        case 16:
            return "alpn";
        case 22:
            return "encrypt_then_mac";
        case 23:
            return "extended_master_secret";
        case 35:
            return "session_ticket";
        case 43:
            return "supported_versions";
        case 45:
            return "psk_key_exchange_modes";
        case 51:
            return "key_share";
        case 0xFF01:
            return "renegotiation_info";
        default:
            return hex16(type);
    }
}

// RFC 5764 §4.1.2 and RFC 7714 §14.2 profile names.
std::string srtp_profile_name(std::uint16_t profile) {
    switch (profile) {
        case 0x0001:
            return "SRTP_AES128_CM_SHA1_80";
        case 0x0002:
            return "SRTP_AES128_CM_SHA1_32";
        case 0x0007:
            return "SRTP_AEAD_AES_128_GCM";
        case 0x0008:
            return "SRTP_AEAD_AES_256_GCM";
        default:
            return hex16(profile);
    }
}

std::string_view alert_name(std::uint8_t description) {
    switch (description) {
        case 0:
            return "close_notify";
        case 10:
            return "unexpected_message";
        case 20:
            return "bad_record_mac";
        case 22:
            return "record_overflow";
        case 40:
            return "handshake_failure";
        case 42:
            return "bad_certificate";
        case 43:
            return "unsupported_certificate";
        case 44:
            return "certificate_revoked";
        case 45:
            return "certificate_expired";
        case 46:
            return "certificate_unknown";
        case 47:
            return "illegal_parameter";
        case 48:
            return "unknown_ca";
        case 49:
            return "access_denied";
        case 50:
            return "decode_error";
        case 51:
            return "decrypt_error";
        case 70:
            return "protocol_version";
        case 71:
            return "insufficient_security";
        case 80:
            return "internal_error";
        case 86:
            return "inappropriate_fallback";
        case 90:
            return "user_canceled";
        case 100:
            return "no_renegotiation";
        case 110:
            return "unsupported_extension";
        default:
            return "";
    }
}

std::string version_name(std::uint16_t v) {
    if (v == 0xFEFF) return "DTLS 1.0";
    if (v == 0xFEFD) return "DTLS 1.2";
    if (v == 0xFEFC) return "DTLS 1.3";
    return hex16(v);
}

// The extensions block of a hello: "extensions: a, b, c" (use_srtp with its profiles).
std::string describe_extensions(ByteReader& r) {
    const auto total = r.u16();
    const auto block = total ? r.bytes(*total) : std::nullopt;
    if (!block) return "no extensions";
    ByteReader e(*block);
    std::string out = "extensions:";
    while (!e.empty()) {
        const auto type = e.u16();
        const auto length = e.u16();
        const auto body = length ? e.bytes(*length) : std::nullopt;
        if (!type || !body) return out + " (truncated)";
        out += " " + extension_name(*type);
        if (*type == 14) {  // RFC 5764 §4.1.1: profiles list, then MKI
            ByteReader p(*body);
            const auto n = p.u16();
            std::string profiles;
            for (std::size_t i = 0; n && i + 2 <= *n; i += 2)
                if (const auto profile = p.u16())
                    profiles += (profiles.empty() ? "" : ",") + srtp_profile_name(*profile);
            out += "(" + profiles + ")";
        }
        if (!e.empty()) out += ",";
    }
    return out;
}

// ClientHello (RFC 6347 §4.2.1): version, random, session id, cookie, suites, compression,
// extensions.
std::string describe_client_hello(ByteSpan body) {
    ByteReader r(body);
    const auto version = r.u16();
    if (!version || !r.skip(32)) return "(truncated)";
    const auto session = r.u8();
    if (!session || !r.skip(*session)) return "(truncated)";
    const auto cookie_length = r.u8();
    const auto cookie = cookie_length ? r.bytes(*cookie_length) : std::nullopt;
    const auto suites_length = r.u16();
    const auto suites = suites_length ? r.bytes(*suites_length) : std::nullopt;
    if (!cookie || !suites) return "(truncated)";
    std::string out =
        version_name(*version) + ", cookie " +
        (cookie->empty() ? std::string("none") : std::to_string(cookie->size()) + " B") + ", " +
        std::to_string(suites->size() / 2) + " suites:";
    ByteReader s(*suites);
    while (const auto suite = s.u16())
        out += " " + suite_name(*suite);
    const auto compression = r.u8();
    if (!compression || !r.skip(*compression)) return out + std::string(indent) + "(truncated)";
    return out + std::string(indent) + describe_extensions(r);
}

std::string describe_server_hello(ByteSpan body) {
    ByteReader r(body);
    const auto version = r.u16();
    if (!version || !r.skip(32)) return "(truncated)";
    const auto session = r.u8();
    if (!session || !r.skip(*session)) return "(truncated)";
    const auto suite = r.u16();
    if (!suite || !r.skip(1)) return "(truncated)";
    return version_name(*version) + ", chose " + suite_name(*suite) + std::string(indent) +
           describe_extensions(r);
}

// Certificate (RFC 5246 §7.4.2): a list of DER certificates; the first is the peer's, whose
// fingerprint the SDP's a=fingerprint must match.
std::string describe_certificate(ByteSpan body) {
    ByteReader r(body);
    const auto list = r.u24();
    const auto first_length = r.u24();
    const auto der = first_length ? r.bytes(*first_length) : std::nullopt;
    if (!list || !der) return "(truncated)";
    const unsigned char* p = der->data();
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der->size()));
    if (!cert) return "certificate not parsable";
    std::string out = "fingerprint " + dtls::fingerprint_of(cert, HashFunction::sha256).to_string();
    X509_free(cert);
    return out;
}

// The handshake messages of one epoch-0 record (RFC 6347 §4.2.2 header: type, length,
// message_seq, fragment_offset, fragment_length).
void describe_handshake(ByteSpan fragment, std::string& out) {
    ByteReader r(fragment);
    while (!r.empty()) {
        const auto type = r.u8();
        const auto length = r.u24();
        const auto seq = r.u16();
        const auto offset = r.u24();
        const auto fragment_length = r.u24();
        const auto body = fragment_length ? r.bytes(*fragment_length) : std::nullopt;
        if (!type || !length || !seq || !offset || !body) {
            out += " (truncated handshake message)";
            return;
        }
        const std::string_view name = handshake_name(*type);
        out += " " + (name.empty() ? "handshake type " + std::to_string(*type) : std::string(name));
        const bool whole = *offset == 0 && *fragment_length == *length;
        if (!whole) {
            out += "[fragment " + std::to_string(*offset) + "+" + std::to_string(*fragment_length) +
                   " of " + std::to_string(*length) + "]";
            continue;
        }
        std::string detail;
        if (*type == 1) detail = describe_client_hello(*body);
        if (*type == 2) detail = describe_server_hello(*body);
        if (*type == 11) detail = describe_certificate(*body);
        if (!detail.empty()) out += std::string(indent) + std::string(name) + ": " + detail;
    }
}

std::string_view record_name(std::uint8_t type) {
    switch (static_cast<dtls::ContentType>(type)) {
        case dtls::ContentType::change_cipher_spec:
            return "change_cipher_spec";
        case dtls::ContentType::alert:
            return "alert";
        case dtls::ContentType::handshake:
            return "handshake";
        case dtls::ContentType::application_data:
            return "application_data";
    }
    return "record";
}

}  // namespace

std::string describe_dtls(ByteSpan datagram) {
    std::string out = "DTLS, " + std::to_string(datagram.size()) + " B";
    ByteReader r(datagram);
    while (!r.empty()) {
        const std::size_t at = r.position();
        const auto record = dtls::next_record(r);
        if (!record) {
            out += std::string(indent) + "(" + std::to_string(datagram.size() - at) +
                   " B that are not a DTLS record)";
            break;
        }
        out += std::string(indent) + std::string(record_name(record->type)) + " epoch " +
               std::to_string(record->epoch) + " seq " + std::to_string(record->sequence) + ", " +
               std::to_string(record->body.size()) + " B";
        if (record->epoch != 0) {
            if (record->type == 22)
                out += " (encrypted: Finished)";
            else if (record->type == 21)
                out += " (encrypted)";
            continue;
        }
        if (record->type == 22) describe_handshake(record->body, out);
        if (record->type == 21 && record->body.size() >= 2) {
            const std::string_view name = alert_name(record->body[1]);
            out += std::string(record->body[0] == 2 ? " fatal " : " warning ") +
                   (name.empty() ? "alert " + std::to_string(record->body[1]) : std::string(name));
        }
    }
    return out;
}

std::string describe_datagram(ByteSpan datagram,
                              std::span<const stun::IntegrityKey> integrity_keys) {
    if (datagram.empty()) return "empty datagram";
    // RFC 7983 §7: the first byte says which protocol a datagram belongs to.
    const std::uint8_t first = datagram.front();
    if (first <= 3) return describe_stun(datagram, integrity_keys);
    if (first >= 20 && first <= 63) return describe_dtls(datagram);
    return "unknown datagram, first byte " + std::to_string(first) + ", " +
           std::to_string(datagram.size()) + " B";
}

}  // namespace floe::capture
