// The JSEP signaling state machine on its own (W3C webrtc §4.3.1, RFC 8829 §3.2): every
// transition from every state, and what a refused call leaves behind (nothing).
#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <string>

#include <floe/certificate.hpp>
#include <floe/error.hpp>

#include "common/random.hpp"
#include "session/signaling.hpp"

using namespace floe;
using floe::session::Signaling;

namespace {

const Fingerprint& fingerprint() {
    static const Fingerprint f = *Fingerprint::parse(Certificate::generate().fingerprint());
    return f;
}

Signaling make(std::uint64_t seed) {
    SeededRandom random(seed);
    return Signaling(Signaling::Local{ice::random_credentials(random), fingerprint(),
                                      default_max_message_size, seed});
}

// An offerer and an answerer, and the descriptions they exchange.
struct Pair {
    Signaling a = make(1);
    Signaling b = make(2);
    SessionDescription offer = a.create_offer();
    SessionDescription answer_text() {
        Signaling other = make(3);
        other.set_remote_description(offer);
        return other.create_answer();
    }
};

// Brings `pair` so that `self` is in `state`.
Signaling& reach(Pair& p, SignalingState state) {
    switch (state) {
        case SignalingState::stable:
            return p.a;
        case SignalingState::have_local_offer:
            p.a.set_local_description(p.offer);
            return p.a;
        case SignalingState::have_remote_offer:
            p.b.set_remote_description(p.offer);
            return p.b;
        case SignalingState::have_local_pranswer:
            p.b.set_remote_description(p.offer);
            p.b.set_local_description(
                SessionDescription{SdpType::pranswer, p.b.create_answer().sdp});
            return p.b;
        case SignalingState::have_remote_pranswer: {
            auto answer = p.answer_text();
            p.a.set_local_description(p.offer);
            p.a.set_remote_description(SessionDescription{SdpType::pranswer, answer.sdp});
            return p.a;
        }
        case SignalingState::closed:
            p.a.close();
            return p.a;
    }
    return p.a;
}

enum class Side { local, remote };

struct Step {
    Side side;
    SdpType type;
    std::optional<SignalingState> to;  // nullopt: refused with InvalidStateError
};

using S = SignalingState;
using T = SdpType;
constexpr auto L = Side::local;
constexpr auto R = Side::remote;

bool same(const std::optional<SessionDescription>& x, const std::optional<SessionDescription>& y) {
    if (!x || !y) return x.has_value() == y.has_value();
    return x->type == y->type && x->sdp == y->sdp;
}

const char* name(Side s) {
    return s == Side::local ? "local" : "remote";
}

}  // namespace

TEST_CASE("a full offer/answer exchange walks both sides to stable and fixes the roles") {
    Pair p;
    const auto a1 = p.a.set_local_description(p.offer);
    CHECK(p.a.state() == S::have_local_offer);
    CHECK(a1.ice_controlling == true);  // RFC 8445 §6.1.1: the offerer controls
    CHECK_FALSE(a1.dtls_client.has_value());

    const auto b1 = p.b.set_remote_description(p.offer);
    CHECK(p.b.state() == S::have_remote_offer);
    CHECK(b1.ice_controlling == false);
    REQUIRE(p.b.remote() != nullptr);
    CHECK(p.b.remote()->mid == "0");

    const auto answer = p.b.create_answer();
    const auto b2 = p.b.set_local_description(answer);
    CHECK(p.b.state() == S::stable);
    CHECK(b2.dtls_client == true);  // answers actpass with active (RFC 8842 §5.3)

    const auto a2 = p.a.set_remote_description(answer);
    CHECK(p.a.state() == S::stable);
    CHECK(a2.dtls_client == false);
    CHECK(p.a.local_description()->type == T::offer);
    CHECK(p.a.remote_description()->sdp == answer.sdp);
}

TEST_CASE("every transition from every state: allowed ones move, refused ones change nothing") {
    // W3C webrtc §4.3.1 as floe implements it (no renegotiation yet).
    const std::vector<std::pair<S, std::vector<Step>>> table = {
        {S::stable,
         {{L, T::offer, S::have_local_offer},
          {L, T::answer, {}},
          {L, T::pranswer, {}},
          {L, T::rollback, S::stable},
          {R, T::offer, S::have_remote_offer},
          {R, T::answer, {}},
          {R, T::pranswer, {}},
          {R, T::rollback, S::stable}}},
        {S::have_local_offer,
         {{L, T::offer, S::have_local_offer},
          {L, T::answer, {}},
          {L, T::pranswer, {}},
          {L, T::rollback, S::stable},
          {R, T::offer, {}},
          {R, T::answer, S::stable},
          {R, T::pranswer, S::have_remote_pranswer},
          {R, T::rollback, {}}}},
        {S::have_remote_offer,
         {{L, T::offer, {}},
          {L, T::answer, S::stable},
          {L, T::pranswer, S::have_local_pranswer},
          {L, T::rollback, {}},
          {R, T::offer, S::have_remote_offer},
          {R, T::answer, {}},
          {R, T::pranswer, {}},
          {R, T::rollback, S::stable}}},
        {S::have_local_pranswer,
         {{L, T::offer, {}},
          {L, T::answer, S::stable},
          {L, T::pranswer, S::have_local_pranswer},
          {L, T::rollback, {}},
          {R, T::offer, {}},
          {R, T::answer, {}},
          {R, T::rollback, {}}}},
        {S::have_remote_pranswer,
         {{L, T::offer, {}},
          {L, T::answer, {}},
          {L, T::rollback, {}},
          {R, T::offer, {}},
          {R, T::answer, S::stable},
          {R, T::pranswer, S::have_remote_pranswer},
          {R, T::rollback, {}}}},
        {S::closed,
         {{L, T::offer, {}},
          {L, T::answer, {}},
          {L, T::rollback, {}},
          {R, T::offer, {}},
          {R, T::answer, {}},
          {R, T::rollback, {}}}},
    };
    for (const auto& [from, steps] : table) {
        for (const auto& step : steps) {
            Pair p;
            const auto answer = p.answer_text();
            Signaling& s = reach(p, from);
            REQUIRE(s.state() == from);
            INFO(to_string(from) << ": " << name(step.side) << " " << to_string(step.type));
            // The text that fits the step: the offer `a` makes, or an answer to it.
            const std::string& sdp = step.type == T::offer ? p.offer.sdp : answer.sdp;
            const SessionDescription d{step.type, step.type == T::rollback ? "" : sdp};
            const auto local_before = s.local_description();
            const auto remote_before = s.remote_description();
            const auto apply = [&] {
                if (step.side == L)
                    s.set_local_description(d);
                else
                    s.set_remote_description(d);
            };
            if (step.to) {
                CHECK_NOTHROW(apply());
                CHECK(s.state() == *step.to);
            } else {
                CHECK_THROWS_AS(apply(), InvalidStateError);
                CHECK(s.state() == from);
                CHECK(same(s.local_description(), local_before));
                CHECK(same(s.remote_description(), remote_before));
            }
        }
    }
}

TEST_CASE("a description that does not parse is refused whole: state and descriptions intact") {
    Pair p;
    Signaling& b = reach(p, S::stable);
    auto bad = p.offer;
    bad.sdp.replace(bad.sdp.find("a=ice-pwd:"), 10, "a=ice-pwx:");
    CHECK_THROWS_AS(b.set_remote_description(bad), sdp::SdpError);
    CHECK(b.state() == S::stable);
    CHECK_FALSE(b.remote_description().has_value());
    CHECK(b.remote() == nullptr);
    // ... and the good one still applies afterwards.
    b.set_remote_description(p.offer);
    CHECK(b.state() == S::have_remote_offer);
}

TEST_CASE("a rolled-back remote offer leaves no remote description behind") {
    Pair p;
    p.b.set_remote_description(p.offer);
    p.b.set_remote_description(SessionDescription{T::rollback, ""});
    CHECK(p.b.state() == S::stable);
    CHECK_FALSE(p.b.remote_description().has_value());
    CHECK(p.b.remote() == nullptr);
    CHECK_THROWS_AS(p.b.create_answer(), InvalidStateError);
}

TEST_CASE("set_local_description without a description answers a pending offer, else offers") {
    Pair p;
    p.a.set_local_description(std::nullopt);
    CHECK(p.a.state() == S::have_local_offer);
    CHECK(p.a.local_description()->type == T::offer);
    p.b.set_remote_description(p.offer);
    const auto applied = p.b.set_local_description(std::nullopt);
    CHECK(p.b.state() == S::stable);
    CHECK(p.b.local_description()->type == T::answer);
    CHECK(applied.dtls_client == true);
}

TEST_CASE("after a complete exchange a new remote offer is refused (no renegotiation yet)") {
    Pair p;
    const auto answer = p.answer_text();
    p.a.set_local_description(p.offer);
    p.a.set_remote_description(answer);
    REQUIRE(p.a.state() == S::stable);
    Pair q;
    CHECK_THROWS_AS(p.a.set_remote_description(q.offer), InvalidStateError);
    CHECK(p.a.state() == S::stable);
    CHECK(p.a.remote_description()->sdp == answer.sdp);
}

TEST_CASE("a closed state machine refuses to create descriptions") {
    Pair p;
    p.a.close();
    CHECK(p.a.state() == S::closed);
    CHECK_THROWS_AS(p.a.create_offer(), InvalidStateError);
    CHECK_THROWS_AS(p.a.create_answer(), InvalidStateError);
}
