// Hostile datagrams from a stranger on loopback (issue 13): a third UDP socket that is no part of
// the session sends DTLS alerts, forged records and junk to both peers' candidate ports.
#include <doctest/doctest.h>

#include <floe/ice/candidate.hpp>

#include "e2e_support.hpp"
#include "hostile_support.hpp"

using namespace floe;
using namespace floe::test;
using namespace std::chrono_literals;

namespace {

// A stranger on 127.0.0.1: sends every hostile datagram to every target it was told of, round
// after round (one round a millisecond), while active.
class Stranger {
  public:
    Stranger() : thread_([this] { loop(); }) {}
    ~Stranger() {
        stop_ = true;
        thread_.join();
    }
    void target(const SocketAddress& a) {
        std::lock_guard lock(mutex_);
        targets_.push_back(a);
    }
    void set_active(bool on) { active_ = on; }
    std::uint64_t rounds() const { return rounds_; }

  private:
    void loop() {
        const auto datagrams = hostile_datagrams();
        while (!stop_) {
            std::vector<SocketAddress> targets;
            {
                std::lock_guard lock(mutex_);
                targets = targets_;
            }
            if (active_ && !targets.empty()) {
                for (const auto& t : targets)
                    for (const auto& d : datagrams)
                        socket_.send_to(d, t);
                ++rounds_;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // pacing, not waiting
        }
    }

    RawSocket socket_;
    std::mutex mutex_;
    std::vector<SocketAddress> targets_;
    std::atomic<bool> active_{true};
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> rounds_{0};
    std::thread thread_;  // last: starts once everything above exists
};

std::optional<SocketAddress> address_of(const IceCandidate& c) {
    auto parsed = c.parse();
    if (!parsed) return std::nullopt;
    return parsed->socket_address();
}

// Hands trickled candidates to `to` once it has the remote description (held until then), and
// shows each one to the stranger at once.
class TrickleRelay {
  public:
    TrickleRelay(PeerConnection& to, Stranger& stranger) : to_(to), stranger_(stranger) {}
    void relay(const std::optional<IceCandidate>& c) {
        if (c)
            if (auto at = address_of(*c)) stranger_.target(*at);
        std::lock_guard lock(mutex_);
        if (!ready_) {
            held_.push_back(c);
            return;
        }
        to_.add_ice_candidate(c);
    }
    void ready() {
        std::lock_guard lock(mutex_);
        ready_ = true;
        for (const auto& c : held_)
            to_.add_ice_candidate(c);
        held_.clear();
    }

  private:
    PeerConnection& to_;
    Stranger& stranger_;
    std::mutex mutex_;
    bool ready_ = false;
    std::vector<std::optional<IceCandidate>> held_;
};

// Every connection state a PeerConnection went through.
struct StateLog {
    std::mutex mutex;
    std::vector<PeerConnectionState> states;
    void attach(PeerConnection& pc) {
        pc.on_connection_state_change([this](PeerConnectionState s) {
            std::lock_guard lock(mutex);
            states.push_back(s);
        });
    }
    bool saw(PeerConnectionState s) {
        std::lock_guard lock(mutex);
        return std::find(states.begin(), states.end(), s) != states.end();
    }
    bool saw_failure() {
        return saw(PeerConnectionState::failed) || saw(PeerConnectionState::closed);
    }
};

}  // namespace

TEST_CASE(
    "a stranger's DTLS alert, forged records and junk, during set-up and after, end nothing") {
    // a offers (DTLS server once b answers active), b answers (DTLS client): both roles attacked.
    PeerConnection a(loopback_config());
    PeerConnection b(loopback_config());
    StateLog log_a, log_b;
    log_a.attach(a);
    log_b.attach(b);
    Stranger stranger;
    // Trickle, and the stranger learns each candidate as soon as the peer does (before, even):
    // candidates are held until the other side has the description they belong to.
    TrickleRelay to_b(b, stranger), to_a(a, stranger);
    a.on_ice_candidate([&](std::optional<IceCandidate> c) { to_b.relay(c); });
    b.on_ice_candidate([&](std::optional<IceCandidate> c) { to_a.relay(c); });
    auto dc = a.create_data_channel("under-fire");
    Inbox at_a, at_b;
    at_a.attach(dc);
    std::mutex m;
    std::shared_ptr<DataChannel> remote;
    b.on_data_channel([&](std::shared_ptr<DataChannel> ch) {
        at_b.attach(ch);
        std::lock_guard lock(m);
        remote = ch;
    });
    const auto offer = a.create_offer();
    a.set_local_description(offer);
    // The offerer's candidates are known and attacked before the answerer even starts.
    REQUIRE(eventually([&] { return stranger.rounds() >= 20; }));
    b.set_remote_description(offer);
    to_b.ready();
    const auto answer = b.create_answer();
    b.set_local_description(answer);
    a.set_remote_description(answer);
    to_a.ready();

    // Without the filter the handshake dies of the first alert: stop waiting as soon as it does.
    eventually(
        [&] {
            return dc->ready_state() == DataChannelState::open || log_a.saw_failure() ||
                   log_b.saw_failure();
        },
        20s);
    REQUIRE(dc->ready_state() == DataChannelState::open);
    REQUIRE(eventually([&] {
        std::lock_guard lock(m);
        return remote != nullptr;
    }));
    const auto rounds_at_open = stranger.rounds();
    CHECK(rounds_at_open >= 20);
    CHECK(a.connection_state() == PeerConnectionState::connected);
    CHECK(b.connection_state() == PeerConnectionState::connected);

    // Connected and still under fire: a message round-trips, and nothing breaks.
    const auto target_rounds = stranger.rounds() + 200;
    dc->send("ping");
    REQUIRE(eventually([&] { return at_b.size() == 1; }));
    CHECK(at_b.at(0).text() == "ping");
    remote->send("pong");
    REQUIRE(eventually([&] { return at_a.size() == 1; }));
    CHECK(at_a.at(0).text() == "pong");
    REQUIRE(eventually([&] { return stranger.rounds() >= target_rounds; }, 20s));
    stranger.set_active(false);
    dc->send("still here");
    REQUIRE(eventually([&] { return at_b.size() == 2; }));
    CHECK(at_b.at(1).text() == "still here");
    CHECK(a.connection_state() == PeerConnectionState::connected);
    CHECK(b.connection_state() == PeerConnectionState::connected);
    CHECK(dc->ready_state() == DataChannelState::open);
    for (auto* log : {&log_a, &log_b}) {
        CHECK_FALSE(log->saw(PeerConnectionState::failed));
        CHECK_FALSE(log->saw(PeerConnectionState::disconnected));
        CHECK_FALSE(log->saw(PeerConnectionState::closed));
    }
    // Every forged datagram was dropped and counted (the stranger's address was never validated).
    CHECK(a.get_stats().floe.datagrams_refused > 0);
    CHECK(b.get_stats().floe.datagrams_refused > 0);
    a.close();
    b.close();
}
