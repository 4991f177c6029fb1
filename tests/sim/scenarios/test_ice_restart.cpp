// ICE restart through the whole stack (issue 15): a NAT rebinding in the middle of a transfer
// leaves the selected pair pointing at a mapping that no longer exists (docs/simulator.md,
// "Findings"); the side that notices (ICE disconnected) calls restart_ice() and renegotiates over
// the simulated signalling. DTLS and SCTP are never touched: every message sent before, during
// and after the restart must arrive, once and in order, on the same channel.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>

#include "sim/scenarios/full_stack.hpp"

using namespace floe;
using namespace floe::sim;

namespace {

// The selected pair as one line ("local ... <-> remote ..."), if any.
std::optional<std::string> selected_pair(const session::Session& core) {
    const StatsReport r = core.stats(Instant{}, 0);
    if (const auto* pair = r.selected_candidate_pair()) return r.describe(*pair);
    return std::nullopt;
}

const NatConfig full_cone{.mapping = Mapping::endpoint_independent,
                          .filtering = Filtering::endpoint_independent};

std::string ufrag_of(const std::optional<SessionDescription>& d) {
    REQUIRE(d.has_value());
    const auto at = d->sdp.find("a=ice-ufrag:");
    REQUIRE(at != std::string::npos);
    const auto begin = at + 12;
    return d->sdp.substr(begin, d->sdp.find("\r\n", begin) - begin);
}

template <class Record, class State>
std::size_t count(const Record& record, State state) {
    return static_cast<std::size_t>(
        std::ranges::count_if(record, [&](const auto& entry) { return entry.second == state; }));
}

// a sends `total` bytes to b; once half arrived, the NAT of `rebound` (the only side behind one)
// rebinds. The other side's consent checks then go to the dead mapping: it notices, restarts
// ICE and offers; its peer answers.
void rebinding_then_restart(std::uint64_t seed, bool rebind_a, Duration answer_delay = {},
                            std::function<void(PeerTopology&)> also = {}) {
    const Path path = Path::symmetric({.delay = 20ms});
    PeerSide natted{.nat = full_cone, .path = path};
    PeerSide open{.path = path};
    Sim s(seed, {.a = rebind_a ? natted : open, .b = rebind_a ? open : natted});
    auto& t = s.t;
    PeerNode& noticer = rebind_a ? t.b : t.a;
    INFO("seed " << seed << ", " << t.describe() << ", " << noticer.name() << " restarts");
    const auto channel = connect_and_open(t);
    t.a.answer_delay = t.b.answer_delay = answer_delay;
    const std::uint64_t total = 8u << 20;
    Transfer transfer(t.a, t.b, channel, total);
    transfer.attach();
    transfer.fill(t.net.now());
    t.net.flush();
    REQUIRE(t.run_until([&] { return transfer.received >= total / 2; }, 60s));

    const auto a_ufrag = ufrag_of(t.a.core().local_description());
    const auto b_ufrag = ufrag_of(t.b.core().local_description());
    const auto pair_before = selected_pair(noticer.core());
    t.net.nat(rebind_a ? *t.nat_a : *t.nat_b).rebind();
    const auto rebound = t.net.now();
    REQUIRE(t.run_until(
        [&] { return noticer.core().ice_state() == IceConnectionState::disconnected; }, 30s));
    const auto received_at_notice = transfer.received;
    MESSAGE(noticer.name() << " disconnected " << to_ms(t.net.now() - rebound) << " ms after the "
                           << "rebinding, " << received_at_notice << " bytes received");
    CHECK(received_at_notice < total);  // the transfer really was cut
    const auto restart = t.net.now();
    noticer.restart_ice(restart);
    t.net.flush();
    REQUIRE(t.run_until([&] { return transfer.done() || transfer.bad > 0; }, 300s));
    MESSAGE("all " << total << " bytes arrived " << to_ms(t.net.now() - restart)
                   << " ms after the restart");

    // Every message, once, in order, on the same channel, which never closed.
    CHECK(transfer.bad == 0);
    CHECK(transfer.next_receive == transfer.next_send);
    CHECK(transfer.received == total);
    CHECK_FALSE(t.a.channels[channel].closed);
    CHECK_FALSE(t.b.channels[t.b.incoming.front()].closed);
    CHECK(t.b.incoming.size() == 1);
    // Both sides took new credentials (RFC 8445 §9), and the pair follows the new mapping.
    CHECK(ufrag_of(t.a.core().local_description()) != a_ufrag);
    CHECK(ufrag_of(t.b.core().local_description()) != b_ufrag);
    CHECK(t.a.core().signaling_state() == SignalingState::stable);
    CHECK(t.b.core().signaling_state() == SignalingState::stable);
    const auto pair_after = selected_pair(noticer.core());
    REQUIRE(pair_after.has_value());
    CHECK(pair_after != pair_before);
    for (PeerNode* node : {&t.a, &t.b}) {
        INFO(node->name());
        CHECK(node->state() == PeerConnectionState::connected);
        // Gathering ran again and completed again; the connection never closed or failed.
        CHECK(count(node->gathering_states, IceGatheringState::gathering) == 2);
        CHECK(count(node->gathering_states, IceGatheringState::complete) == 2);
        CHECK(node->gathering_states.back().second == IceGatheringState::complete);
        CHECK(count(node->connection_states, PeerConnectionState::failed) == 0);
        CHECK(count(node->connection_states, PeerConnectionState::closed) == 0);
        CHECK(count(node->ice_states, IceConnectionState::closed) == 0);
    }
    // ICE: disconnected when noticed, back to connected or completed once the new pair is
    // selected, never closed.
    REQUIRE(!noticer.ice_states.empty());
    const auto [last_at, last] = noticer.ice_states.back();
    CHECK(last_at > restart);
    CHECK((last == IceConnectionState::connected || last == IceConnectionState::completed));
    MESSAGE(noticer.name() << " " << to_string(last) << " " << to_ms(last_at - restart)
                           << " ms after the restart");
    if (also) also(t);
}

}  // namespace

TEST_CASE("a NAT rebinding mid-transfer: the offerer restarts ICE and no message is lost") {
    // b's NAT rebinds; a's consent checks die at the old mapping, a notices and re-offers.
    rebinding_then_restart(21, false);
}

TEST_CASE("a NAT rebinding mid-transfer: the answerer restarts ICE and no message is lost") {
    // a's NAT rebinds; b (the first answerer, DTLS client, ICE controlled) notices and re-offers:
    // a answers with a=setup:passive, keeping its DTLS server role.
    rebinding_then_restart(22, true);
}

TEST_CASE("candidates trickled for a restarting offer before the answer wait for it") {
    // a answers 300 ms after the offer arrives: b's new candidates come first. Were they dropped,
    // a would learn b only as peer-reflexive from b's checks; kept, they are b's host candidate.
    rebinding_then_restart(25, true, 300ms, [](PeerTopology& t) {
        const auto pair = selected_pair(t.a.core());
        REQUIRE(pair.has_value());
        CHECK(pair->find("remote 203.0.113.12:5000 typ host") != std::string::npos);
    });
}

TEST_CASE("a restart on a healthy path and a re-offer without one lose nothing either") {
    Sim s(23, {.a = {.path = Path::symmetric({.delay = 15ms})},
               .b = {.nat = full_cone, .path = Path::symmetric({.delay = 15ms})}});
    auto& t = s.t;
    INFO("seed 23, " << t.describe());
    const auto channel = connect_and_open(t);
    const std::uint64_t total = 4u << 20;
    Transfer transfer(t.a, t.b, channel, total);
    transfer.attach();
    transfer.fill(t.net.now());
    t.net.flush();
    REQUIRE(t.run_until([&] { return transfer.received >= total / 4; }, 60s));
    // A renegotiation that changes nothing: same credentials on both sides.
    const auto a_ufrag = ufrag_of(t.a.core().local_description());
    const auto b_ufrag = ufrag_of(t.b.core().local_description());
    t.b.offer(t.net.now());
    t.net.flush();
    REQUIRE(t.run_until([&] { return transfer.received >= total / 2; }, 60s));
    CHECK(t.a.core().signaling_state() == SignalingState::stable);
    CHECK(ufrag_of(t.a.core().local_description()) == a_ufrag);
    CHECK(ufrag_of(t.b.core().local_description()) == b_ufrag);
    CHECK(count(t.a.gathering_states, IceGatheringState::gathering) == 1);
    // Then a restart while everything works: the old pair carries the data until the new one is
    // selected.
    t.a.restart_ice(t.net.now());
    t.net.flush();
    REQUIRE(t.run_until([&] { return transfer.done() || transfer.bad > 0; }, 120s));
    CHECK(transfer.bad == 0);
    CHECK(transfer.received == total);
    CHECK(ufrag_of(t.a.core().local_description()) != a_ufrag);
    CHECK(ufrag_of(t.b.core().local_description()) != b_ufrag);
    CHECK(count(t.a.gathering_states, IceGatheringState::complete) == 2);
    CHECK(t.a.state() == PeerConnectionState::connected);
    CHECK(t.b.state() == PeerConnectionState::connected);
}
