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

// Draws the credentials of ICE restarts; shared by every state machine of the program.
Random& restart_random() {
    static SeededRandom random(99);
    return random;
}

Signaling make(std::uint64_t seed) {
    SeededRandom random(seed);
    return Signaling(Signaling::Local{ice::random_credentials(random), fingerprint(),
                                      default_max_message_size, seed},
                     restart_random());
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
    // W3C webrtc §4.3.1 as floe implements it (the first exchange; re-offers are tested below).
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
    for (const auto& row : table) {
        const S from =
            row.first;  // a copy: INFO captures it, which a binding may not be (clang 14)
        const auto& steps = row.second;
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

namespace {

// The value of `a=<name>:` in a description (its first occurrence).
std::string attribute(const SessionDescription& d, const std::string& name) {
    const auto at = d.sdp.find("a=" + name + ":");
    if (at == std::string::npos) return {};
    const auto begin = at + name.size() + 3;
    return d.sdp.substr(begin, d.sdp.find("\r\n", begin) - begin);
}

// `p` after a complete first exchange: a offered (DTLS server), b answered (DTLS client).
void negotiate(Pair& p) {
    p.a.set_local_description(p.offer);
    p.b.set_remote_description(p.offer);
    const auto answer = p.b.create_answer();
    p.b.set_local_description(answer);
    p.a.set_remote_description(answer);
    REQUIRE(p.a.state() == S::stable);
    REQUIRE(p.b.state() == S::stable);
}

// One more exchange, `from` offering to `to`; returns {offer, answer}.
std::pair<SessionDescription, SessionDescription> renegotiate(Signaling& from, Signaling& to) {
    const auto offer = from.create_offer();
    from.set_local_description(offer);
    to.set_remote_description(offer);
    const auto answer = to.create_answer();
    to.set_local_description(answer);
    from.set_remote_description(answer);
    return {offer, answer};
}

// Replaces the first `what` in `d` by `with`.
SessionDescription edited(SessionDescription d, const std::string& what, const std::string& with) {
    const auto at = d.sdp.find(what);
    REQUIRE(at != std::string::npos);
    d.sdp.replace(at, what.size(), with);
    return d;
}

}  // namespace

TEST_CASE("restart_ice: the offerer's next offer and the answer carry new credentials") {
    Pair p;
    negotiate(p);
    const auto a_ufrag = attribute(*p.a.local_description(), "ice-ufrag");
    const auto b_ufrag = attribute(*p.b.local_description(), "ice-ufrag");
    p.a.restart_ice();
    CHECK(p.a.restart_pending());
    // Nothing changes until the offer is applied.
    CHECK(attribute(*p.a.local_description(), "ice-ufrag") == a_ufrag);
    const auto offer = p.a.create_offer();
    CHECK(attribute(offer, "ice-ufrag") != a_ufrag);
    CHECK(attribute(p.a.create_offer(), "ice-ufrag") == attribute(offer, "ice-ufrag"));

    const auto a1 = p.a.set_local_description(offer);
    REQUIRE(a1.local_restart.has_value());
    CHECK(a1.local_restart->ufrag == attribute(offer, "ice-ufrag"));
    CHECK_FALSE(p.a.restart_pending());
    CHECK(p.a.state() == S::have_local_offer);
    CHECK(attribute(*p.a.local_description(), "ice-ufrag") == attribute(offer, "ice-ufrag"));
    // JSEP §5.2.2: the same mid, fingerprint and actpass; the o= version one higher.
    CHECK(attribute(offer, "mid") == "0");
    CHECK(attribute(offer, "setup") == "actpass");
    CHECK(attribute(offer, "fingerprint") == attribute(p.offer, "fingerprint"));
    CHECK(offer.sdp.find(" 2 IN IP4") != std::string::npos);

    const auto b1 = p.b.set_remote_description(offer);
    CHECK(b1.remote_restart);
    CHECK(p.b.state() == S::have_remote_offer);
    const auto answer = p.b.create_answer();
    CHECK(attribute(answer, "ice-ufrag") != b_ufrag);  // RFC 8839 §4.4.1.1.1
    CHECK(attribute(answer, "setup") == "active");     // b stays the DTLS client
    const auto b2 = p.b.set_local_description(answer);
    REQUIRE(b2.local_restart.has_value());
    CHECK(b2.local_restart->ufrag == attribute(answer, "ice-ufrag"));
    CHECK(b2.dtls_client == true);
    CHECK(p.b.state() == S::stable);

    const auto a2 = p.a.set_remote_description(answer);
    CHECK(a2.remote_restart);
    CHECK_FALSE(a2.local_restart.has_value());
    CHECK(a2.dtls_client == false);
    CHECK(p.a.state() == S::stable);
    CHECK(p.a.remote()->ice_ufrag == attribute(answer, "ice-ufrag"));
}

TEST_CASE("a re-offer without restart_ice keeps every credential on both sides") {
    Pair p;
    negotiate(p);
    const auto a_before = p.a.local_credentials();
    const auto b_before = p.b.local_credentials();
    Signaling::Applied b_remote;
    const auto offer = p.a.create_offer();
    const auto a1 = p.a.set_local_description(offer);
    CHECK_FALSE(a1.local_restart.has_value());
    b_remote = p.b.set_remote_description(offer);
    CHECK_FALSE(b_remote.remote_restart);
    const auto answer = p.b.create_answer();
    CHECK_FALSE(p.b.set_local_description(answer).local_restart.has_value());
    const auto a2 = p.a.set_remote_description(answer);
    CHECK_FALSE(a2.remote_restart);
    CHECK(a2.dtls_client == false);
    CHECK(p.a.local_credentials() == a_before);
    CHECK(p.b.local_credentials() == b_before);
    CHECK(p.a.state() == S::stable);
    CHECK(p.b.state() == S::stable);
}

TEST_CASE("the answerer restarts: its re-offer says actpass, the first offerer answers passive") {
    Pair p;
    negotiate(p);
    const auto a_before = p.a.local_credentials();
    p.b.restart_ice();
    const auto offer = p.b.create_offer();
    CHECK(attribute(offer, "setup") == "actpass");
    CHECK(attribute(offer, "mid") == "0");
    CHECK(p.b.set_local_description(offer).local_restart.has_value());
    // The first offerer is the DTLS server: its answer keeps that (JSEP §5.3.2, RFC 8842 §5).
    CHECK(p.a.set_remote_description(offer).remote_restart);
    const auto answer = p.a.create_answer();
    CHECK(attribute(answer, "setup") == "passive");
    CHECK(attribute(answer, "ice-ufrag") != a_before.ufrag);
    const auto a1 = p.a.set_local_description(answer);
    CHECK(a1.dtls_client == false);
    CHECK(a1.local_restart.has_value());
    const auto b1 = p.b.set_remote_description(answer);
    CHECK(b1.dtls_client == true);
    CHECK(b1.remote_restart);
    CHECK(p.a.state() == S::stable);
    CHECK(p.b.state() == S::stable);
    // And again the other way, without a restart: nothing moves.
    const auto [offer2, answer2] = renegotiate(p.a, p.b);
    CHECK(attribute(answer2, "setup") == "active");
    CHECK(attribute(offer2, "ice-ufrag") == attribute(answer, "ice-ufrag"));
}

TEST_CASE("while a re-offer is pending, the local description is still the applied answer") {
    Pair p;
    negotiate(p);
    const auto applied = p.b.local_description();
    // A re-offer with one more (audio) section, which an answer to it would reject in place.
    auto offer = p.a.create_offer();
    offer.sdp += "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n";
    p.b.set_remote_description(offer);
    REQUIRE(p.b.state() == S::have_remote_offer);
    CHECK(p.b.create_answer().sdp.find("m=audio 0") != std::string::npos);
    CHECK(same(p.b.local_description(), applied));
}

TEST_CASE("restart_ice while an offer is pending applies to the next offer") {
    Pair p;
    negotiate(p);
    const auto first = p.a.create_offer();
    p.a.set_local_description(first);
    p.a.restart_ice();
    // The offer created before restart_ice() still applies as it is, without the restart.
    CHECK_FALSE(p.a.set_local_description(first).local_restart.has_value());
    CHECK(p.a.restart_pending());
    const auto second = p.a.create_offer();
    CHECK(attribute(second, "ice-ufrag") != attribute(first, "ice-ufrag"));
    CHECK(p.a.set_local_description(second).local_restart.has_value());
    CHECK(p.b.set_remote_description(second).remote_restart);
}

TEST_CASE("restart_ice does nothing before the first description or once closed") {
    Pair p;
    p.a.restart_ice();
    CHECK_FALSE(p.a.restart_pending());
    CHECK_FALSE(p.a.set_local_description(p.offer).local_restart.has_value());
    p.a.close();
    p.a.restart_ice();
    CHECK_FALSE(p.a.restart_pending());
}

TEST_CASE("a rolled-back restarting remote offer leaves the agreed description and credentials") {
    Pair p;
    negotiate(p);
    const auto agreed = p.b.remote_description();
    const auto b_before = p.b.local_credentials();
    p.a.restart_ice();
    const auto offer = p.a.create_offer();
    CHECK(p.b.set_remote_description(offer).remote_restart);
    p.b.set_remote_description(SessionDescription{T::rollback, ""});
    CHECK(p.b.state() == S::stable);
    CHECK(same(p.b.remote_description(), agreed));
    CHECK(p.b.remote()->ice_ufrag == attribute(*agreed, "ice-ufrag"));
    // b's next offer is no restart: the answer it would have sent is forgotten.
    CHECK(attribute(p.b.create_offer(), "ice-ufrag") == b_before.ufrag);
    CHECK_FALSE(p.b.restart_pending());
}

TEST_CASE("a re-offer changing fingerprint, DTLS role, mid or SCTP port is refused, state intact") {
    Pair p;
    negotiate(p);
    const auto good = p.b.create_offer();
    const auto other = Certificate::generate().fingerprint();
    const std::vector<std::pair<const char*, SessionDescription>> bad = {
        {"fingerprint", edited(good, attribute(good, "fingerprint"), other)},
        // b is the DTLS client; passive would make it the server.
        {"setup", edited(good, "a=setup:actpass", "a=setup:passive")},
        {"mid", edited(edited(good, "a=mid:0", "a=mid:data"), "BUNDLE 0", "BUNDLE data")},
        {"sctp-port", edited(good, "a=sctp-port:5000", "a=sctp-port:5001")},
    };
    const auto remote_before = p.a.remote_description();
    const auto local_before = p.a.local_description();
    for (const auto& entry : bad) {
        const char* what = entry.first;  // INFO captures it (see above)
        const SessionDescription& offer = entry.second;
        INFO(what);
        // Refused by the re-offer rules, not by the parser (SdpError is an OperationError too).
        try {
            p.a.set_remote_description(offer);
            FAIL("accepted");
        } catch (const sdp::SdpError& e) {
            FAIL("refused by the parser: " << e.what());
        } catch (const OperationError&) {
        }
        CHECK(p.a.state() == S::stable);
        CHECK(same(p.a.remote_description(), remote_before));
        CHECK(same(p.a.local_description(), local_before));
    }
    // b as the client may also say so outright: active keeps the roles.
    CHECK_NOTHROW(p.a.set_remote_description(edited(good, "a=setup:actpass", "a=setup:active")));
    CHECK(p.a.state() == S::have_remote_offer);
    CHECK(attribute(p.a.create_answer(), "setup") == "passive");
}

TEST_CASE("a closed state machine refuses to create descriptions") {
    Pair p;
    p.a.close();
    CHECK(p.a.state() == S::closed);
    CHECK_THROWS_AS(p.a.create_offer(), InvalidStateError);
    CHECK_THROWS_AS(p.a.create_answer(), InvalidStateError);
}
