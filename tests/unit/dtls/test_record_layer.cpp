// floe's DTLS record layer (dtls/record_protection.hpp) against OpenSSL's: every suite, both roles,
// each side on either layer, so that what one seals the other must open; the switch from
// OpenSSL's writer to floe's never reuses a sequence number (an AEAD nonce); and records that
// arrive after the switch are authenticated, replay-checked and never handed back to OpenSSL.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>

#include "common/byte_reader.hpp"
#include "dtls/certificate.hpp"
#include "dtls/record_protection.hpp"
#include "dtls/transport.hpp"
#include "dtls_harness.hpp"

using namespace floe;
using namespace floe::dtls;
using namespace floe::test;

namespace {

constexpr const char* suites[] = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                  "ECDHE-ECDSA-CHACHA20-POLY1305"};

Config config_for(const char* suite, RecordLayer layer) {
    Config c;
    c.cipher_suites = suite;
    c.record_layer = layer;
    return c;
}

void start(Pair& p, Role role_a) {
    if (role_a == Role::server) {
        p.a.start(p.now, Role::server, dtls::identity(cert_b()).fingerprint);
        p.b.start(p.now, Role::client, dtls::identity(cert_a()).fingerprint);
    } else {
        p.b.start(p.now, Role::server, dtls::identity(cert_a()).fingerprint);
        p.a.start(p.now, Role::client, dtls::identity(cert_b()).fingerprint);
    }
    p.pump();
}

Bytes payload(std::size_t size, std::uint8_t seed) {
    Bytes b(size);
    for (std::size_t i = 0; i < size; ++i)
        b[i] = static_cast<std::uint8_t>(seed + i * 7);
    return b;
}

// Every epoch-1 record in the datagrams a transport sent, in order.
std::vector<Record> epoch1_records(const std::vector<Bytes>& datagrams) {
    std::vector<Record> out;
    for (const auto& d : datagrams) {
        ByteReader reader(d);
        while (auto r = next_record(reader))
            if (r->epoch == 1) out.push_back(*r);
    }
    return out;
}

// The epoch-1 sequence numbers of `records`, each once, checked to rise: a number may come again
// only on a byte-for-byte copy of its first record (the server's Finished, repeated ahead of data
// until the client has it). Reused for other bytes, it would reuse an AEAD nonce.
std::vector<std::uint64_t> checked_sequences(const std::vector<Record>& records) {
    std::map<std::uint64_t, Bytes> first;
    std::vector<std::uint64_t> out;
    for (const Record& r : records) {
        Bytes bytes(r.header.begin(), r.header.end());
        bytes.insert(bytes.end(), r.body.begin(), r.body.end());
        if (const auto seen = first.find(r.sequence); seen != first.end()) {
            CHECK(seen->second == bytes);
            CHECK(r.type == static_cast<std::uint8_t>(ContentType::handshake));
            continue;
        }
        CHECK((out.empty() || r.sequence > out.back()));
        first.emplace(r.sequence, std::move(bytes));
        out.push_back(r.sequence);
    }
    return out;
}

}  // namespace

TEST_CASE("floe's records and OpenSSL's are interchangeable: every suite, role and pairing") {
    const RecordLayer layers[][2] = {{RecordLayer::floe, RecordLayer::floe},
                                     {RecordLayer::floe, RecordLayer::openssl},
                                     {RecordLayer::openssl, RecordLayer::floe}};
    for (const char* suite : suites) {
        for (const auto& layer : layers) {
            for (Role role_a : {Role::client, Role::server}) {
                CAPTURE(suite);
                CAPTURE(layer[0] == RecordLayer::floe);
                CAPTURE(layer[1] == RecordLayer::floe);
                CAPTURE(role_a == Role::client);
                Pair p(cert_a(), cert_b(), config_for(suite, layer[0]),
                       config_for(suite, layer[1]));
                start(p, role_a);
                REQUIRE(p.a.state() == State::connected);
                REQUIRE(p.b.state() == State::connected);
                CHECK(p.a.cipher() == suite);
                CHECK(p.a.max_payload() == p.b.max_payload());
                // Sizes from one byte to the largest a record may carry, several records per
                // datagram, both ways, several rounds (the server switches writers after the
                // client's first record).
                const std::size_t sizes[] = {1, 100, p.a.max_payload() - 1, p.a.max_payload(),
                                             2, 3};
                std::uint8_t seed = 0;
                for (int round = 0; round < 3; ++round) {
                    for (std::size_t size : sizes) {
                        REQUIRE(p.a.send(payload(size, ++seed)));
                        REQUIRE(p.b.send(payload(size, static_cast<std::uint8_t>(seed + 100))));
                    }
                    p.pump();
                }
                REQUIRE(p.seen_b.data.size() == 18);
                REQUIRE(p.seen_a.data.size() == 18);
                seed = 0;
                for (int round = 0; round < 3; ++round) {
                    for (std::size_t i = 0; i < 6; ++i) {
                        ++seed;
                        CHECK(p.seen_b.data[round * 6 + i] == payload(sizes[i], seed));
                        CHECK(p.seen_a.data[round * 6 + i] ==
                              payload(sizes[i], static_cast<std::uint8_t>(seed + 100)));
                    }
                }
                CHECK_FALSE(p.a.send(payload(p.a.max_payload() + 1, 0)));
                for (const auto& d : p.seen_a.sent)
                    CHECK(d.size() <= Config{}.mtu);
                (void)checked_sequences(epoch1_records(p.seen_a.sent));
                (void)checked_sequences(epoch1_records(p.seen_b.sent));
                CHECK(p.a.stats().garbage == 0);
                CHECK(p.b.stats().garbage == 0);

                // close_notify sealed by one layer is understood by the other.
                p.a.close(p.now);
                p.pump();
                CHECK(p.b.state() == State::closed);
                REQUIRE(p.seen_b.closed.has_value());
                CHECK(*p.seen_b.closed == "peer sent close_notify");
            }
        }
    }
}

TEST_CASE(
    "the server keeps OpenSSL's writer until the client's first record, then continues its "
    "sequence numbers") {
    Pair p(cert_a(), cert_b());
    start(p, Role::server);  // a is the server
    REQUIRE(p.a.state() == State::connected);
    // Before any client record: the server's records still come from OpenSSL...
    REQUIRE(p.a.send(payload(50, 1)));
    REQUIRE(p.a.send(payload(50, 2)));
    p.pump();
    // ...then the client's first record moves the server to floe's writer.
    REQUIRE(p.b.send(payload(50, 3)));
    p.pump();
    REQUIRE(p.a.send(payload(50, 4)));
    p.pump();
    REQUIRE(p.seen_b.data.size() == 3);
    CHECK(p.seen_b.data[2] == payload(50, 4));
    const auto records = epoch1_records(p.seen_a.sent);
    // The server's Finished, its two records through OpenSSL, one through floe: 0, 1, 2, 3. The
    // first record through OpenSSL followed a copy of the Finished (sequence 0 again).
    CHECK(records.size() == 5);
    CHECK(checked_sequences(records) == std::vector<std::uint64_t>{0, 1, 2, 3});
}

namespace {
// Runs the handshake by hand, a the server and b the client, and drops the server's final flight
// (its ChangeCipherSpec and Finished): returns with the server connected and the client waiting.
void handshake_losing_servers_finished(Pair& p) {
    p.a.start(p.now, Role::server, dtls::identity(cert_b()).fingerprint);
    p.b.start(p.now, Role::client, dtls::identity(cert_a()).fingerprint);
    for (int round = 0; round < 20; ++round) {
        const bool server_done = p.a.state() == State::connected;
        auto from_a = drain_transmits(p.a, p.seen_a);
        auto from_b = drain_transmits(p.b, p.seen_b);
        if (server_done) {
            REQUIRE_FALSE(from_a.empty());
            REQUIRE(from_b.empty());
            drain_events(p.a, p.seen_a);
            return;
        }
        for (auto& d : from_a)
            p.b.handle_input(p.now, d);
        for (auto& d : from_b)
            p.a.handle_input(p.now, d);
    }
    FAIL("the server did not complete");
}
}  // namespace

TEST_CASE("a lost final flight is retransmitted by OpenSSL, and floe seals after it") {
    VirtualWallClock clock;
    Pair p(cert_a(), cert_b());
    clock.set(p.now);
    handshake_losing_servers_finished(p);
    REQUIRE(p.b.state() == State::connecting);
    // The client's retransmission timer fires; the server answers with its flight again.
    const auto deadline = p.b.poll_timeout();
    REQUIRE(deadline.has_value());
    p.now = *deadline;
    clock.set(p.now);
    p.b.handle_timeout(p.now);
    p.pump();
    REQUIRE(p.b.state() == State::connected);
    CHECK(p.b.stats().retransmissions >= 1);
    drain_events(p.a, p.seen_a);
    drain_events(p.b, p.seen_b);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(p.b.send(payload(80, static_cast<std::uint8_t>(i))));
        REQUIRE(p.a.send(payload(80, static_cast<std::uint8_t>(i + 10))));
        p.pump();
    }
    REQUIRE(p.seen_a.data.size() == 3);
    REQUIRE(p.seen_b.data.size() == 3);
    CHECK(p.seen_b.data[2] == payload(80, 12));
    // OpenSSL's retransmission of the Finished has its own sequence number, and the server's
    // records after it continue from there; the copy ahead of its first record repeats the first.
    const auto records = epoch1_records(p.seen_a.sent);
    CHECK(records.size() == 6);
    CHECK(checked_sequences(records) == std::vector<std::uint64_t>{0, 1, 2, 3, 4});
}

TEST_CASE(
    "until the client's first record, the server's data follows a copy of its Finished: a client "
    "that lost the flight completes on the data and reads it at once") {
    for (const RecordLayer client_layer : {RecordLayer::floe, RecordLayer::openssl}) {
        CAPTURE(client_layer == RecordLayer::floe);
        VirtualWallClock clock;
        Pair p(cert_a(), cert_b(), Config{}, config_for(suites[0], client_layer));
        clock.set(p.now);
        handshake_losing_servers_finished(p);
        REQUIRE(p.b.state() == State::connecting);
        // The server's first record (an SCTP INIT, in a PeerConnection): one datagram, the
        // ChangeCipherSpec and Finished ahead of it.
        REQUIRE(p.a.send(payload(60, 1)));
        auto datagrams = drain_transmits(p.a, p.seen_a);
        REQUIRE(datagrams.size() == 1);
        ByteReader reader(datagrams[0]);
        const auto first = next_record(reader);
        REQUIRE(first.has_value());
        CHECK(first->type == static_cast<std::uint8_t>(ContentType::change_cipher_spec));
        CHECK(p.a.stats().final_flight_repeats == 1);
        p.b.handle_input(p.now, datagrams[0]);
        drain_events(p.b, p.seen_b);
        CHECK(p.b.state() == State::connected);
        REQUIRE(p.seen_b.data.size() == 1);
        CHECK(p.seen_b.data[0] == payload(60, 1));
        CHECK(p.b.stats().retransmissions == 0);
        // Until the client's first record arrives, every record goes the same way; a client that
        // has the Finished drops the copy and reads the record.
        REQUIRE(p.a.send(payload(60, 2)));
        p.pump();
        CHECK(p.a.stats().final_flight_repeats == 2);
        REQUIRE(p.seen_b.data.size() == 2);
        CHECK(p.seen_b.data[1] == payload(60, 2));
        CHECK(p.b.stats().garbage == 0);
        // The client's first record proves it completed: no more copies.
        REQUIRE(p.b.send(payload(60, 3)));
        p.pump();
        REQUIRE(p.seen_a.data.size() == 1);
        REQUIRE(p.a.send(payload(60, 4)));
        datagrams = drain_transmits(p.a, p.seen_a);
        REQUIRE(datagrams.size() == 1);
        ByteReader plain(datagrams[0]);
        const auto only = next_record(plain);
        REQUIRE(only.has_value());
        CHECK(only->type == static_cast<std::uint8_t>(ContentType::application_data));
        CHECK(plain.empty());
        CHECK(p.a.stats().final_flight_repeats == 2);
        (void)checked_sequences(epoch1_records(p.seen_a.sent));
    }
}

TEST_CASE("once floe writes, old handshake records are dropped and OpenSSL says nothing") {
    Pair p(cert_a(), cert_b());
    start(p, Role::server);             // a is the server
    REQUIRE(p.b.send(payload(10, 1)));  // the client's first record: the server switches
    p.pump();
    REQUIRE(p.seen_a.data.size() == 1);
    // Replay every datagram of the client's handshake at the server.
    std::size_t replayed = 0;
    for (const auto& d : p.seen_b.sent) {
        ByteReader reader(d);
        auto r = next_record(reader);
        if (r && r->type == static_cast<std::uint8_t>(ContentType::handshake)) {
            p.a.handle_input(p.now, d);
            ++replayed;
        }
    }
    REQUIRE(replayed >= 2);
    CHECK(drain_transmits(p.a, p.seen_a).empty());
    CHECK(p.a.stats().late_handshake > 0);
    CHECK(p.a.state() == State::connected);
    REQUIRE(p.a.send(payload(10, 2)));
    p.pump();
    REQUIRE(p.seen_b.data.size() == 1);
    CHECK(p.seen_b.data[0] == payload(10, 2));
}

TEST_CASE("records of floe's layer: replays are dropped, altered ones fail, the connection lives") {
    for (Role role_a : {Role::client, Role::server}) {
        CAPTURE(role_a == Role::client);
        Pair p(cert_a(), cert_b());
        start(p, role_a);
        REQUIRE(p.b.send(payload(10, 0)));  // moves a server a to floe's writer
        p.pump();
        REQUIRE(p.a.send(payload(300, 1)));
        auto sent = drain_transmits(p.a, p.seen_a);
        REQUIRE(sent.size() == 1);
        // Altered in each part: the header (authenticated as additional data), the explicit
        // nonce, the ciphertext, the tag. Each fails authentication; none is delivered.
        for (std::size_t at : {std::size_t{0}, std::size_t{4}, std::size_t{12}, std::size_t{15},
                               std::size_t{100}, sent[0].size() - 1}) {
            CAPTURE(at);
            Bytes altered = sent[0];
            altered[at] ^= at == 0 ? 0x03 : 0x01;  // type 23 -> 20: still a DTLS record
            p.b.handle_input(p.now, altered);
        }
        p.b.handle_input(p.now, sent[0]);
        p.b.handle_input(p.now, sent[0]);  // a replay
        drain_events(p.b, p.seen_b);
        REQUIRE(p.seen_b.data.size() == 1);
        CHECK(p.seen_b.data[0] == payload(300, 1));
        CHECK(p.b.stats().duplicates == 1);
        CHECK(p.b.state() == State::connected);
        REQUIRE(p.a.send(payload(20, 2)));
        p.pump();
        REQUIRE(p.seen_b.data.size() == 2);
        CHECK(p.seen_b.data[1] == payload(20, 2));
    }
}

TEST_CASE("next_record reads whole records and refuses truncated or foreign ones") {
    // application_data, DTLS 1.2, epoch 1, sequence 0x0102030405, 3 bytes of body; then a second
    // record of 1 byte.
    const Bytes two = {23,   0xfe, 0xfd, 0,    1, 0, 1, 2, 3, 4, 5, 0, 3, 0xaa, 0xbb,
                       0xcc, 21,   0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 1,    0x77};
    ByteReader reader(two);
    const auto first = next_record(reader);
    REQUIRE(first.has_value());
    CHECK(first->type == 23);
    CHECK(first->version == dtls12_version);
    CHECK(first->epoch == 1);
    CHECK(first->sequence == 0x0102030405);
    CHECK(first->header.size() == record_header_size);
    CHECK(first->body.size() == 3);
    CHECK(first->body[2] == 0xcc);
    const auto second = next_record(reader);
    REQUIRE(second.has_value());
    CHECK(second->type == 21);
    CHECK(second->sequence == 9);
    CHECK(second->body.size() == 1);
    CHECK(reader.empty());
    CHECK_FALSE(next_record(reader).has_value());

    // Every truncation of the first record: a header cut short (the fuzzer found that a failed
    // 6-byte read followed by a 2-byte one that succeeds was taken for a record) or a body
    // shorter than its length.
    for (std::size_t size = 0; size < 16; ++size) {
        CAPTURE(size);
        ByteReader cut(ByteSpan(two).first(size));
        CHECK_FALSE(next_record(cut).has_value());
    }
    // Not DTLS: a content type outside 20..23, a TLS version.
    Bytes wrong = two;
    wrong[0] = 24;
    ByteReader wrong_type(wrong);
    CHECK_FALSE(next_record(wrong_type).has_value());
    wrong = two;
    wrong[1] = 0x03;
    ByteReader wrong_version(wrong);
    CHECK_FALSE(next_record(wrong_version).has_value());
}

TEST_CASE("the replay window takes records out of order within 64 and refuses older ones") {
    ReplayWindow w;
    CHECK_FALSE(w.seen(5));
    w.accept(5);
    CHECK(w.seen(5));
    CHECK_FALSE(w.seen(3));
    w.accept(3);
    CHECK(w.seen(3));
    w.accept(100);
    CHECK(w.seen(36));  // 64 behind the top: outside the window
    CHECK_FALSE(w.seen(37));
    CHECK(w.seen(100));
    CHECK_FALSE(w.seen(101));
    w.accept(1000);
    CHECK(w.seen(100));
    CHECK_FALSE(w.seen(999));
}
