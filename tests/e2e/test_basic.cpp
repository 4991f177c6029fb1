#include <doctest/doctest.h>

#include <floe/error.hpp>
#include <floe/ice/candidate.hpp>

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
    REQUIRE(eventually([&] {
        std::lock_guard lock(m);
        return remote != nullptr;
    }));
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
    CHECK(stats.floe.messages_sent == 2);
    CHECK(stats.floe.bytes_sent == 8);
    CHECK(stats.floe.messages_received == 1);
    const auto* pair = stats.selected_candidate_pair();
    REQUIRE(pair != nullptr);
    REQUIRE(pair->current_round_trip_time.has_value());
    CHECK(*pair->current_round_trip_time >= 0.0);
    CHECK(*pair->current_round_trip_time < 1.0);  // loopback, in seconds
    REQUIRE(stats.transport.has_value());
    CHECK_FALSE(stats.transport->dtls_cipher.empty());
    REQUIRE(stats.remote_certificate() != nullptr);
    CHECK(describe(*stats.remote_certificate()) == describe(*b.get_stats().local_certificate()));

    dc->close();
    REQUIRE(eventually([&] { return at_b.closes.load() == 1 && at_a.closes.load() == 1; }));
    CHECK(dc->ready_state() == DataChannelState::closed);
    a.close();
    b.close();
    CHECK(a.connection_state() == PeerConnectionState::closed);
}

TEST_CASE("messages of 0 B, 1 B, 1200 B, 16 KiB, 64 KiB and the maximum size arrive intact") {
    PeerConnection a(loopback_config());
    PeerConnection b(loopback_config());
    auto dc = a.create_data_channel("sizes");
    Inbox at_b;
    std::atomic<bool> got{false};
    b.on_data_channel([&](std::shared_ptr<DataChannel> ch) {
        at_b.attach(ch);
        got = true;
    });
    signal_complete(a, b);
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    const std::size_t max = default_max_message_size;
    const std::vector<std::size_t> sizes{0, 1, 1200, 16384, 65536, max};
    for (std::size_t n : sizes) {
        Bytes data(n);
        for (std::size_t i = 0; i < n; ++i)
            data[i] = static_cast<std::uint8_t>(i * 7 + n);
        dc->send(data);
        dc->send(std::string(n, 'x'));
    }
    REQUIRE(eventually([&] { return at_b.size() == 2 * sizes.size(); }));
    for (std::size_t k = 0; k < sizes.size(); ++k) {
        const std::size_t n = sizes[k];
        auto bin = at_b.at(2 * k);
        auto text = at_b.at(2 * k + 1);
        CHECK(bin.binary);
        CHECK(bin.size() == n);
        bool same = true;
        for (std::size_t i = 0; i < n; ++i)
            same &= bin.data[i] == static_cast<std::uint8_t>(i * 7 + n);
        CHECK(same);
        CHECK_FALSE(text.binary);
        CHECK(text.text() == std::string(n, 'x'));
    }
    CHECK_THROWS_AS(dc->send(Bytes(max + 1)), InvalidArgumentError);
}

TEST_CASE("state events come in the W3C order: signaling, gathering, ICE and connection") {
    PeerConnection a(loopback_config());
    PeerConnection b(loopback_config());
    std::mutex m;
    std::vector<std::string> sa, gather, ice, conn;
    const auto add = [&](std::vector<std::string>& v, std::string_view s) {
        std::lock_guard lock(m);
        v.emplace_back(s);
    };
    a.on_signaling_state_change([&](SignalingState s) { add(sa, to_string(s)); });
    a.on_ice_gathering_state_change([&](IceGatheringState s) { add(gather, to_string(s)); });
    a.on_ice_connection_state_change([&](IceConnectionState s) { add(ice, to_string(s)); });
    a.on_connection_state_change([&](PeerConnectionState s) { add(conn, to_string(s)); });
    auto dc = a.create_data_channel("events");
    signal_complete(a, b);
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    a.close();
    std::lock_guard lock(m);
    CHECK(sa == std::vector<std::string>{"have-local-offer", "stable"});
    CHECK(gather == std::vector<std::string>{"gathering", "complete"});
    REQUIRE(ice.size() >= 2);
    CHECK(ice.front() == "checking");
    CHECK((ice.back() == "connected" || ice.back() == "completed"));
    CHECK(conn == std::vector<std::string>{"connecting", "connected"});  // none after close()
}

TEST_CASE("gathering honours the port range and the interface list") {
    Configuration c = loopback_config();
    c.port_range_begin = 47100;
    c.port_range_end = 47199;
    c.interfaces = {"127.0.0.1"};
    PeerConnection a(c);
    std::mutex m;
    std::vector<std::string> lines;
    a.on_ice_candidate([&](std::optional<IceCandidate> cand) {
        std::lock_guard lock(m);
        if (cand) lines.push_back(cand->candidate);
    });
    a.create_data_channel("x");
    a.set_local_description(a.create_offer());
    REQUIRE(eventually([&] { return a.ice_gathering_state() == IceGatheringState::complete; }));
    std::lock_guard lock(m);
    REQUIRE(lines.size() == 1);
    auto parsed = ice::Candidate::parse(lines[0]);
    REQUIRE(parsed.ok());
    CHECK(parsed->address == "127.0.0.1");
    CHECK(parsed->port >= 47100);
    CHECK(parsed->port <= 47199);
    CHECK(a.local_description()->sdp.find("a=end-of-candidates") != std::string::npos);

    Configuration bad = loopback_config();
    bad.ice_servers = {"http://example.org"};
    CHECK_THROWS_AS(PeerConnection{bad}, InvalidArgumentError);
}
