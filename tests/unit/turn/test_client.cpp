// The TURN client against a scripted server on a virtual clock: the allocation's life, refreshes
// on time, 438 mid-run, every error mapped to a reason, data both ways.
#include <doctest/doctest.h>

#include "turn_harness.hpp"

using namespace floe;
using namespace floe::test;
using Kind = turn::Event::Kind;

namespace {
const SocketAddress peer = *SocketAddress::parse("203.0.113.5:9000");
const SocketAddress other_peer = *SocketAddress::parse("203.0.113.6:9000");
}  // namespace

TEST_CASE("Allocate answers the 401 challenge with the long-term credential") {
    TurnHarness h;
    auto allocated = h.take(Kind::allocated);
    REQUIRE(allocated.size() == 1);
    CHECK(allocated[0].relayed == h.server.relayed);
    CHECK(allocated[0].mapped == h.server.mapped);
    CHECK(allocated[0].lifetime == 600s);
    CHECK(h.client->state() == turn::Client::State::allocated);
    CHECK(h.server.requests == 2);  // unauthenticated, then signed
    CHECK(h.client->counters().credential_retries == 1);
    auto first = stun::Message::decode(h.sent[0]);
    REQUIRE(first);
    CHECK_FALSE(first->username());
    CHECK(first->requested_transport() == stun::transport_udp);
    CHECK(first->lifetime() == 600u);
}

TEST_CASE("SHA-256 is used when the server offers PASSWORD-ALGORITHMS") {
    FakeTurnServer server;
    server.offer_sha256 = true;
    TurnHarness h;
    h.server = server;
    h.events.clear();
    h.sent.clear();
    h.open({});
    REQUIRE(h.take(Kind::allocated).size() == 1);
    auto signed_allocate = stun::Message::decode(h.sent.at(1));
    REQUIRE(signed_allocate);
    CHECK(signed_allocate->message_integrity_sha256());
    CHECK_FALSE(signed_allocate->message_integrity());
    CHECK(signed_allocate->password_algorithm()->algorithm == 2);
}

TEST_CASE(
    "a 12-minute run refreshes the allocation, permissions and channel on time and survives "
    "a 438 in the middle") {
    TurnHarness h;
    REQUIRE(h.client->create_permission(h.now, peer));
    REQUIRE(h.client->bind_channel(h.now, other_peer));
    h.exchange();
    CHECK(h.take(Kind::permission_created).size() == 2);
    CHECK(h.take(Kind::channel_bound).size() == 1);

    h.advance(5min);
    h.server.stale_next = true;  // the nonce expires mid-run
    for (int minute = 5; minute < 12; ++minute) {
        h.advance(1min);
        // Everything the client holds is alive on the server at every minute.
        CHECK(h.server.allocated(h.now));
        CHECK(h.server.permitted(h.now, peer.ip()));
        CHECK(h.server.permitted(h.now, other_peer.ip()));
    }
    CHECK(h.now - h.start == 12min);
    CHECK(h.server.lost_allocations == 0);
    CHECK(h.take(Kind::failed).empty());
    CHECK(h.take(Kind::permission_failed).empty());
    // The nonce expired with two permission refreshes in flight (at 480 s): the first 438 brought
    // the new nonce, the second request, signed with the old one, was signed again.
    CHECK(h.client->counters().stale_nonces == 2);
    // Allocation: 600 s granted, refreshed a minute early (540 s). Permissions: 300 s, refreshed
    // at 240, 480 and 720 s (one of them retried after the 438). Channel: at 540 s.
    CHECK(h.server.count(stun::method::refresh, 600) == 1);
    CHECK(h.client->counters().allocation_refreshes == 1);
    CHECK(h.client->counters().permission_refreshes == 6);
    CHECK(h.client->counters().channel_refreshes == 1);
    CHECK(h.take(Kind::refreshed).size() == 1);
    for (const auto& seen : h.server.accepted)
        if (seen.method == stun::method::refresh) CHECK(seen.at - h.start == 540s);

    // And data still flows both ways, on the channel and by indication.
    CHECK(h.client->send_to(other_peer, Bytes{1, 2, 3, 4}) == turn::SendResult::sent_channel_data);
    CHECK(h.client->send_to(peer, Bytes{5, 6, 7, 8}) == turn::SendResult::sent_indication);
    h.exchange();
    REQUIRE(h.server.relayed_out.size() == 2);
    CHECK(h.server.lost_permissions == 0);
}

TEST_CASE("wrong credentials fail after one signed retry with a clear reason") {
    turn::ClientConfig config;
    config.password = "not-the-password";
    TurnHarness h(config);
    auto failed = h.take(Kind::failed);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].code == 401);
    CHECK(failed[0].reason.find("wrong credentials") != std::string::npos);
    CHECK(h.server.requests == 2);
    CHECK(h.client->state() == turn::Client::State::failed);
    CHECK_FALSE(h.client->poll_timeout());
    CHECK(h.client->send_to(peer, Bytes{1}) == turn::SendResult::not_allocated);
}

TEST_CASE("a server answering 438 for ever is given up on, not looped on") {
    TurnHarness h;
    h.server.always_stale = true;
    REQUIRE(h.client->create_permission(h.now, peer));
    h.exchange();
    auto failed = h.take(Kind::permission_failed);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].code == 438);
    CHECK(h.server.requests < 10);
    CHECK(h.client->state() == turn::Client::State::allocated);
}

TEST_CASE("each Allocate error code becomes a failure with its code and a clear reason") {
    const std::pair<int, const char*> cases[] = {
        {403, "forbids this allocation"},
        {437, "allocation already exists"},
        {441, "wrong credentials"},
        {442, "does not relay UDP"},
        {486, "allocation quota"},
        {508, "no capacity left"},
        {400, "malformed"},
        {500, "failed internally"},
        {300, "redirects"},
        {599, "refused Allocate with error 599"},
    };
    for (const auto& entry : cases) {
        const int code = entry.first;  // CAPTURE takes it, which a binding may not be (clang 14)
        const char* text = entry.second;
        CAPTURE(code);
        FakeTurnServer server;
        server.fail_with[stun::method::allocate] = code;
        TurnHarness h;
        h.server = server;
        h.events.clear();
        h.open({});
        auto failed = h.take(Kind::failed);
        REQUIRE(failed.size() == 1);
        CHECK(failed[0].code == code);
        CHECK_MESSAGE(failed[0].reason.find(text) != std::string::npos, failed[0].reason);
        CHECK(h.client->state() == turn::Client::State::failed);
    }
}

TEST_CASE("403 to CreatePermission names the peer address policy and keeps the allocation") {
    TurnHarness h;
    h.server.fail_with[stun::method::create_permission] = 403;
    REQUIRE(h.client->create_permission(h.now, peer));
    h.exchange();
    auto failed = h.take(Kind::permission_failed);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].peer == peer);
    CHECK(failed[0].code == 403);
    CHECK(failed[0].reason.find("peer address") != std::string::npos);
    CHECK(h.client->state() == turn::Client::State::allocated);
    CHECK(h.client->send_to(peer, Bytes{1}) == turn::SendResult::no_permission);
}

TEST_CASE("437 to a Refresh means the allocation is gone: failed, with the reason") {
    TurnHarness h;
    h.server.allocation_expires.reset();  // the server forgot it (restart, admin)
    h.advance(9min + 1s);
    auto failed = h.take(Kind::failed);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].code == 437);
    CHECK(failed[0].reason.find("could not be refreshed") != std::string::npos);
}

TEST_CASE(
    "an unanswered Allocate fails after the UDP retransmission schedule; over a stream it "
    "is sent once") {
    for (bool stream : {false, true}) {
        CAPTURE(stream);
        FakeTurnServer server;
        server.silent = true;
        TurnHarness h;
        h.server = server;
        h.events.clear();
        h.sent.clear();
        turn::ClientConfig config;
        config.stream = stream;
        h.open(config);
        h.advance(1min);
        auto failed = h.take(Kind::failed);
        REQUIRE(failed.size() == 1);
        CHECK(failed[0].code == 0);
        CHECK(failed[0].reason.find("no answer") != std::string::npos);
        CHECK(h.sent.size() == (stream ? 1u : 7u));
    }
}

TEST_CASE(
    "send_to uses a 36-byte Send indication until the channel is bound, then 4-byte "
    "ChannelData") {
    TurnHarness h;
    const Bytes payload(100, 0xAB);
    CHECK(h.client->send_to(peer, payload) == turn::SendResult::no_permission);
    REQUIRE(h.client->create_permission(h.now, peer));
    h.exchange();
    h.sent.clear();
    CHECK(h.client->send_to(peer, payload) == turn::SendResult::sent_indication);
    h.exchange();
    REQUIRE(h.sent.size() == 1);
    CHECK(h.sent[0].size() == payload.size() + 36);

    REQUIRE(h.client->bind_channel(h.now, peer));
    CHECK_FALSE(h.client->bind_channel(h.now, peer));  // already bound (or binding)
    h.exchange();
    REQUIRE(h.client->channel_for(peer) == turn::min_channel);
    h.sent.clear();
    CHECK(h.client->send_to(peer, payload) == turn::SendResult::sent_channel_data);
    h.exchange();
    REQUIRE(h.sent.size() == 1);
    CHECK(h.sent[0].size() == payload.size() + 4);
    REQUIRE(h.server.relayed_out.size() == 2);
    CHECK(h.server.relayed_out[1].first == peer);
    CHECK(h.server.relayed_out[1].second == payload);
    CHECK(h.client->send_to(peer, Bytes(turn::Client::max_payload + 1)) ==
          turn::SendResult::too_large);
}

TEST_CASE("over a stream ChannelData is padded to 4 bytes") {
    turn::ClientConfig config;
    config.stream = true;
    TurnHarness h(config);
    REQUIRE(h.client->bind_channel(h.now, peer));
    h.exchange();
    h.sent.clear();
    CHECK(h.client->send_to(peer, Bytes{1, 2, 3, 4, 5}) == turn::SendResult::sent_channel_data);
    h.exchange();
    REQUIRE(h.sent.size() == 1);
    CHECK(h.sent[0].size() == 12);  // 4 + 5, padded
}

TEST_CASE("data from peers arrives as events; unknown peers and garbage are dropped and counted") {
    TurnHarness h;
    REQUIRE(h.client->create_permission(h.now, peer));
    REQUIRE(h.client->bind_channel(h.now, other_peer));
    h.exchange();
    h.events.clear();

    h.deliver(h.server.from_peer(h.now, peer, Bytes{1, 2, 3}));        // Data indication
    h.deliver(h.server.from_peer(h.now, other_peer, Bytes{4, 5, 6}));  // ChannelData
    auto data = h.take(Kind::data);
    REQUIRE(data.size() == 2);
    CHECK(data[0].peer == peer);
    CHECK(data[0].data == Bytes{1, 2, 3});
    CHECK(data[1].peer == other_peer);
    CHECK(data[1].channel == turn::min_channel);
    CHECK(data[1].data == Bytes{4, 5, 6});

    const auto stranger = *SocketAddress::parse("203.0.113.99:1");
    h.deliver(h.server.from_peer(h.now, stranger, Bytes{7}));
    h.deliver(Bytes{0x4F, 0xFF, 0x00, 0x01, 0x00});  // a channel we never bound
    CHECK(h.client->counters().dropped_unknown_peer == 2);
    h.deliver(Bytes{0x40, 0x00, 0x00, 0x09, 0x00});  // length runs past the end
    h.deliver(Bytes{0x80, 1, 2, 3});
    h.deliver(Bytes(20, 0));  // STUN-looking, no cookie
    CHECK(h.client->counters().dropped_malformed == 3);
    CHECK(h.take(Kind::data).size() == 2);
    CHECK(h.client->state() == turn::Client::State::allocated);
}

TEST_CASE("a success response with a forged MESSAGE-INTEGRITY is ignored") {
    TurnHarness h;
    h.server.silent = true;
    REQUIRE(h.client->create_permission(h.now, peer));
    h.exchange();
    auto request = stun::Message::decode(h.sent.back());
    REQUIRE(request);
    Bytes forged;
    stun::MessageBuilder b(forged,
                           {stun::method::create_permission, stun::MessageClass::success_response},
                           request->transaction_id());
    b.add_message_integrity(stun::IntegrityKey::long_term_md5("alice", "floe.test", "guess"));
    REQUIRE(b.finish());
    h.deliver(forged);
    CHECK(h.take(Kind::permission_created).empty());
}

TEST_CASE("close() deallocates with a Refresh of LIFETIME 0, then goes quiet") {
    TurnHarness h;
    REQUIRE(h.client->create_permission(h.now, peer));
    h.exchange();
    h.client->close(h.now);
    h.exchange();
    CHECK(h.server.count(stun::method::refresh, 0) == 1);
    CHECK_FALSE(h.server.allocated(h.now));
    CHECK(h.take(Kind::deallocated).size() == 1);
    CHECK(h.client->state() == turn::Client::State::closed);
    CHECK_FALSE(h.client->poll_timeout());
    h.client->close(h.now);  // twice is harmless
    h.exchange();
    CHECK(h.take(Kind::deallocated).size() == 1);
    CHECK(h.client->send_to(peer, Bytes{1}) == turn::SendResult::not_allocated);
}

TEST_CASE("close() before the allocation exists ends at once") {
    FakeTurnServer server;
    server.silent = true;
    TurnHarness h;
    h.server = server;
    h.events.clear();
    h.open({});
    h.client->close(h.now);
    h.exchange();
    CHECK(h.take(Kind::deallocated).size() == 1);
    CHECK_FALSE(h.client->poll_timeout());
}

TEST_CASE("a Refresh answered with LIFETIME 0 ends the allocation instead of spinning") {
    TurnHarness h;
    h.server.max_lifetime = 0;  // the server grants nothing more
    h.advance(10min);           // advance_to fails the test if the client asks to wake in the past
    auto failed = h.take(Kind::failed);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].reason.find("LIFETIME 0") != std::string::npos);
    CHECK_FALSE(h.client->poll_timeout());
}

TEST_CASE("an error response without ERROR-CODE fails with that reason, not as 'no answer'") {
    FakeTurnServer server;
    server.silent = true;
    TurnHarness h;
    h.server = server;
    h.events.clear();
    h.sent.clear();
    h.open({});
    auto request = stun::Message::decode(h.sent.at(0));
    REQUIRE(request);
    Bytes answer;
    stun::MessageBuilder b(answer, {stun::method::allocate, stun::MessageClass::error_response},
                           request->transaction_id());
    REQUIRE(b.finish());
    h.deliver(answer);
    auto failed = h.take(Kind::failed);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0].reason.find("without ERROR-CODE") != std::string::npos);
}
