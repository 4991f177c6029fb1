// What other stacks and hostile packets require of the handshake: use_srtp offered and accepted
// (werift refuses a handshake without it), short epoch-1 records injected during the handshake,
// and the strongest of several remote fingerprints (RFC 8122 §5).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dtls/certificate.hpp"
#include "dtls/fingerprint.hpp"
#include "dtls/transport.hpp"
#include "dtls_harness.hpp"

using namespace floe;
using namespace floe::dtls;
using namespace floe::test;

namespace {

Fingerprint fingerprint_in(const Certificate& certificate, HashFunction algorithm) {
    return fingerprint_of(dtls::identity(certificate).x509.get(), algorithm);
}

// A fingerprint of `algorithm` that no certificate has.
Fingerprint wrong_fingerprint(HashFunction algorithm) {
    return fingerprint_in(cert_c(), algorithm);
}

// The server starts first, then the client; datagrams move until both are quiet.
void start_pair(Pair& p, Role role_a, const std::vector<Fingerprint>& for_a,
                const std::vector<Fingerprint>& for_b) {
    const Role role_b = role_a == Role::client ? Role::server : Role::client;
    if (role_a == Role::server) {
        p.a.start(p.now, role_a, for_a);
        p.b.start(p.now, role_b, for_b);
    } else {
        p.b.start(p.now, role_b, for_b);
        p.a.start(p.now, role_a, for_a);
    }
    p.pump();
}

// The extensions of a ClientHello or ServerHello record in `datagram` (RFC 5246 §7.4.1.2-3,
// RFC 6347 §4.2.2), as (type, body) in order. Empty when the datagram holds no such hello.
std::vector<std::pair<std::uint16_t, Bytes>> hello_extensions(ByteSpan datagram) {
    std::vector<std::pair<std::uint16_t, Bytes>> out;
    ByteReader records(datagram);
    while (auto record = next_record(records)) {
        if (record->type != 22 || record->epoch != 0) continue;
        ByteReader r(record->body);
        const auto msg_type = r.u8();
        if (!msg_type || (*msg_type != 1 && *msg_type != 2)) continue;
        // length(3) message_seq(2) fragment_offset(3) fragment_length(3) version(2) random(32)
        if (!r.skip(3 + 2 + 3 + 3 + 2 + 32)) return {};
        const auto session_id = r.u8();
        if (!session_id || !r.skip(*session_id)) return {};
        if (*msg_type == 1) {
            const auto cookie = r.u8();
            if (!cookie || !r.skip(*cookie)) return {};
            const auto suites = r.u16();
            if (!suites || !r.skip(*suites)) return {};
            const auto methods = r.u8();
            if (!methods || !r.skip(*methods)) return {};
        } else if (!r.skip(2 + 1)) {  // cipher_suite, compression_method
            return {};
        }
        const auto total = r.u16();
        if (!total) return {};
        while (!r.empty()) {
            const auto type = r.u16();
            const auto length = r.u16();
            if (!type || !length) return {};
            const auto body = r.bytes(*length);
            if (!body) return {};
            out.emplace_back(*type, Bytes(body->begin(), body->end()));
        }
    }
    return out;
}

std::optional<Bytes> extension(const std::vector<std::pair<std::uint16_t, Bytes>>& all,
                               std::uint16_t type) {
    for (const auto& [t, body] : all)
        if (t == type) return body;
    return std::nullopt;
}

constexpr std::uint16_t use_srtp_extension = 14;  // RFC 5764 §4.1.1

}  // namespace

TEST_CASE("use_srtp is offered, accepted and negotiated in both roles") {
    for (Role role_a : {Role::client, Role::server}) {
        CAPTURE(role_a == Role::client);
        Pair p(cert_a(), cert_b());
        start_pair(p, role_a, {dtls::identity(cert_b()).fingerprint},
                   {dtls::identity(cert_a()).fingerprint});
        REQUIRE(p.a.state() == State::connected);
        REQUIRE(p.b.state() == State::connected);
        // Both ends offer the same list, so the server's first choice wins.
        CHECK(p.seen_a.connected->srtp_profile == "SRTP_AES128_CM_SHA1_80");
        CHECK(p.seen_b.connected->srtp_profile == "SRTP_AES128_CM_SHA1_80");
        CHECK(p.a.srtp_profile() == "SRTP_AES128_CM_SHA1_80");

        // On the wire: the ClientHello lists the profiles in floe's order, no MKI (RFC 5764
        // §4.1.1), and the ServerHello answers with the one it chose.
        const auto& client_sent = role_a == Role::client ? p.seen_a.sent : p.seen_b.sent;
        const auto& server_sent = role_a == Role::client ? p.seen_b.sent : p.seen_a.sent;
        const auto offered = extension(hello_extensions(client_sent.front()), use_srtp_extension);
        REQUIRE(offered.has_value());
        CHECK(*offered == Bytes{0x00, 0x06, 0x00, 0x01, 0x00, 0x08, 0x00, 0x07, 0x00});
        const auto chosen = extension(hello_extensions(server_sent.front()), use_srtp_extension);
        REQUIRE(chosen.has_value());
        CHECK(*chosen == Bytes{0x00, 0x02, 0x00, 0x01, 0x00});

        // floe's own record layer carries the data afterwards, as without the extension.
        REQUIRE(p.a.send(as_bytes("srtp keys unused")));
        p.pump();
        REQUIRE(p.seen_b.data.size() == 1);
        CHECK(as_string(p.seen_b.data[0]) == "srtp keys unused");
    }
}

TEST_CASE("epoch-1 records of 20 and 23 bytes injected during the handshake are dropped") {
    // OpenSSL keeps an epoch-1 handshake or alert record that arrives before the
    // ChangeCipherSpec and opens it afterwards; with AES-GCM a body shorter than the 8-byte nonce
    // plus 16-byte tag made it end the handshake with an internal_error alert. The transport must
    // drop them while the suite is unknown too, as a spoofed 5-tuple can send them at any time.
    for (Role role_a : {Role::client, Role::server}) {
        for (std::uint8_t length : {std::uint8_t{20}, std::uint8_t{23}}) {
            CAPTURE(role_a == Role::client);
            CAPTURE(int(length));
            Pair p(cert_a(), cert_b());
            const Role role_b = role_a == Role::client ? Role::server : Role::client;
            std::uint64_t sequence = 500;
            std::uint64_t injected_into_a = 0;
            // Before each datagram a side receives, it first receives the forged records.
            const auto inject = [&](Transport& t) {
                for (std::uint8_t type : {std::uint8_t{22}, std::uint8_t{21}}) {
                    Bytes record = {type, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, length};
                    record[10] = static_cast<std::uint8_t>(++sequence);
                    record.resize(record.size() + length, 0x5a);
                    t.handle_input(p.now, record);
                    if (&t == &p.a) ++injected_into_a;
                }
            };
            inject(role_a == Role::server ? p.a : p.b);  // before the ClientHello, too
            (role_a == Role::server ? p.a : p.b)
                .start(p.now, Role::server,
                       role_a == Role::server ? dtls::identity(cert_b()).fingerprint
                                              : dtls::identity(cert_a()).fingerprint);
            (role_a == Role::client ? p.a : p.b)
                .start(p.now, Role::client,
                       role_a == Role::client ? dtls::identity(cert_b()).fingerprint
                                              : dtls::identity(cert_a()).fingerprint);
            (void)role_b;
            for (int round = 0; round < 20; ++round) {
                auto from_a = drain_transmits(p.a, p.seen_a);
                auto from_b = drain_transmits(p.b, p.seen_b);
                for (auto& d : from_a) {
                    inject(p.b);
                    p.b.handle_input(p.now, d);
                }
                for (auto& d : from_b) {
                    inject(p.a);
                    p.a.handle_input(p.now, d);
                }
                drain_events(p.a, p.seen_a);
                drain_events(p.b, p.seen_b);
                if (from_a.empty() && from_b.empty()) break;
            }
            CHECK_FALSE(p.seen_a.failed.has_value());
            CHECK_FALSE(p.seen_b.failed.has_value());
            REQUIRE(p.a.state() == State::connected);
            REQUIRE(p.b.state() == State::connected);
            CHECK(injected_into_a > 0);
            CHECK(p.a.stats().garbage >= injected_into_a);
            CHECK(p.a.stats().retransmissions == 0);  // nothing genuine was dropped
            CHECK(p.b.stats().retransmissions == 0);
            REQUIRE(p.a.send(as_bytes("unharmed")));
            p.pump();
            REQUIRE(p.seen_b.data.size() == 1);
            CHECK(as_string(p.seen_b.data[0]) == "unharmed");
        }
    }
}

TEST_CASE("the strongest of several fingerprints is chosen, all of them when several share it") {
    // md5, md2 and unknown functions never get this far: they do not parse (Fingerprint::parse),
    // and the SDP codec skips them (sdp tests, "missing_fingerprint").
    const Fingerprint sha1 = fingerprint_in(cert_a(), HashFunction::sha1);
    const Fingerprint sha256 = fingerprint_in(cert_a(), HashFunction::sha256);
    const Fingerprint sha384 = fingerprint_in(cert_a(), HashFunction::sha384);
    const Fingerprint sha512 = fingerprint_in(cert_a(), HashFunction::sha512);

    const std::vector<Fingerprint> all = {sha1, sha512, sha256, sha384};
    auto chosen = strongest_fingerprints(all);
    REQUIRE(chosen.size() == 1);
    CHECK(chosen.front() == sha512);

    // Two certificates announced in sha-256 (RFC 8122 §5): either may be presented.
    const Fingerprint other = fingerprint_in(cert_b(), HashFunction::sha256);
    const std::vector<Fingerprint> two = {sha1, sha256, other};
    chosen = strongest_fingerprints(two);
    CHECK(chosen == std::vector<Fingerprint>{sha256, other});

    CHECK(strongest_fingerprints({}).empty());
}

TEST_CASE("a handshake is verified with the strongest fingerprint, never a weaker match") {
    struct Case {
        const char* name;
        std::vector<Fingerprint> for_a;  // what a expects of b's certificate
        bool connects;
    };
    const std::vector<Case> cases = {
        {"sha-256 matches, sha-512 does not",
         {fingerprint_in(cert_b(), HashFunction::sha256), wrong_fingerprint(HashFunction::sha512)},
         false},
        {"sha-1 matches, sha-384 does not",
         {fingerprint_in(cert_b(), HashFunction::sha1), wrong_fingerprint(HashFunction::sha384)},
         false},
        {"sha-256 wrong, sha-512 matches",
         {wrong_fingerprint(HashFunction::sha256), fingerprint_in(cert_b(), HashFunction::sha512)},
         true},
        {"sha-1 wrong, sha-256 matches",
         {wrong_fingerprint(HashFunction::sha1), fingerprint_in(cert_b(), HashFunction::sha256)},
         true},
        {"two sha-256, the second matches",
         {wrong_fingerprint(HashFunction::sha256), fingerprint_in(cert_b(), HashFunction::sha256)},
         true},
    };
    for (const Case& c : cases) {
        for (Role role_a : {Role::client, Role::server}) {
            CAPTURE(c.name);
            CAPTURE(role_a == Role::client);
            Pair p(cert_a(), cert_b());
            start_pair(p, role_a, c.for_a, {dtls::identity(cert_a()).fingerprint});
            if (c.connects) {
                CHECK(p.a.state() == State::connected);
                CHECK(p.b.state() == State::connected);
                continue;
            }
            CHECK(p.a.state() == State::failed);
            CHECK(p.b.state() != State::connected);
            REQUIRE(p.seen_a.failed.has_value());
            CHECK(p.seen_a.failed->find("certificate fingerprint mismatch") == 0);
            // The reason names the strongest fingerprint, the one that decided.
            const auto strongest = strongest_fingerprints(c.for_a);
            REQUIRE_FALSE(strongest.empty());
            CHECK(p.seen_a.failed->find(strongest.front().to_string()) != std::string::npos);
            CHECK(p.seen_a.data.empty());
        }
    }
}
