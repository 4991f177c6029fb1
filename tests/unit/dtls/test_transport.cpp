#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

#include <floe/error.hpp>

#include "dtls/certificate.hpp"
#include "dtls/keylog.hpp"
#include "dtls/transport.hpp"
#include "dtls_harness.hpp"

using namespace floe;
using namespace floe::dtls;
using namespace floe::test;

namespace {

Bytes message(std::string_view text) {
    return Bytes(as_bytes(text).begin(), as_bytes(text).end());
}

// Starts a as `role_a`, b as the other role, each expecting the other's real fingerprint unless
// told.
void start(Pair& p, Role role_a, Fingerprint fp_for_a = dtls::identity(cert_b()).fingerprint,
           Fingerprint fp_for_b = dtls::identity(cert_a()).fingerprint) {
    const Role role_b = role_a == Role::client ? Role::server : Role::client;
    // Start the server first so that the ClientHello finds it ready.
    if (role_a == Role::server) {
        p.a.start(p.now, role_a, fp_for_a);
        p.b.start(p.now, role_b, fp_for_b);
    } else {
        p.b.start(p.now, role_b, fp_for_b);
        p.a.start(p.now, role_a, fp_for_a);
    }
    p.pump();
}

}  // namespace

TEST_CASE("two transports handshake in both role assignments and exchange data") {
    for (Role role_a : {Role::client, Role::server}) {
        CAPTURE(role_a == Role::client);
        Pair p(cert_a(), cert_b());
        start(p, role_a);
        REQUIRE(p.a.state() == State::connected);
        REQUIRE(p.b.state() == State::connected);
        REQUIRE(p.seen_a.connected.has_value());
        REQUIRE(p.seen_b.connected.has_value());
        CHECK(p.seen_a.connected->cipher == "ECDHE-ECDSA-AES128-GCM-SHA256");
        CHECK(p.seen_b.connected->cipher == p.seen_a.connected->cipher);
        CHECK(p.seen_a.connected->peer_fingerprint == cert_b().fingerprint());
        CHECK(p.seen_b.connected->peer_fingerprint == cert_a().fingerprint());
        CHECK(p.a.peer_fingerprint() == cert_b().fingerprint());

        REQUIRE(p.a.send(message("hello from a")));
        REQUIRE(p.b.send(message("hello from b")));
        p.pump();
        REQUIRE(p.seen_b.data.size() == 1);
        REQUIRE(p.seen_a.data.size() == 1);
        CHECK(as_string(p.seen_b.data[0]) == "hello from a");
        CHECK(as_string(p.seen_a.data[0]) == "hello from b");
        CHECK(p.a.stats().records_sent == 1);
        CHECK(p.b.stats().records_received == 1);
    }
}

TEST_CASE("no datagram of the handshake or of data is larger than the MTU") {
    for (std::size_t mtu : {std::size_t{1200}, std::size_t{576}}) {
        CAPTURE(mtu);
        Config config;
        config.mtu = mtu;
        Pair p(cert_a(), cert_b(), config);
        start(p, Role::client);
        REQUIRE(p.a.state() == State::connected);
        REQUIRE(p.b.state() == State::connected);
        const std::size_t payload = p.a.max_payload();
        CHECK(payload > mtu - 64);
        CHECK(payload < mtu);
        Bytes big(payload, 0x5a);
        REQUIRE(p.a.send(big));
        CHECK_FALSE(p.a.send(Bytes(payload + 1, 0x5a)));  // would not fit one datagram
        p.pump();
        REQUIRE(p.seen_b.data.size() == 1);
        CHECK(p.seen_b.data[0] == big);
        for (const auto* seen : {&p.seen_a, &p.seen_b})
            for (const Bytes& d : seen->sent)
                CHECK(d.size() <= mtu);
    }
}

TEST_CASE("a wrong remote fingerprint fails the handshake with a reason and no data flows") {
    Pair p(cert_a(), cert_b());
    // a expects cert_c's fingerprint but b presents cert_b.
    start(p, Role::client, dtls::identity(cert_c()).fingerprint);
    CHECK(p.a.state() == State::failed);
    REQUIRE(p.seen_a.failed.has_value());
    CHECK(p.seen_a.failed->find("certificate fingerprint mismatch") == 0);
    CHECK(p.seen_a.failed->find(cert_b().fingerprint()) != std::string::npos);
    CHECK_FALSE(p.seen_a.connected.has_value());
    CHECK_FALSE(p.a.send(message("secret")));
    // The server learns it through the alert and fails too, naming it.
    CHECK(p.b.state() == State::failed);
    REQUIRE(p.seen_b.failed.has_value());
    CHECK(p.seen_b.failed->find("bad certificate") != std::string::npos);
    CHECK_FALSE(p.b.send(message("secret")));
    p.pump();
    CHECK(p.seen_a.data.empty());
    CHECK(p.seen_b.data.empty());
}

TEST_CASE("the server also rejects a client whose certificate does not match") {
    Pair p(cert_a(), cert_b());
    start(p, Role::server,
          dtls::identity(cert_c()).fingerprint);  // a is the server and expects cert_c
    CHECK(p.a.state() == State::failed);
    REQUIRE(p.seen_a.failed.has_value());
    CHECK(p.seen_a.failed->find("certificate fingerprint mismatch") == 0);
    CHECK_FALSE(p.seen_a.connected.has_value());
    CHECK(p.b.state() == State::failed);
    CHECK(p.seen_a.data.empty());
    CHECK(p.seen_b.data.empty());
}

TEST_CASE("a certificate swapped after signaling fails the connection") {
    // b announced cert_b in its description, then handshakes with cert_c.
    Pair p(cert_a(), cert_c());
    start(p, Role::client, dtls::identity(cert_b()).fingerprint);
    CHECK(p.a.state() == State::failed);
    REQUIRE(p.seen_a.failed.has_value());
    CHECK(p.seen_a.failed->find(cert_c().fingerprint()) != std::string::npos);
    CHECK(p.seen_a.failed->find(cert_b().fingerprint()) != std::string::npos);
    CHECK_FALSE(p.seen_a.connected.has_value());
    CHECK(p.seen_b.data.empty());
}

TEST_CASE("no remote fingerprint fails at start and sends nothing") {
    Pair p(cert_a(), cert_b());
    p.a.start(p.now, Role::client, std::span<const Fingerprint>{});
    CHECK(p.a.state() == State::failed);
    drain_events(p.a, p.seen_a);
    REQUIRE(p.seen_a.failed.has_value());
    CHECK(*p.seen_a.failed == "no remote fingerprint");
    CHECK_FALSE(p.a.poll_transmit().has_value());
    CHECK_FALSE(p.a.poll_timeout().has_value());
}

TEST_CASE("a remote fingerprint in sha-512 is verified too") {
    const Bytes digest =
        certificate_digest(dtls::identity(cert_b()).x509.get(), HashFunction::sha512);
    Pair p(cert_a(), cert_b());
    start(p, Role::client, Fingerprint{HashFunction::sha512, digest});
    CHECK(p.a.state() == State::connected);
    CHECK(p.b.state() == State::connected);
}

TEST_CASE("transports alive at once share one DTLS context yet each presents its own certificate") {
    // All transports of a process share one SSL_CTX and set their identity on their own SSL
    // object. Four transports with three identities exist together here: each handshake must show
    // each side the certificate of the transport it talks to, and a fingerprint naming another
    // live transport's certificate must still be refused.
    Pair ab(cert_a(), cert_b());
    Pair ca(cert_c(), cert_a());  // cert_a in two transports at once
    start(ab, Role::client);
    start(ca, Role::server, dtls::identity(cert_a()).fingerprint,
          dtls::identity(cert_c()).fingerprint);
    REQUIRE(ab.a.state() == State::connected);
    REQUIRE(ca.a.state() == State::connected);
    CHECK(ab.a.peer_fingerprint() == cert_b().fingerprint());
    CHECK(ab.b.peer_fingerprint() == cert_a().fingerprint());
    CHECK(ca.a.peer_fingerprint() == cert_a().fingerprint());
    CHECK(ca.b.peer_fingerprint() == cert_c().fingerprint());
    CHECK(ab.a.local_fingerprint() == cert_a().fingerprint());
    CHECK(ca.a.local_fingerprint() == cert_c().fingerprint());

    // b expects cert_a's fingerprint, which another live transport presents, but its peer is c.
    Pair cb(cert_c(), cert_b());
    start(cb, Role::client, dtls::identity(cert_b()).fingerprint,
          dtls::identity(cert_a()).fingerprint);
    CHECK(cb.b.state() == State::failed);
    REQUIRE(cb.seen_b.failed.has_value());
    CHECK(cb.seen_b.failed->find("certificate fingerprint mismatch: the peer presented " +
                                 cert_c().fingerprint()) == 0);
    CHECK(cb.a.state() == State::failed);
    CHECK_FALSE(cb.seen_a.connected.has_value());
}

TEST_CASE("start twice is a usage error") {
    Pair p(cert_a(), cert_b());
    p.a.start(p.now, Role::server, dtls::identity(cert_b()).fingerprint);
    CHECK_THROWS_AS(p.a.start(p.now, Role::server, dtls::identity(cert_b()).fingerprint),
                    InvalidStateError);
}

TEST_CASE("a ClientHello that arrives before start() is kept and answered") {
    Pair p(cert_a(), cert_b());
    p.b.start(p.now, Role::client, dtls::identity(cert_a()).fingerprint);
    auto hello = drain_transmits(p.b, p.seen_b);
    REQUIRE_FALSE(hello.empty());
    for (auto& d : hello)
        p.a.handle_input(p.now, d);  // the answer has not been applied yet
    CHECK(p.a.stats().buffered_before_start == hello.size());
    CHECK_FALSE(p.a.poll_transmit().has_value());
    p.a.start(p.now, Role::server, dtls::identity(cert_b()).fingerprint);
    p.pump();
    CHECK(p.a.state() == State::connected);
    CHECK(p.b.state() == State::connected);
    CHECK(p.b.stats().retransmissions == 0);  // answered without waiting for a retransmission
}

TEST_CASE("garbage, duplicates and replays are ignored and counted; data still flows") {
    Pair p(cert_a(), cert_b());
    start(p, Role::client);
    REQUIRE(p.a.state() == State::connected);
    REQUIRE(p.a.send(message("one")));
    auto records = drain_transmits(p.a, p.seen_a);
    REQUIRE(records.size() == 1);
    p.b.handle_input(p.now, records[0]);
    p.b.handle_input(p.now, records[0]);  // duplicate / replay
    const std::uint8_t junk[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 99, 0, 5, 1, 2, 3, 4, 5};
    p.b.handle_input(p.now, junk);                           // forged record: fails authentication
    p.b.handle_input(p.now, ByteSpan(junk).first(7));        // truncated header
    const std::uint8_t not_dtls[] = {20, 0x03, 0x03, 0, 0};  // TLS, not DTLS
    p.b.handle_input(p.now, not_dtls);
    Bytes tampered = records[0];
    tampered.back() ^= 0x01;
    tampered[10] ^= 0x40;  // a new sequence number, so it is not counted as a replay
    p.b.handle_input(p.now, tampered);
    drain_events(p.b, p.seen_b);
    REQUIRE(p.seen_b.data.size() == 1);
    CHECK(as_string(p.seen_b.data[0]) == "one");
    CHECK(p.b.stats().duplicates == 1);
    CHECK(p.b.stats().garbage == 4);
    CHECK(p.b.state() == State::connected);
    REQUIRE(p.a.send(message("two")));
    p.pump();
    REQUIRE(p.seen_b.data.size() == 2);
    CHECK(as_string(p.seen_b.data[1]) == "two");
}

TEST_CASE("encrypted records too short for the AEAD nonce and tag are dropped, not fatal") {
    for (Role role_a : {Role::client, Role::server}) {
        CAPTURE(role_a == Role::client);
        Pair p(cert_a(), cert_b());
        start(p, role_a);
        REQUIRE(p.b.state() == State::connected);
        // Application data and alert records of epoch 1 with 0, 5, 16 and 23 bytes of body: all
        // below AES-128-GCM's 8-byte nonce plus 16-byte tag.
        std::uint64_t sequence = 1000;
        for (std::uint8_t type : {std::uint8_t{23}, std::uint8_t{21}}) {
            for (std::uint8_t length : {0, 5, 16, 23}) {
                Bytes record = {type, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, length};
                record[10] = static_cast<std::uint8_t>(++sequence);
                record.resize(record.size() + length, 0x42);
                p.b.handle_input(p.now, record);
            }
        }
        drain_events(p.b, p.seen_b);
        CHECK(p.b.state() == State::connected);
        CHECK_FALSE(p.seen_b.failed.has_value());
        CHECK(p.b.stats().garbage == 8);
        REQUIRE(p.a.send(message("still here")));
        p.pump();
        REQUIRE(p.seen_b.data.size() == 1);
        CHECK(as_string(p.seen_b.data[0]) == "still here");
    }
}

TEST_CASE("close sends close_notify and the peer reports closed") {
    Pair p(cert_a(), cert_b());
    start(p, Role::server);
    REQUIRE(p.a.state() == State::connected);
    p.a.close(p.now);
    CHECK(p.a.state() == State::closed);
    p.pump();
    CHECK(p.b.state() == State::closed);
    REQUIRE(p.seen_b.closed.has_value());
    CHECK(*p.seen_b.closed == "peer sent close_notify");
    CHECK_FALSE(p.b.send(message("late")));
}

TEST_CASE("the key log hook writes NSS key log lines for the session") {
    std::vector<std::string> lines;
    Config config;
    config.keylog = [&](std::string_view line) { lines.emplace_back(line); };
    Pair p(cert_a(), cert_b(), config);
    start(p, Role::client);
    REQUIRE(p.a.state() == State::connected);
    REQUIRE(lines.size() == 2);  // one per side, the same secret
    CHECK(lines[0] == lines[1]);
    CHECK(lines[0].rfind("CLIENT_RANDOM ", 0) == 0);
    CHECK(lines[0].size() == 14 + 64 + 1 + 96);
}

TEST_CASE("a recycled buffer carries the next record instead of a new allocation") {
    Pair p(cert_a(), cert_b());
    start(p, Role::client);
    REQUIRE(p.a.send(message("first message")));
    for (auto& d : drain_transmits(p.a, p.seen_a))
        p.b.handle_input(p.now, d);
    auto e = p.b.poll_event();
    REQUIRE(e.has_value());
    Bytes first = std::move(std::get<event::DataReceived>(*e).data);
    const std::uint8_t* storage = first.data();
    p.b.recycle(std::move(first));
    REQUIRE(p.a.send(message("second")));
    for (auto& d : drain_transmits(p.a, p.seen_a))
        p.b.handle_input(p.now, d);
    e = p.b.poll_event();
    REQUIRE(e.has_value());
    const Bytes& second = std::get<event::DataReceived>(*e).data;
    CHECK(as_string(second) == "second");
    CHECK(second.data() == storage);
}

TEST_CASE("a second handshake with another certificate after connecting is refused") {
    // b (server) is connected to a; then c, holding another certificate, starts a handshake
    // towards b on the same path, as if the peer's certificate were swapped mid-way.
    Pair p(cert_a(), cert_b());
    start(p, Role::client);
    REQUIRE(p.b.state() == State::connected);
    Transport intruder(cert_c());
    Observed seen_intruder;
    intruder.start(p.now, Role::client, dtls::identity(cert_b()).fingerprint);
    for (int round = 0; round < 10; ++round) {
        for (auto& d : drain_transmits(intruder, seen_intruder))
            p.b.handle_input(p.now, d);
        for (auto& d : drain_transmits(p.b, p.seen_b))
            intruder.handle_input(p.now, d);
    }
    drain_events(intruder, seen_intruder);
    drain_events(p.b, p.seen_b);
    CHECK_FALSE(seen_intruder.connected.has_value());
    CHECK(p.b.state() == State::connected);
    CHECK(p.b.peer_fingerprint() == cert_a().fingerprint());
    CHECK(p.seen_b.data.empty());
    REQUIRE(p.a.send(message("still a")));
    p.pump();
    REQUIRE(p.seen_b.data.size() == 1);
    CHECK(as_string(p.seen_b.data[0]) == "still a");
}

TEST_CASE("keylog_to_file appends the session's key log line to a file") {
    const std::string path = "/tmp/floe-keylog-test-" + std::to_string(::getpid()) + ".txt";
    std::remove(path.c_str());
    std::vector<std::string> lines;
    {
        auto to_file = keylog_to_file(path);
        Config config;
        config.keylog = [&](std::string_view line) {
            lines.emplace_back(line);
            to_file(line);
        };
        Pair p(cert_a(), cert_b(), config);
        start(p, Role::server);
        REQUIRE(p.a.state() == State::connected);
    }
    std::ifstream in(path);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(path.c_str());
    REQUIRE(lines.size() == 2);
    CHECK(content == lines[0] + "\n" + lines[1] + "\n");
    CHECK_THROWS_AS(keylog_to_file("/nonexistent-dir/keys.txt"), InvalidArgumentError);
}

TEST_CASE("datagrams beyond the pre-start buffer are dropped and counted") {
    Pair p(cert_a(), cert_b());
    const std::uint8_t record[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    for (int i = 0; i < 70; ++i)
        p.a.handle_input(p.now, record);
    CHECK(p.a.stats().buffered_before_start == 64);
    CHECK(p.a.stats().dropped_overflow == 6);
}
