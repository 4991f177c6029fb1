// Configuration::certificates (issue 17): a supplied identity is the one advertised and presented,
// can be shared by many PeerConnections, a wrong one is refused before anything starts, and the
// command line keeps one in a file.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include <floe/certificate.hpp>
#include <floe/error.hpp>
#include <floe/peer_connection.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dtls/certificate.hpp"
#include "e2e_support.hpp"
#include "support/process.hpp"

using namespace floe;
using namespace floe::test;

namespace {

// "sha-256 AB:CD:..." of a certificate in a stats report, as Certificate::fingerprint() says it.
std::string fingerprint(const CertificateStats* c) {
    return c ? describe(*c) : "(none)";
}

Configuration with_certificate(const Certificate& c) {
    Configuration config = loopback_config();
    config.certificates = {c};
    return config;
}

// Connects `a` (offerer) and `b` and waits until both are connected with the channel open.
void connect(PeerConnection& a, PeerConnection& b) {
    auto dc = a.create_data_channel("id");
    Inbox inbox;
    inbox.attach(dc);
    signal_complete(a, b);
    REQUIRE(eventually([&] {
        return a.connection_state() == PeerConnectionState::connected &&
               b.connection_state() == PeerConnectionState::connected && inbox.opens == 1;
    }));
}

// `c` re-signed with its notAfter an hour in the past.
Certificate expired_copy(const Certificate& c) {
    X509* x509 = X509_dup(dtls::identity(c).x509.get());
    REQUIRE(x509 != nullptr);
    REQUIRE(X509_gmtime_adj(X509_getm_notAfter(x509), -3600) != nullptr);
    REQUIRE(X509_sign(x509, dtls::identity(c).key.get(), EVP_sha256()) > 0);
    BIO* bio = BIO_new(BIO_s_mem());
    REQUIRE(PEM_write_bio_X509(bio, x509) == 1);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    const std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    X509_free(x509);
    return Certificate::from_pem(pem, c.private_key_pem());
}

}  // namespace

TEST_CASE(
    "a PeerConnection with a supplied certificate advertises that certificate's fingerprint") {
    const Certificate c = Certificate::from_pem(Certificate::generate().to_pem());
    PeerConnection pc(with_certificate(c));
    pc.create_data_channel("x");
    const SessionDescription offer = pc.create_offer();
    CHECK(offer.sdp.find("a=fingerprint:" + c.fingerprint() + "\r\n") != std::string::npos);
}

TEST_CASE("two peers with certificates loaded from PEM connect, and each presents its own") {
    const Certificate ca = Certificate::from_pem(Certificate::generate().to_pem());
    const Certificate cb = Certificate::from_pem(Certificate::generate().to_pem());
    PeerConnection a(with_certificate(ca));
    PeerConnection b(with_certificate(cb));
    connect(a, b);
    const auto sa = a.get_stats();
    const auto sb = b.get_stats();
    CHECK(fingerprint(sa.local_certificate()) == ca.fingerprint());
    CHECK(fingerprint(sa.remote_certificate()) == cb.fingerprint());
    CHECK(fingerprint(sb.local_certificate()) == cb.fingerprint());
    CHECK(fingerprint(sb.remote_certificate()) == ca.fingerprint());
}

TEST_CASE(
    "one certificate serves several PeerConnections at once, as a server keeps one identity") {
    const Certificate server = Certificate::generate();
    PeerConnection s1(with_certificate(server)), s2(with_certificate(server));
    PeerConnection c1(loopback_config()), c2(loopback_config());
    connect(c1, s1);
    connect(c2, s2);
    CHECK(fingerprint(c1.get_stats().remote_certificate()) == server.fingerprint());
    CHECK(fingerprint(c2.get_stats().remote_certificate()) == server.fingerprint());
}

TEST_CASE("an expired certificate, or more than one, is refused with an error naming it") {
    const Certificate c = Certificate::generate();
    const Certificate expired = expired_copy(c);
    CHECK(expired.expires() < std::chrono::system_clock::now());
    CHECK(construction_error(with_certificate(expired)) ==
          "Configuration::certificates: the certificate (" + expired.fingerprint() +
              ") has expired");
    Configuration two = loopback_config();
    two.certificates = {c, Certificate::generate()};
    CHECK(construction_error(two) ==
          "floe uses one certificate; Configuration::certificates has 2");
}

// `--certificate FILE` of floe chat, peer and bench (apps/floe/rtc_options.cpp): the first run
// makes the file, the next ones present the same identity; a broken file is a clear error.
TEST_CASE("floe bench W2 --certificate FILE makes the file once (0600), then loads it") {
    using namespace std::chrono_literals;
    TempDir dir;
    const std::string file = dir.path() + "/identity.pem";
    const auto first = run({FLOE_CLI_PATH, "bench", "W2", "--smoke", "--certificate", file}, 60s);
    INFO("stderr: " << first.err);
    REQUIRE(first.status == 0);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::ifstream in(file);
    std::ostringstream pem;
    pem << in.rdbuf();
    const Certificate made = Certificate::from_pem(pem.str());
    CHECK(made.expires() > std::chrono::system_clock::now() + std::chrono::hours(24 * 360));

    const auto second = run({FLOE_CLI_PATH, "bench", "W2", "--smoke", "--certificate", file}, 60s);
    REQUIRE(second.status == 0);
    std::ifstream again(file);
    std::ostringstream pem_again;
    pem_again << again.rdbuf();
    CHECK(pem_again.str() == pem.str());

    std::ofstream(dir.path() + "/broken.pem") << "-----BEGIN CERTIFICATE-----\nAAAA\n";
    const auto broken =
        run({FLOE_CLI_PATH, "bench", "W2", "--smoke", "--certificate", dir.path() + "/broken.pem"},
            60s);
    CHECK(broken.status != 0);
    CHECK(broken.err.find(dir.path() + "/broken.pem: the PEM text has no complete") !=
          std::string::npos);
}
