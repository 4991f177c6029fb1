#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <floe/certificate.hpp>
#include <floe/error.hpp>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dtls/certificate.hpp"
#include "dtls/fingerprint.hpp"

using namespace floe;
using namespace floe::dtls;

TEST_CASE(
    "a generated certificate is a self-signed ECDSA P-256 one, valid from a day ago for 30 "
    "days from now") {
    const Certificate c = Certificate::generate();
    X509* x509 = dtls::identity(c).x509.get();
    EVP_PKEY* key = X509_get0_pubkey(x509);
    REQUIRE(key != nullptr);
    CHECK(EVP_PKEY_is_a(key, "EC"));
    char group[64] = {};
    size_t group_len = 0;
    REQUIRE(EVP_PKEY_get_group_name(key, group, sizeof group, &group_len) == 1);
    CHECK(std::string(group) == "prime256v1");
    CHECK(X509_verify(x509, key) == 1);  // self-signed
    CHECK(X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)) == 0);

    int days = 0, secs = 0;
    REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notBefore(x509)) == 1);
    CHECK(days * 86400 + secs <= -86000);  // about a day in the past
    CHECK(days * 86400 + secs >= -86500);
    REQUIRE(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(x509)) == 1);
    CHECK(days * 86400 + secs <= 30 * 86400);
    CHECK(days * 86400 + secs >= 30 * 86400 - 100);
}

TEST_CASE("two generated certificates differ in key, subject and fingerprint") {
    const Certificate a = Certificate::generate();
    const Certificate b = Certificate::generate();
    CHECK(a.fingerprint() != b.fingerprint());
    CHECK(X509_NAME_cmp(X509_get_subject_name(dtls::identity(a).x509.get()),
                        X509_get_subject_name(dtls::identity(b).x509.get())) != 0);
}

TEST_CASE("the fingerprint is the SDP form: sha-256 and 32 upper-case hex bytes") {
    const Certificate c = Certificate::generate();
    const std::string& fp = c.fingerprint();
    REQUIRE(fp.size() == 8 + 32 * 3 - 1);
    CHECK(fp.substr(0, 8) == "sha-256 ");
    auto digest = from_hex(std::string_view(fp).substr(8), ':');
    REQUIRE(digest.has_value());
    CHECK(*digest == certificate_digest(dtls::identity(c).x509.get(), HashFunction::sha256));
    for (char ch : fp.substr(8))
        CHECK((ch == ':' || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F')));
}

TEST_CASE(
    "fingerprint_of digests the certificate: its sha-256 is the certificate's a=fingerprint") {
    const Certificate c = Certificate::generate();
    X509* x509 = dtls::identity(c).x509.get();
    const Fingerprint sha256 = fingerprint_of(x509, HashFunction::sha256);
    CHECK(sha256.to_string() == c.fingerprint());
    const Fingerprint sha512 = fingerprint_of(x509, HashFunction::sha512);
    CHECK(sha512.algorithm == HashFunction::sha512);
    CHECK(sha512.digest.size() == 64);
    CHECK(fingerprint_matches(sha512, x509));
    CHECK_FALSE(fingerprint_matches(sha512, dtls::identity(Certificate::generate()).x509.get()));
}

TEST_CASE("a certificate survives a PEM round trip with the same fingerprint") {
    const Certificate c = Certificate::generate();
    const Certificate again = Certificate::from_pem(c.certificate_pem(), c.private_key_pem());
    CHECK(again.fingerprint() == c.fingerprint());
}

TEST_CASE("from_pem rejects garbage and a key that belongs to another certificate") {
    const Certificate a = Certificate::generate();
    const Certificate b = Certificate::generate();
    CHECK_THROWS_AS(Certificate::from_pem("not a certificate", a.private_key_pem()),
                    InvalidArgumentError);
    CHECK_THROWS_AS(Certificate::from_pem(a.certificate_pem(), "not a key"), InvalidArgumentError);
    CHECK_THROWS_AS(Certificate::from_pem(a.certificate_pem(), b.private_key_pem()),
                    InvalidArgumentError);
}

TEST_CASE("fingerprints in sha-1/224/256/384/512 parse and match the certificate") {
    const Certificate c = Certificate::generate();
    X509* x509 = dtls::identity(c).x509.get();
    const std::pair<const char*, std::size_t> cases[] = {
        {"sha-1", 20}, {"SHA-224", 28}, {"sha-256", 32}, {"sha-384", 48}, {"sha-512", 64}};
    for (const auto& entry : cases) {
        // Named copies, not a structured binding: CAPTURE's lambda may not capture one (C++20,
        // clang 14, the tsan preset's compiler).
        const char* name = entry.first;
        const std::size_t size = entry.second;
        CAPTURE(name);
        const auto algorithm = parse_hash_function(name);
        REQUIRE(algorithm.has_value());
        const Bytes digest = certificate_digest(x509, *algorithm);
        CHECK(digest.size() == size);
        auto parsed = Fingerprint::parse(std::string(name) + " " + to_hex(digest, ":"));
        REQUIRE(parsed.ok());
        CHECK(fingerprint_matches(*parsed, x509));
        Bytes wrong = digest;
        wrong.back() ^= 1;
        CHECK_FALSE(fingerprint_matches(Fingerprint{*algorithm, wrong}, x509));
    }
}

TEST_CASE("fingerprint parsing names what is wrong") {
    auto md5 = Fingerprint::parse("md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
    REQUIRE_FALSE(md5.ok());
    CHECK(md5.error() == FingerprintError::unsupported_hash_function);
    auto short_digest = Fingerprint::parse("sha-256 00:11:22");
    REQUIRE_FALSE(short_digest.ok());
    CHECK(short_digest.error() == FingerprintError::malformed_digest);
    CHECK(Fingerprint::parse("sha-256").error() == FingerprintError::no_hash_function);
    CHECK_FALSE(
        Fingerprint::parse("sha-1 zz:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33")
            .ok());
}

// Issue 17: a server keeps its identity across restarts by saving to_pem() and loading it again.
TEST_CASE(
    "a certificate survives a round trip through to_pem() and from_pem(text): same "
    "fingerprint, expiry and key") {
    const Certificate c = Certificate::generate(std::chrono::hours(24 * 365));
    const std::string pem = c.to_pem();
    CHECK(pem.find("-----BEGIN CERTIFICATE-----") == 0);
    CHECK(pem.find("-----BEGIN PRIVATE KEY-----") != std::string::npos);
    const Certificate again = Certificate::from_pem(pem);
    CHECK(again.fingerprint() == c.fingerprint());
    CHECK(again.expires() == c.expires());
    CHECK(again.to_pem() == pem);
    CHECK(EVP_PKEY_eq(dtls::identity(again).key.get(), dtls::identity(c).key.get()) == 1);
    // The blocks in the other order, with text around them, as files written by hand often are.
    const Certificate reordered =
        Certificate::from_pem("# identity of the test server\n" + c.private_key_pem() + "\n" +
                              c.certificate_pem() + "trailing words\n");
    CHECK(reordered.fingerprint() == c.fingerprint());
}

TEST_CASE(
    "from_pem reads the key as PKCS#8 \"PRIVATE KEY\" and as SEC1 \"EC PRIVATE KEY\", the same "
    "key either way") {
    const Certificate c = Certificate::generate();
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PrivateKey_traditional(bio, dtls::identity(c).key.get(), nullptr, nullptr,
                                                 0, nullptr, nullptr) == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    const std::string sec1(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    REQUIRE(sec1.find("-----BEGIN EC PRIVATE KEY-----") == 0);
    for (const std::string& key : {sec1, c.private_key_pem()}) {
        const Certificate loaded = Certificate::from_pem(c.certificate_pem() + key);
        CHECK(loaded.fingerprint() == c.fingerprint());
        CHECK(EVP_PKEY_eq(dtls::identity(loaded).key.get(), dtls::identity(c).key.get()) == 1);
        // The key signs: it is usable for the handshake, not only comparable.
        CHECK(X509_check_private_key(dtls::identity(loaded).x509.get(),
                                     dtls::identity(loaded).key.get()) == 1);
    }
}

TEST_CASE("expires() is the certificate's notAfter: generate(valid_for) from now") {
    using namespace std::chrono;
    const auto before = system_clock::now();
    const Certificate c = Certificate::generate(hours(2));
    const auto after = system_clock::now();
    // X.509 dates have whole seconds, and OpenSSL stamps them from time(), which on Linux reads
    // the kernel's coarse clock: it may still show the previous second when system_clock::now()
    // has passed it (a CI run saw exactly that). One second of slack, no more.
    CHECK(c.expires() >= floor<seconds>(before) - seconds(1) + hours(2));
    CHECK(c.expires() <= after + hours(2));
    CHECK_THROWS_AS(Certificate::generate(seconds(0)), InvalidArgumentError);
}

namespace {
std::string what_from_pem(const std::string& pem) {
    try {
        Certificate::from_pem(pem);
    } catch (const InvalidArgumentError& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST_CASE(
    "from_pem(text) names what is wrong: no certificate, no key, an encrypted key, another "
    "certificate's key, a key that is not EC, a block that does not parse") {
    const Certificate a = Certificate::generate();
    const Certificate b = Certificate::generate();
    CHECK(what_from_pem("garbage").find("no complete \"-----BEGIN CERTIFICATE-----\"") !=
          std::string::npos);
    CHECK(what_from_pem(a.private_key_pem()).find("no complete \"-----BEGIN CERTIFICATE-----\"") !=
          std::string::npos);
    CHECK(what_from_pem(a.certificate_pem()).find("no complete \"-----BEGIN PRIVATE KEY-----\"") !=
          std::string::npos);
    CHECK(what_from_pem(a.certificate_pem() + "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                                              "-----END ENCRYPTED PRIVATE KEY-----\n")
              .find("encrypted") != std::string::npos);
    CHECK(what_from_pem(a.certificate_pem() + b.private_key_pem())
              .find("does not belong to the certificate") != std::string::npos);
    CHECK(what_from_pem(
              "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n" +
              a.private_key_pem())
              .find("certificate PEM does not parse") == 0);
    // A truncated PEM (a file cut short on disk): the key block has no END line.
    const std::string pem = a.to_pem();
    CHECK(what_from_pem(pem.substr(0, pem.size() - 30))
              .find("no complete \"-----BEGIN PRIVATE KEY-----\"") != std::string::npos);

    EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
    REQUIRE(rsa != nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_PrivateKey(bio, rsa, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    const std::string rsa_pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    EVP_PKEY_free(rsa);
    CHECK(what_from_pem(a.certificate_pem() + rsa_pem).find("the private key is RSA") == 0);
}
