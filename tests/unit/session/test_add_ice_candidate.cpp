// Session::add_ice_candidate with the W3C RTCIceCandidateInit as signaled (null members kept):
// W3C webrtc §4.4.1.6 addIceCandidate and the ICE generation rule of RFC 8838 §4. Two sessions
// exchange descriptions by hand; nothing is sent anywhere (the cores are sans-IO).
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include <floe/error.hpp>
#include <floe/signaling.hpp>

#include "common/random.hpp"
#include "session/session.hpp"

using namespace floe;

namespace {

constexpr const char* kLine = "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host";

std::string ufrag_of(const std::optional<SessionDescription>& d) {
    REQUIRE(d);
    auto parsed = d->parse();
    REQUIRE(parsed.ok());
    return std::string(parsed->media.at(0).value("ice-ufrag").value_or(""));
}

// The offerer `a` and the answerer `b`, after one offer/answer exchange.
struct Peers {
    SeededRandom random_a{1};
    SeededRandom random_b{2};
    session::Session a{session::Config{}, random_a};
    session::Session b{session::Config{}, random_b};
    Instant now{};

    Peers() { exchange(); }
    void exchange() {
        auto offer = a.create_offer();
        a.set_local_description(now, offer);
        b.set_remote_description(now, offer);
        auto answer = b.create_answer();
        b.set_local_description(now, answer);
        a.set_remote_description(now, answer);
    }
    std::size_t remote_candidates_of_b() const { return b.stats(now, 0).remote_candidates.size(); }
};

}  // namespace

TEST_CASE("add_ice_candidate with neither sdpMid nor sdpMLineIndex throws and changes nothing") {
    Peers p;
    const auto remote = p.b.remote_description();
    const auto before = p.remote_candidates_of_b();

    CHECK_THROWS_AS(
        p.b.add_ice_candidate(p.now, IceCandidate{kLine, std::nullopt, std::nullopt, std::nullopt}),
        InvalidArgumentError);
    CHECK(p.b.signaling_state() == SignalingState::stable);
    CHECK(p.b.remote_description() == remote);
    CHECK(p.remote_candidates_of_b() == before);

    // Either one names the data section (W3C: the mid first, else the index).
    p.b.add_ice_candidate(p.now, IceCandidate{kLine, std::nullopt, 0, std::nullopt});
    CHECK(p.remote_candidates_of_b() == before + 1);
    CHECK_THROWS_AS(
        p.b.add_ice_candidate(p.now, IceCandidate{kLine, std::nullopt, 1, std::nullopt}),
        OperationError);
    CHECK_THROWS_AS(p.b.add_ice_candidate(p.now, IceCandidate{kLine, "9", 0, std::nullopt}),
                    OperationError);
    // The end-of-candidates marker needs neither.
    p.b.add_ice_candidate(p.now, IceCandidate{});
}

TEST_CASE("a candidate whose usernameFragment is an older ICE generation's is ignored") {
    Peers p;
    const std::string old_ufrag = ufrag_of(p.b.remote_description());
    // The offerer restarts ICE (W3C restartIce): new credentials, a new generation.
    p.a.restart_ice();
    p.exchange();
    const std::string new_ufrag = ufrag_of(p.b.remote_description());
    REQUIRE(new_ufrag != old_ufrag);
    const auto before = p.remote_candidates_of_b();

    // Trickled before the restart and delivered after it: the line has no ufrag extension, the
    // dictionary's usernameFragment says which generation it is.
    p.b.add_ice_candidate(p.now, IceCandidate{kLine, "0", 0, old_ufrag});
    CHECK(p.remote_candidates_of_b() == before);
    // So is an end-of-candidates of the old generation; the new one still takes candidates.
    p.b.add_ice_candidate(p.now, IceCandidate{"", "0", 0, old_ufrag});
    p.b.add_ice_candidate(p.now, IceCandidate{kLine, "0", 0, new_ufrag});
    CHECK(p.remote_candidates_of_b() == before + 1);
}

TEST_CASE("trickled local candidates carry their section and their generation's ufrag") {
    Peers p;
    p.b.add_local_socket(p.now, 1, *SocketAddress::parse("127.0.0.1:40001"));
    p.b.end_of_local_sockets(p.now);
    std::optional<IceCandidate> host;
    while (auto e = p.b.poll_event())
        if (auto* c = std::get_if<session::event::LocalCandidate>(&*e); c && c->candidate)
            host = c->candidate;
    REQUIRE(host);
    CHECK(host->sdp_mid == "0");
    CHECK(host->sdp_mline_index == 0);
    CHECK(host->username_fragment == ufrag_of(p.b.local_description()));
    REQUIRE(host->parse().ok());
    CHECK(host->parse()->extension("ufrag") == host->username_fragment);
}
