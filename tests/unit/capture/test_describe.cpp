// --trace lines for STUN and DTLS, from real messages: the STUN codec's own and a real DTLS
// handshake between two transports.
#include <doctest/doctest.h>

#include <floe/stun/builder.hpp>

#include "capture/describe.hpp"
#include "dtls/certificate.hpp"
#include "unit/dtls/dtls_harness.hpp"

using namespace floe;
using namespace floe::capture;
using namespace floe::test;

namespace {

const stun::TransactionId tid = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
                                 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac};

Bytes ice_check(const stun::IntegrityKey& key) {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request}, tid);
    b.add_username("remote:local")
        .add_priority(1853817087)
        .add_ice_controlling(0x0102030405060708)
        .add_use_candidate()
        .add_message_integrity(key)
        .add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a connectivity check is described attribute by attribute, integrity verified") {
    const auto local = stun::IntegrityKey::short_term("local-password-0123456789");
    const auto remote = stun::IntegrityKey::short_term("remote-password-0123456789");
    const Bytes check = ice_check(remote);
    const std::array keys{local, remote};
    const std::string line = describe_datagram(check, keys);
    INFO(line);
    CHECK(line.starts_with("STUN Binding request a1a2a3a4a5a6a7a8a9aaabac, "));
    CHECK(contains(line, "\n    USERNAME \"remote:local\""));
    CHECK(contains(line, "\n    PRIORITY 1853817087"));
    CHECK(contains(line, "\n    ICE-CONTROLLING tie-breaker 0102030405060708"));
    CHECK(contains(line, "\n    USE-CANDIDATE"));
    CHECK(contains(line, "fingerprint ok, integrity ok (key 2)"));

    const std::array wrong{local};
    CHECK(contains(describe_datagram(check, wrong), "integrity FAILS with every known key"));
    CHECK(contains(describe_datagram(check), "integrity not checked (no key)"));

    Bytes damaged = check;
    REQUIRE(damaged.size() > 4);
    damaged[damaged.size() - 1] ^= 1;  // inside FINGERPRINT
    CHECK(contains(describe_datagram(damaged, keys), "fingerprint BAD"));
}

TEST_CASE("an error response names its code, reason and XOR-MAPPED-ADDRESS decodes") {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::error_response}, tid);
    b.add_xor_mapped_address(*SocketAddress::parse("198.18.0.7:4242")).add_error_code(487);
    REQUIRE(b.finish());
    const std::string line = describe_datagram(out);
    INFO(line);
    CHECK(line.starts_with("STUN Binding error response"));
    CHECK(contains(line, "XOR-MAPPED-ADDRESS 198.18.0.7:4242"));
    CHECK(contains(line, "ERROR-CODE 487 \"Role Conflict\""));
}

TEST_CASE("malformed STUN and other bytes are described, never misread") {
    Bytes truncated = ice_check(stun::IntegrityKey::short_term("x"));
    truncated.resize(30);
    CHECK(describe_datagram(truncated).starts_with("STUN, 30 B, malformed: "));
    const Bytes other{0x80, 1, 2};
    CHECK(describe_datagram(other) == "unknown datagram, first byte 128, 3 B");
    CHECK(describe_datagram({}) == "empty datagram");
}

TEST_CASE("a real DTLS handshake reads as named messages: hellos, suites, certificate") {
    Pair p(cert_a(), cert_b());
    p.b.start(p.now, dtls::Role::server, dtls::identity(cert_a()).fingerprint);
    p.a.start(p.now, dtls::Role::client, dtls::identity(cert_b()).fingerprint);
    p.pump();
    REQUIRE(p.a.state() == dtls::State::connected);

    std::string client_lines, server_lines;
    for (const Bytes& d : p.seen_a.sent)
        client_lines += describe_datagram(d) + "\n";
    for (const Bytes& d : p.seen_b.sent)
        server_lines += describe_datagram(d) + "\n";
    INFO(client_lines);
    INFO(server_lines);
    CHECK(client_lines.starts_with("DTLS, "));
    CHECK(contains(client_lines, "handshake epoch 0 seq 0"));
    CHECK(contains(client_lines, " ClientHello\n    ClientHello: DTLS 1.2, cookie none, "));
    CHECK(contains(client_lines, "ECDHE_ECDSA_AES_128_GCM_SHA256"));
    CHECK(contains(client_lines, "use_srtp("));
    CHECK(contains(client_lines, "extended_master_secret"));
    CHECK(contains(server_lines, "ServerHello: DTLS 1.2, chose ECDHE_ECDSA_AES_128_GCM_SHA256"));
    // the server's Certificate carries the fingerprint its SDP announces
    CHECK(contains(server_lines, "Certificate: fingerprint " + cert_b().fingerprint()));
    CHECK(contains(client_lines, "Certificate: fingerprint " + cert_a().fingerprint()));
    CHECK(contains(client_lines, "change_cipher_spec epoch 0"));
    CHECK(contains(client_lines, "handshake epoch 1 seq 0"));
    CHECK(contains(client_lines, "(encrypted: Finished)"));
}

TEST_CASE("an alert in the clear is named, and a damaged record is reported as such") {
    // level fatal (2), bad_certificate (42), in a DTLS 1.2 epoch-0 record
    const Bytes alert{21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 5, 0, 2, 2, 42};
    CHECK(describe_datagram(alert) ==
          "DTLS, 15 B\n    alert epoch 0 seq 5, 2 B fatal bad_certificate");
    Bytes damaged = alert;
    damaged[12] = 200;  // a length beyond the datagram
    CHECK(describe_datagram(damaged) == "DTLS, 15 B\n    (15 B that are not a DTLS record)");
}
