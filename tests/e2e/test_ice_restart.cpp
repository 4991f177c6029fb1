// ICE restart on real sockets (issue 15): two PeerConnections on loopback, a transfer in
// progress, restart_ice() and a new offer/answer, by either side. The channel stays open and every
// message arrives in order; both descriptions carry new credentials.
#include <doctest/doctest.h>

#include <floe/error.hpp>

#include "e2e_support.hpp"

using namespace floe;
using namespace floe::test;

namespace {

std::string ufrag_of(const std::optional<SessionDescription>& d) {
    REQUIRE(d.has_value());
    const auto at = d->sdp.find("a=ice-ufrag:");
    REQUIRE(at != std::string::npos);
    const auto begin = at + 12;
    return d->sdp.substr(begin, d->sdp.find("\r\n", begin) - begin);
}

// A new offer/answer with candidates trickled (signal_trickle's callbacks stay in place). Each
// description is applied at the peer before its author applies it, so that the candidates it
// starts trickling never come before the description they belong to.
void renegotiate(PeerConnection& offerer, PeerConnection& answerer) {
    const auto offer = offerer.create_offer();
    answerer.set_remote_description(offer);
    offerer.set_local_description(offer);
    const auto answer = answerer.create_answer();
    offerer.set_remote_description(answer);
    answerer.set_local_description(answer);
}

std::string numbered(int i) {
    return "message " + std::to_string(i) + std::string(1000, 'x');
}

}  // namespace

TEST_CASE(
    "restart_ice mid-transfer, by each side in turn: new credentials, every message arrives") {
    PeerConnection a{loopback_config()};
    PeerConnection b{loopback_config()};
    Inbox inbox;
    b.on_data_channel([&](std::shared_ptr<DataChannel> dc) { inbox.attach(dc); });
    std::mutex mutex;
    std::vector<std::string> a_candidates;
    std::atomic<int> a_complete{0};
    a.on_ice_gathering_state_change([&](IceGatheringState s) {
        if (s == IceGatheringState::complete) ++a_complete;
    });
    signal_trickle(a, b);
    // signal_trickle's forwarding, plus a record of what a trickles.
    a.on_ice_candidate([&](std::optional<IceCandidate> c) {
        if (c) {
            std::lock_guard lock(mutex);
            a_candidates.push_back(c->candidate);
        }
        b.add_ice_candidate(c);
    });
    auto dc = a.create_data_channel("data");
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    REQUIRE(eventually([&] { return inbox.opens == 1; }));
    REQUIRE(eventually([&] { return a_complete == 1; }));

    constexpr int per_round = 300;
    int sent = 0;
    const auto send_round = [&] {
        for (int i = 0; i < per_round; ++i)
            dc->send(numbered(sent++));
    };
    for (PeerConnection* restarter : {&a, &b}) {
        PeerConnection& peer = restarter == &a ? b : a;
        INFO((restarter == &a ? "a (the first offerer)" : "b (the first answerer)") << " restarts");
        const auto a_ufrag = ufrag_of(a.local_description());
        const auto b_ufrag = ufrag_of(b.local_description());
        const int completes = a_complete;
        send_round();  // in flight while ICE restarts
        restarter->restart_ice();
        renegotiate(*restarter, peer);
        send_round();
        CHECK(ufrag_of(a.local_description()) != a_ufrag);
        CHECK(ufrag_of(b.local_description()) != b_ufrag);
        CHECK(ufrag_of(a.remote_description()) == ufrag_of(b.local_description()));
        CHECK(ufrag_of(b.remote_description()) == ufrag_of(a.local_description()));
        // a gathered again and completed again.
        CHECK(eventually([&] { return a_complete == completes + 1; }));
        REQUIRE(eventually([&] { return inbox.size() == static_cast<std::size_t>(sent); }));
        CHECK(dc->ready_state() == DataChannelState::open);
        CHECK(a.signaling_state() == SignalingState::stable);
        CHECK(b.signaling_state() == SignalingState::stable);
        CHECK(eventually([&] {
            const auto s = a.ice_connection_state();
            return s == IceConnectionState::connected || s == IceConnectionState::completed;
        }));
        CHECK(a.connection_state() == PeerConnectionState::connected);
        CHECK(b.connection_state() == PeerConnectionState::connected);
        const auto stats = a.get_stats();
        CHECK(stats.selected_candidate_pair() != nullptr);
        // The transport runs the new generation (W3C RTCTransportStats).
        REQUIRE(stats.transport);
        CHECK(stats.transport->ice_local_username_fragment == ufrag_of(a.local_description()));
        // Trickled candidates name their generation (RFC 8838 §4): the new ufrag.
        std::lock_guard lock(mutex);
        REQUIRE_FALSE(a_candidates.empty());
        CHECK(a_candidates.back().find(" ufrag " + ufrag_of(a.local_description())) !=
              std::string::npos);
    }
    for (int i = 0; i < sent; ++i) {
        INFO("message " << i);
        REQUIRE(std::string(inbox.at(static_cast<std::size_t>(i)).text()) == numbered(i));
    }
    CHECK(inbox.closes == 0);
    CHECK(a.get_stats().peer_connection.data_channels_opened == 1);
}

TEST_CASE("restart_ice after close() does nothing and throws nothing (W3C)") {
    PeerConnection a{loopback_config()};
    a.set_local_description(a.create_offer());
    a.close();
    CHECK_NOTHROW(a.restart_ice());
    CHECK(a.signaling_state() == SignalingState::closed);
}

TEST_CASE("a re-offer with a new DTLS fingerprint is refused and changes nothing") {
    PeerConnection a{loopback_config()};
    PeerConnection b{loopback_config()};
    signal_complete(a, b);
    PeerConnection stranger{loopback_config()};
    const auto before = a.remote_description();
    // Same mid and port, another certificate: floe keeps one DTLS association per session.
    CHECK_THROWS_AS(a.set_remote_description(stranger.create_offer()), OperationError);
    CHECK(a.signaling_state() == SignalingState::stable);
    CHECK(a.remote_description()->sdp == before->sdp);
}
