#include "dtls/certificate.hpp"

#include <floe/error.hpp>

#include <ctime>
#include <initializer_list>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/random.hpp"
#include "dtls/fingerprint.hpp"

namespace floe {

namespace {

using dtls::BioPtr;
using dtls::EvpPkeyPtr;
using dtls::take_openssl_errors;
using dtls::X509Ptr;

[[noreturn]] void throw_openssl(const std::string& what) {
    throw Error(what + ": " + take_openssl_errors());
}

std::shared_ptr<const CertificateAccess::Impl> make_impl(X509Ptr x509, EvpPkeyPtr key) {
    auto impl = std::make_shared<CertificateAccess::Impl>();
    impl->fingerprint = dtls::fingerprint_of(x509.get(), HashFunction::sha256);
    impl->fingerprint_text = impl->fingerprint.to_string();
    std::tm not_after{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x509.get()), &not_after) != 1)
        throw InvalidArgumentError("the certificate's notAfter date does not parse: " +
                                   take_openssl_errors());
    impl->expires = std::chrono::system_clock::from_time_t(timegm(&not_after));
    impl->x509 = std::move(x509);
    impl->key = std::move(key);
    return impl;
}

std::string bio_to_string(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

// The first PEM block ("-----BEGIN <label>-----" to its END line) whose label is one of `labels`,
// or empty. PEM files often carry other blocks (a chain, EC PARAMETERS) beside the ones we want.
std::string_view find_pem_block(std::string_view pem,
                                std::initializer_list<std::string_view> labels) {
    for (std::size_t at = pem.find("-----BEGIN "); at != std::string_view::npos;
         at = pem.find("-----BEGIN ", at + 1)) {
        const std::size_t label_at = at + 11;
        const std::size_t label_end = pem.find("-----", label_at);
        if (label_end == std::string_view::npos) break;
        const std::string_view label = pem.substr(label_at, label_end - label_at);
        for (std::string_view wanted : labels) {
            if (label != wanted) continue;
            const std::string end_line = "-----END " + std::string(label) + "-----";
            const std::size_t end = pem.find(end_line, label_end);
            if (end == std::string_view::npos) return {};
            return pem.substr(at, end + end_line.size() - at);
        }
    }
    return {};
}

// The P-256 key through the EC_KEY API, deprecated in OpenSSL 3 but still supported there, rather
// than EVP_EC_gen. With a key from a provider, X509_set_pubkey encodes the public key with the
// encoder framework and decodes it again with the decoder framework; in OpenSSL 3.0 each builds a
// context by walking every registered encoder or decoder, which cost 2.3 million instructions per
// certificate (callgrind, `floe bench W2`): more than key generation and signing together, and a
// quarter of a whole connection setup. A key made this way carries its ASN.1 method, so
// X509_set_pubkey writes the SubjectPublicKeyInfo directly. The key is the same: P-256, named
// curve, uncompressed point.
EvpPkeyPtr generate_p256_key() {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    EC_KEY* ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    EvpPkeyPtr key(EVP_PKEY_new());
    if (!ec || !key || EC_KEY_generate_key(ec) != 1 || EVP_PKEY_assign_EC_KEY(key.get(), ec) != 1) {
        EC_KEY_free(ec);
        return nullptr;
    }
#pragma GCC diagnostic pop
    return key;
}

// The EC private key of a PEM block, read through the legacy EC_KEY decoder for the same reason
// generate_p256_key() makes its key that way: PEM_read_bio_PrivateKey goes through OpenSSL 3.0's
// decoder framework, which builds a context by walking every registered decoder. That cost 3.8
// million instructions per key (callgrind, `floe bench W2 --once --certificate FILE`), more than
// generating one. Handles "EC PRIVATE KEY" (SEC1, RFC 5915) and "PRIVATE KEY" (PKCS#8, RFC 5208)
// with a named curve, as OpenSSL, browsers and floe write them; anything else (other key types,
// explicit curve parameters): nullptr, and the caller takes the general path.
EvpPkeyPtr read_ec_private_key(BIO* bio) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* der = nullptr;
    long size = 0;
    if (PEM_read_bio(bio, &name, &header, &der, &size) != 1) return nullptr;
    const std::string label = name;
    const bool encrypted = header[0] != '\0';  // RFC 1421 "Proc-Type: 4,ENCRYPTED"
    OPENSSL_free(name);
    OPENSSL_free(header);
    EC_KEY* ec = nullptr;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    if (!encrypted && label == "EC PRIVATE KEY") {
        const unsigned char* p = der;
        ec = d2i_ECPrivateKey(nullptr, &p, size);
    } else if (!encrypted && label == "PRIVATE KEY") {
        const unsigned char* p = der;
        PKCS8_PRIV_KEY_INFO* p8 = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, size);
        const ASN1_OBJECT* algorithm = nullptr;
        const unsigned char* key_der = nullptr;
        int key_size = 0;
        const X509_ALGOR* algor = nullptr;
        int parameter_type = 0;
        const void* parameter = nullptr;
        if (p8 && PKCS8_pkey_get0(&algorithm, &key_der, &key_size, &algor, p8) == 1 &&
            OBJ_obj2nid(algorithm) == NID_X9_62_id_ecPublicKey) {
            X509_ALGOR_get0(nullptr, &parameter_type, &parameter, algor);
            // RFC 5480 §2.1.1: the curve is named in the algorithm's parameters, and the
            // ECPrivateKey inside may leave it out.
            if (parameter_type == V_ASN1_OBJECT) {
                ec = EC_KEY_new_by_curve_name(
                    OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(parameter)));
                if (ec && !d2i_ECPrivateKey(&ec, &key_der, key_size)) {
                    EC_KEY_free(ec);
                    ec = nullptr;
                }
            }
        }
        PKCS8_PRIV_KEY_INFO_free(p8);
    }
    OPENSSL_free(der);
    EvpPkeyPtr key(ec ? EVP_PKEY_new() : nullptr);
    if (!key || EVP_PKEY_assign_EC_KEY(key.get(), ec) != 1) {
        EC_KEY_free(ec);
        return nullptr;
    }
#pragma GCC diagnostic pop
    return key;
}

}  // namespace

Certificate Certificate::generate(std::chrono::seconds valid_for) {
    if (valid_for <= std::chrono::seconds(0))
        throw InvalidArgumentError("a certificate must be valid for a positive duration, not " +
                                   std::to_string(valid_for.count()) + " s");
    EvpPkeyPtr key = generate_p256_key();
    if (!key) throw_openssl("generating the P-256 key failed");
    X509Ptr x509(X509_new());
    if (!x509) throw_openssl("X509_new failed");

    Random& random = crypto_random();
    std::uint8_t serial_bytes[16];
    random.fill(serial_bytes);
    serial_bytes[0] &= 0x7f;  // a positive serial
    BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
    const std::string common_name = "floe-" + random.string(16, "0123456789abcdef");

    X509_NAME* name = X509_get_subject_name(x509.get());
    const bool ok =
        serial && BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x509.get())) &&
        X509_set_version(x509.get(), X509_VERSION_3) &&
        X509_gmtime_adj(X509_getm_notBefore(x509.get()), -24L * 3600) &&
        X509_gmtime_adj(X509_getm_notAfter(x509.get()), static_cast<long>(valid_for.count())) &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) &&
        X509_set_issuer_name(x509.get(), name) && X509_set_pubkey(x509.get(), key.get()) &&
        X509_sign(x509.get(), key.get(), EVP_sha256()) > 0;
    BN_free(serial);
    if (!ok) throw_openssl("making the self-signed certificate failed");
    return Certificate(make_impl(std::move(x509), std::move(key)));
}

Certificate Certificate::from_pem(std::string_view pem) {
    const std::string_view certificate = find_pem_block(pem, {"CERTIFICATE"});
    if (certificate.empty())
        throw InvalidArgumentError(
            "the PEM text has no complete \"-----BEGIN CERTIFICATE-----\" ... \"-----END "
            "CERTIFICATE-----\" block");
    const std::string_view key = find_pem_block(pem, {"PRIVATE KEY", "EC PRIVATE KEY"});
    if (key.empty()) {
        if (!find_pem_block(pem, {"ENCRYPTED PRIVATE KEY"}).empty())
            throw InvalidArgumentError(
                "the PEM text's private key is encrypted; floe reads unencrypted keys only");
        throw InvalidArgumentError(
            "the PEM text has no complete \"-----BEGIN PRIVATE KEY-----\" ... \"-----END PRIVATE "
            "KEY-----\" block (the certificate's key)");
    }
    return from_pem(certificate, key);
}

Certificate Certificate::from_pem(std::string_view certificate_pem,
                                  std::string_view private_key_pem) {
    // A certificate and a key are a few kilobytes; the bound keeps the int casts below exact.
    constexpr std::size_t max_pem = 1 << 20;
    if (certificate_pem.size() > max_pem || private_key_pem.size() > max_pem)
        throw InvalidArgumentError("PEM text larger than 1 MiB");
    BioPtr cert_bio(
        BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
    BioPtr key_bio(
        BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
    if (!cert_bio || !key_bio) throw_openssl("BIO_new_mem_buf failed");
    X509Ptr x509(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    if (!x509)
        throw InvalidArgumentError("certificate PEM does not parse: " + take_openssl_errors());
    EvpPkeyPtr key = read_ec_private_key(key_bio.get());
    if (!key) {  // not a plain EC key: the general reader, which also names what is wrong
        ERR_clear_error();
        key_bio.reset(
            BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
        if (!key_bio) throw_openssl("BIO_new_mem_buf failed");
        key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    }
    if (!key)
        throw InvalidArgumentError("private key PEM does not parse: " + take_openssl_errors());
    // The shared DTLS context offers ECDHE-ECDSA suites only, as browsers do with their ECDSA
    // certificates (dtls/openssl_context.cpp): an RSA identity would fail every handshake later.
    if (!EVP_PKEY_is_a(key.get(), "EC")) {
        const char* type = EVP_PKEY_get0_type_name(key.get());
        throw InvalidArgumentError(
            std::string("the private key is ") + (type ? type : "not EC") +
            "; floe's DTLS uses ECDSA (an EC key, P-256 as generate() makes)");
    }
    if (X509_check_private_key(x509.get(), key.get()) != 1)
        throw InvalidArgumentError("the private key does not belong to the certificate: " +
                                   take_openssl_errors());
    return Certificate(make_impl(std::move(x509), std::move(key)));
}

const std::string& Certificate::fingerprint() const {
    return impl_->fingerprint_text;
}

std::chrono::system_clock::time_point Certificate::expires() const {
    return impl_->expires;
}

std::string Certificate::to_pem() const {
    return certificate_pem() + private_key_pem();
}

std::string Certificate::certificate_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), impl_->x509.get()) != 1)
        throw_openssl("PEM_write_bio_X509 failed");
    return bio_to_string(bio.get());
}

std::string Certificate::private_key_pem() const {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1)
        throw_openssl("PEM_write_bio_PrivateKey failed");
    return bio_to_string(bio.get());
}

namespace dtls {

std::string take_openssl_errors() {
    std::string out;
    while (unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        if (!out.empty()) out += "; ";
        out += text;
    }
    return out;
}

}  // namespace dtls

}  // namespace floe
