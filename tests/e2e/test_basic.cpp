#include <doctest/doctest.h>

#include "e2e_support.hpp"

using namespace floe;
using namespace floe::test;

TEST_CASE("two peers on loopback connect, open a channel, exchange text and binary, close") {
    PeerConnection a(loopback_config());
    PeerConnection b(loopback_config());
    auto dc = a.create_data_channel("chat");
    Inbox at_a, at_b;
    at_a.attach(dc);
    std::shared_ptr<DataChannel> remote;
    std::mutex m;
    b.on_data_channel([&](std::shared_ptr<DataChannel> ch) {
        at_b.attach(ch);
        std::lock_guard lock(m);
        remote = ch;
    });
    signal_complete(a, b);
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    REQUIRE(eventually([&] { std::lock_guard lock(m); return remote != nullptr; }));
    CHECK(a.connection_state() == PeerConnectionState::connected);
    CHECK(remote->label() == "chat");
    CHECK(dc->id().has_value());
    CHECK(*dc->id() == *remote->id());

    dc->send("hello");
    dc->send(Bytes{1, 2, 3});
    REQUIRE(eventually([&] { return at_b.size() == 2; }));
    CHECK(at_b.at(0).text() == "hello");
    CHECK_FALSE(at_b.at(0).binary);
    CHECK(at_b.at(1).binary);
    CHECK(at_b.at(1).data == Bytes{1, 2, 3});

    remote->send("back");
    REQUIRE(eventually([&] { return at_a.size() == 1; }));
    CHECK(at_a.at(0).text() == "back");

    auto stats = a.get_stats();
    CHECK(stats.messages_sent == 2);
    CHECK(stats.bytes_sent == 8);
    CHECK(stats.messages_received == 1);
    CHECK(stats.selected_candidate_pair.has_value());
    CHECK_FALSE(stats.dtls_cipher.empty());
    CHECK(stats.remote_fingerprint == b.get_stats().local_fingerprint);

    dc->close();
    REQUIRE(eventually([&] { return at_b.closes.load() == 1 && at_a.closes.load() == 1; }));
    CHECK(dc->ready_state() == DataChannelState::closed);
    a.close();
    b.close();
    CHECK(a.connection_state() == PeerConnectionState::closed);
}
