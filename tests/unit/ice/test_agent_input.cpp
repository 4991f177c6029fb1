// The agent's answers to hand-written packets: bad, unauthenticated and forged input is refused
// or dropped and changes nothing (each case against a correctly signed control), responses must
// be symmetric, and which remote addresses are validated for application data, and when.
#include <doctest/doctest.h>

#include <algorithm>

#include "agent_test_support.hpp"

using namespace floe;
using namespace floe::ice;
using namespace floe::ice::test;

namespace {

// A STUN message of `cls` answering `request`, with `mapped` and, when `pwd` is not empty,
// MESSAGE-INTEGRITY under that password.
Bytes response_to(const stun::Message& request, stun::MessageClass cls, std::string_view pwd,
                  int error = 0) {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, cls}, request.transaction_id());
    if (error != 0)
        b.add_error_code(error);
    else
        b.add_xor_mapped_address(*SocketAddress::parse("192.0.2.1:5000"));
    if (!pwd.empty()) b.add_message_integrity(stun::IntegrityKey::short_term(pwd));
    b.add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

}  // namespace

TEST_CASE("bad and unauthenticated checks are dropped or refused, and counted") {
    Wire w;
    w.take();
    const auto& stats = w.a.agent.stats();

    const Bytes dtls = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK_FALSE(w.a.agent.handle_input(w.net.now, 1, w.peer, dtls));
    CHECK(stats.not_stun == 1);

    Bytes corrupt = w.request(w.good_username(), w.local_pwd());
    corrupt.back() ^= 0xff;  // FINGERPRINT no longer matches
    CHECK(w.a.agent.handle_input(w.net.now, 1, w.peer, corrupt));
    CHECK(stats.malformed == 1);
    CHECK(w.take().empty());

    // No USERNAME / MESSAGE-INTEGRITY: 400.
    Bytes bare;
    stun::MessageBuilder b(bare, {stun::method::binding, stun::MessageClass::request}, tid(1));
    b.add_fingerprint();
    REQUIRE(b.finish());
    w.a.agent.handle_input(w.net.now, 1, w.peer, bare);
    auto out = w.take();
    REQUIRE(out.size() == 1);
    CHECK(w.error_code_of(out[0]) == 400);
    CHECK(stats.answered_400 == 1);

    // Wrong ufrag, then wrong password: 401.
    w.a.agent.handle_input(w.net.now, 1, w.peer, w.request("nobody:peer", w.local_pwd()));
    out = w.take();
    REQUIRE(out.size() == 1);
    CHECK(w.error_code_of(out[0]) == 401);
    w.a.agent.handle_input(w.net.now, 1, w.peer,
                           w.request(w.good_username(), "not-the-password-at-all"));
    out = w.take();
    REQUIRE(out.size() == 1);
    CHECK(w.error_code_of(out[0]) == 401);
    CHECK(stats.answered_401 == 2);
    CHECK(stats.unauthenticated == 2);

    // A response to no request of ours.
    Bytes stray;
    stun::MessageBuilder s(stray, {stun::method::binding, stun::MessageClass::success_response},
                           tid(5));
    s.add_xor_mapped_address(w.peer);
    s.add_fingerprint();
    REQUIRE(s.finish());
    w.a.agent.handle_input(w.net.now, 1, w.peer, stray);
    CHECK(stats.unknown_transaction == 1);

    // Nothing of this changed the agent: no pairs learned, no checks, state new.
    CHECK(w.a.agent.state() == IceState::new_);
    CHECK(w.take().empty());
    CHECK(stats.checks_received == 0);
}

TEST_CASE("a check without PRIORITY is refused with 400") {
    Wire w;
    w.take();
    w.a.agent.handle_input(w.net.now, 1, w.peer,
                           w.request(w.good_username(), w.local_pwd(), false, false));
    auto out = w.take();
    REQUIRE(out.size() == 1);
    CHECK(w.error_code_of(out[0]) == 400);
}

TEST_CASE("controlled agent accepts USE-CANDIDATE on every check") {
    // The hand-driven peer nominates aggressively: USE-CANDIDATE on its very first check.
    Wire w;
    w.take();
    REQUIRE(w.a.agent.handle_input(w.net.now, 1, w.peer,
                                   w.request(w.good_username(), w.local_pwd(), true)));
    auto out = w.take();
    // A success response, then the triggered check back to the peer (prflx remote).
    REQUIRE(out.size() == 2);
    auto response = stun::Message::decode(out[0]);
    REQUIRE(response);
    CHECK(response->message_class() == stun::MessageClass::success_response);
    CHECK(response->check_integrity(
        stun::IntegrityKey::short_term(w.a.agent.local_credentials().pwd)));
    CHECK(response->xor_mapped_address() == w.peer);
    auto check = stun::Message::decode(out[1]);
    REQUIRE(check);
    CHECK(check->message_class() == stun::MessageClass::request);
    CHECK(check->username() == "peer:" + w.a.agent.local_credentials().ufrag);
    CHECK(check->ice_controlled());
    CHECK(check->priority());
    CHECK(check->check_integrity(stun::IntegrityKey::short_term(w.remote.pwd)));
    CHECK(check->check_fingerprint());
    CHECK_FALSE(w.a.agent.selected_pair());
    // The peer answers our check: the pair succeeds and, nominated already, is selected.
    const Bytes answer = w.success_for(*check);
    w.a.agent.handle_input(w.net.now, 1, w.peer, answer);
    w.take();
    REQUIRE(w.a.agent.selected_pair());
    CHECK(w.a.agent.selected_pair()->remote_address == w.peer);
    CHECK(w.a.agent.selected_pair()->remote.type == CandidateType::prflx);
    CHECK(w.a.agent.state() == IceState::connected);
    // More checks with USE-CANDIDATE on the same pair change nothing.
    w.a.agent.handle_input(w.net.now, 1, w.peer,
                           w.request(w.good_username(), w.local_pwd(), true, true, 10));
    w.take();
    CHECK(w.a.count<event::SelectedPairChanged>() == 1);
}

TEST_CASE("triggered checks from a burst of incoming checks are paced by Ta, the first at once") {
    Wire w;
    w.take();
    // Four checks from four unknown addresses at the same instant: four peer-reflexive pairs,
    // each owed a triggered check (RFC 8445 §7.3.1.4), one per Ta (§6.1.4.2).
    constexpr int burst = 4;
    for (int i = 0; i < burst; ++i) {
        const SocketAddress from(*IpAddress::parse("192.0.2.9"),
                                 static_cast<std::uint16_t>(7000 + i));
        w.a.agent.handle_input(w.net.now, 1, from,
                               w.request(w.good_username(), w.local_pwd(), false, true,
                                         static_cast<std::uint8_t>(20 + i)));
    }
    std::vector<Duration> checks;  // when each new request went out, from the burst
    std::size_t responses = 0;
    const Instant start = w.net.now;
    auto collect = [&] {
        for (const Bytes& b : w.take()) {
            auto m = stun::Message::decode(b);
            REQUIRE(m);
            if (m->message_class() == stun::MessageClass::request)
                checks.push_back(w.net.now - start);
            else
                ++responses;
        }
    };
    collect();
    CHECK(responses == burst);             // every check is answered at once
    REQUIRE(checks.size() == 1);           // but only one triggered check goes out with them
    const Duration ta = AgentConfig{}.ta;  // 50 ms
    // Nothing answers; the first retransmission (after 500 ms) falls outside the window.
    for (;;) {
        const auto at = w.a.agent.poll_timeout();
        REQUIRE(at);
        if (*at >= start + ta * burst) break;
        w.net.now = *at;
        w.a.agent.handle_timeout(w.net.now);
        collect();
    }
    const std::vector<Duration> expected = {0 * ta, 1 * ta, 2 * ta, 3 * ta};
    CHECK(checks == expected);
}

TEST_CASE("a response from another address than the check went to fails the pair") {
    // The peer nominated the pair already (USE-CANDIDATE): a matching, authenticated answer to
    // our check would select it at once (the control below), so "not selected" means something.
    for (const bool symmetric : {false, true}) {
        CAPTURE(symmetric);
        Wire w;
        w.take();
        w.a.agent.handle_input(w.net.now, 1, w.peer,
                               w.request(w.good_username(), w.local_pwd(), true));
        auto out = w.take();
        REQUIRE(out.size() == 2);  // the answer, and our triggered check
        auto check = stun::Message::decode(out[1]);
        REQUIRE(check);
        REQUIRE(check->message_class() == stun::MessageClass::request);
        // Properly signed, but from another port of the peer's host.
        const Bytes answer = w.success_for(*check);
        const SocketAddress from = symmetric ? w.peer : *SocketAddress::parse("192.0.2.9:7001");
        w.a.agent.handle_input(w.net.now, 1, from, answer);
        w.take();
        if (symmetric) {
            CHECK(w.a.agent.stats().asymmetric == 0);
            CHECK(w.a.agent.selected_pair());
            CHECK(w.a.agent.state() == IceState::connected);
        } else {
            CHECK(w.a.agent.stats().asymmetric == 1);
            CHECK_FALSE(w.a.agent.selected_pair());
            CHECK(w.a.agent.state() == IceState::checking);
            CHECK_FALSE(w.a.agent.validated(1, from));
        }
    }
}

TEST_CASE("a check response with a wrong or missing MESSAGE-INTEGRITY changes nothing") {
    // A controlling agent nominates as soon as a check succeeds: with the right password (the
    // control) USE-CANDIDATE goes out within the nomination delay; with a forged answer (wrong
    // password, none at all, or an unsigned 487 that would switch our role) nothing happens.
    enum class Answer { right, wrong_password, no_integrity, unsigned_role_conflict };
    for (const Answer kind : {Answer::right, Answer::wrong_password, Answer::no_integrity,
                              Answer::unsigned_role_conflict}) {
        CAPTURE(static_cast<int>(kind));
        Wire w(true);
        w.take();
        Candidate r = remote_candidate("192.0.2.9", "x", 100);
        r.port = 7000;
        w.a.agent.add_remote_candidate(w.net.now, r);
        auto out = w.take();
        REQUIRE(out.size() == 1);
        auto check = stun::Message::decode(out[0]);
        REQUIRE(check);
        REQUIRE_FALSE(check->use_candidate());
        const auto state_before = w.a.agent.state();
        REQUIRE(state_before == IceState::checking);
        Bytes answer;
        switch (kind) {
            case Answer::right:
                answer = response_to(*check, stun::MessageClass::success_response, w.remote.pwd);
                break;
            case Answer::wrong_password:
                answer = response_to(*check, stun::MessageClass::success_response,
                                     "not-the-peer-password-at-all");
                break;
            case Answer::no_integrity:
                answer = response_to(*check, stun::MessageClass::success_response, "");
                break;
            case Answer::unsigned_role_conflict:
                answer = response_to(*check, stun::MessageClass::error_response, "", 487);
                break;
        }
        w.a.agent.handle_input(w.net.now, 1, w.peer, answer);
        std::vector<Bytes> storage;
        // Beyond the nomination delay and the first retransmission.
        const auto requests = w.run_for(600ms, storage);
        const bool nominated =
            std::any_of(requests.begin(), requests.end(),
                        [](const stun::Message& m) { return m.use_candidate(); });
        const auto& stats = w.a.agent.stats();
        if (kind == Answer::right) {
            CHECK(nominated);
            CHECK(stats.responses_received == 1);
            CHECK(stats.unauthenticated == 0);
            CHECK(w.a.agent.validated(1, w.peer));
            continue;
        }
        CHECK_FALSE(nominated);
        CHECK(stats.unauthenticated == 1);
        CHECK(stats.responses_received == 0);
        CHECK(stats.role_conflicts == 0);
        CHECK(w.a.agent.role() == Role::controlling);
        CHECK(w.a.agent.state() == state_before);
        CHECK_FALSE(w.a.agent.selected_pair());
        CHECK_FALSE(w.a.agent.validated(1, w.peer));
        // The check simply goes on: retransmitted, same transaction.
        REQUIRE_FALSE(requests.empty());
        CHECK(requests.front().transaction_id() == check->transaction_id());
    }
}

TEST_CASE(
    "a check request with a wrong or missing MESSAGE-INTEGRITY is refused and changes nothing") {
    // RFC 8489 §9.1.3: no MESSAGE-INTEGRITY (or no USERNAME) is answered 400, a wrong one 401;
    // neither learns a peer-reflexive candidate, triggers a check, nominates or validates the
    // address. The last, correctly signed request shows each of those would have been seen.
    Wire w;
    w.take();
    const std::size_t events_before = w.a.events.size();
    const auto& stats = w.a.agent.stats();
    auto unsigned_request = [&](std::uint8_t id) {
        Bytes out;
        stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request}, tid(id));
        b.add_username(w.good_username());
        b.add_priority(compute_priority(CandidateType::prflx, 65535, 1));
        b.add_ice_controlling(42);
        b.add_use_candidate();
        b.add_fingerprint();
        REQUIRE(b.finish());
        return out;
    };
    w.a.agent.handle_input(w.net.now, 1, w.peer, unsigned_request(30));
    auto out = w.take();
    REQUIRE(out.size() == 1);
    CHECK(w.error_code_of(out[0]) == 400);
    w.a.agent.handle_input(w.net.now, 1, w.peer,
                           w.request(w.good_username(), "not-the-password-at-all", true, true, 31));
    out = w.take();
    REQUIRE(out.size() == 1);
    CHECK(w.error_code_of(out[0]) == 401);
    CHECK(stats.answered_400 == 1);
    CHECK(stats.answered_401 == 1);
    CHECK(stats.unauthenticated == 1);
    CHECK(stats.checks_received == 0);
    CHECK(stats.checks_sent == 0);  // no triggered check
    CHECK(w.a.agent.state() == IceState::new_);
    CHECK_FALSE(w.a.agent.validated(1, w.peer));
    std::vector<Bytes> storage;
    CHECK(w.run_for(2s, storage).empty());  // and none later
    CHECK(w.a.events.size() == events_before);

    // The control: the same request, signed.
    w.a.agent.handle_input(w.net.now, 1, w.peer,
                           w.request(w.good_username(), w.local_pwd(), true, true, 32));
    out = w.take();
    REQUIRE(out.size() == 2);  // success, and the triggered check
    CHECK(stats.checks_received == 1);
    CHECK(w.a.agent.state() == IceState::checking);
    CHECK(w.a.agent.validated(1, w.peer));
}

TEST_CASE("an address is validated from the moment its authenticated check is answered") {
    Wire w;
    w.net.add_socket(w.a, 2, "192.0.2.1:5002");
    w.take();
    const SocketAddress stranger = *SocketAddress::parse("192.0.2.66:7000");
    CHECK_FALSE(w.a.agent.validated(1, w.peer));
    CHECK_FALSE(w.a.agent.accept_data(w.net.now, 1, w.peer));
    w.a.agent.handle_input(w.net.now, 1, w.peer, w.request(w.good_username(), w.local_pwd()));
    auto out = w.take();
    REQUIRE(out.size() == 2);  // answered; our own check to it is only on its way
    CHECK_FALSE(w.a.agent.selected_pair());
    // The peer's DTLS may come now: accepted, on that socket, from that address only.
    CHECK(w.a.agent.validated(1, w.peer));
    CHECK(w.a.agent.accept_data(w.net.now, 1, w.peer));
    CHECK_FALSE(w.a.agent.accept_data(w.net.now, 2, w.peer));
    CHECK_FALSE(w.a.agent.accept_data(w.net.now, 1, stranger));
    CHECK_FALSE(w.a.agent.accept_data(w.net.now, 1, *SocketAddress::parse("192.0.2.9:7001")));
    CHECK(w.a.agent.stats().data_received == 1);
    CHECK(w.a.agent.stats().data_refused == 4);
    // close() forgets it.
    w.a.agent.close();
    CHECK_FALSE(w.a.agent.validated(1, w.peer));
}
