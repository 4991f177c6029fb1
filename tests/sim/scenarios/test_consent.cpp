// Consent freshness (RFC 7675 §5.1) on the simulator's clock: how often consent requests go out on
// a healthy pair and on a dead one, and when consent expires.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <vector>

#include <floe/stun/message.hpp>

#include "sim/ice_topology.hpp"

using namespace floe;
using namespace floe::sim;
using ice::IceState;

namespace {

// Records, per sending socket, when each Binding request and success response left it.
struct Tap {
    std::map<SocketAddress, std::vector<Instant>> requests;
    std::map<SocketAddress, std::vector<Instant>> responses;

    void install(Network& net) {
        net.set_filter([this, &net](const Datagram& d) {
            auto m = stun::Message::decode(d.data);
            if (m && m->message_class() == stun::MessageClass::request)
                requests[d.source].push_back(net.now());
            if (m && m->message_class() == stun::MessageClass::success_response)
                responses[d.source].push_back(net.now());
            return false;
        });
    }
    void clear() {
        requests.clear();
        responses.clear();
    }
};

std::vector<Duration> gaps(const std::vector<Instant>& at) {
    std::vector<Duration> out;
    for (std::size_t i = 1; i < at.size(); ++i)
        out.push_back(at[i] - at[i - 1]);
    return out;
}

}  // namespace

TEST_CASE("consent requests on an idle, healthy pair go out every 4 to 6 s, randomized") {
    // Issue 13: they went out every second (the unanswered-probe rate always won).
    IceTopology t(41, {.stun_server = false});
    INFO("seed 41, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(5s));
    t.net.run_for(3s);  // the last checks and nominations are over
    Tap tap;
    tap.install(t.net);
    t.net.run_for(300s);
    for (const SocketAddress& sender : {t.socket_a, t.socket_b}) {
        CAPTURE(sender.to_string());
        const auto& sent = tap.requests[sender];
        // 300 s at 4 to 6 s apart: 50 to 75 requests.
        CHECK(sent.size() >= 49);
        CHECK(sent.size() <= 76);
        const auto g = gaps(sent);
        REQUIRE_FALSE(g.empty());
        const auto [shortest, longest] = std::minmax_element(g.begin(), g.end());
        CHECK(*shortest >= 4s);
        CHECK(*longest <= 6s);
        // Randomized (RFC 7675 §5.1, against synchronization), not a fixed period.
        CHECK(*longest - *shortest >= 1s);
    }
    CHECK(t.a.is_connected());
    CHECK(t.b.is_connected());
}

TEST_CASE("an unanswered consent request is followed every second, and consent expires at 30 s") {
    ice::AgentConfig agent;
    IceTopology t(42, {.stun_server = false, .agent = agent});
    INFO("seed 42, " << t.describe());
    t.start();
    REQUIRE(t.run_until_connected(5s));
    t.net.run_for(20s);
    Tap tap;
    tap.install(t.net);
    t.net.run_for(7s);  // at least one answered consent request of a's
    const auto& answers_from_b = tap.responses[t.socket_b];
    REQUIRE_FALSE(answers_from_b.empty());
    // Cut b's link both ways: a's requests reach nobody.
    const Instant cut = t.net.now();
    const Instant last_answer = answers_from_b.back();
    tap.clear();
    t.net.set_path(t.host_b, Path::symmetric({.loss = 1.0}));
    REQUIRE(t.net.run_until([&] { return t.a.agent().state() == IceState::failed; }, cut + 40s));
    const auto failed = t.a.reached(IceState::failed, cut);
    REQUIRE(failed);
    // RFC 7675 §5.1: consent expires 30 s after the latest answer (the links have no delay).
    CHECK(*failed == last_answer + agent.failed_after);
    const auto& sent = tap.requests[t.socket_a];
    REQUIRE(sent.size() >= 2);
    // The first request after the cut on the regular schedule, then one per consent_probe
    // while unanswered (each a new transaction), until consent expires.
    CHECK(sent.front() - cut <= 6s);
    for (const Duration g : gaps(sent))
        CHECK(g == agent.consent_probe);
    CHECK(sent.back() < *failed);
    const auto disconnected = t.a.reached(IceState::disconnected, cut);
    REQUIRE(disconnected);
    CHECK(*disconnected == sent.front() + agent.disconnected_after);
}
