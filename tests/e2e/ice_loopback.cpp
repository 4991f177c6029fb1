// Two ICE agents in one process over real UDP sockets on loopback: the sans-IO agent driven by a
// small loop (rtc::UdpSocket on one io_context, timers from poll_timeout, a bounded wait).
#include <cstddef>  // before asio (doctest.h includes no std header): see rtc/udp_socket.hpp

#include <doctest/doctest.h>

#include <asio.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/random.hpp"
#include "ice/agent.hpp"
#include "rtc/udp_socket.hpp"
#include "stun_helpers.hpp"

using namespace floe;
using namespace floe::ice;

namespace {

struct RealPeer {
    RealPeer(asio::io_context& io, bool controlling, const std::vector<std::string>& binds,
             std::vector<SocketAddress> stun_servers = {})
        : agent(make_config(controlling, std::move(stun_servers)), crypto_random()) {
        for (const auto& bind : binds) {
            const SocketId id = static_cast<SocketId>(sockets.size());
            auto& s = sockets.emplace_back(
                std::make_unique<rtc::UdpSocket>(io, *SocketAddress::parse(bind)));
            s->start_receive([this, id](const SocketAddress& from, ByteSpan data) {
                // RFC 7983: what is not STUN (DTLS here) is the application's.
                if (!agent.handle_input(Clock::now(), id, from, data))
                    app_data.push_back({from, Bytes(data.begin(), data.end())});
                pump();
            });
            agent.add_local_socket(Clock::now(), id, s->local_address());
        }
        agent.end_of_local_sockets(Clock::now());
        pump();
    }

    static AgentConfig make_config(bool controlling, std::vector<SocketAddress> stun_servers) {
        AgentConfig c;
        c.controlling = controlling;
        c.stun_servers = std::move(stun_servers);
        return c;
    }

    void pump() {
        while (auto t = agent.poll_transmit())
            if (t->socket < sockets.size())
                (void)sockets[t->socket]->send_to(t->data, t->destination);
        while (auto e = agent.poll_event()) {
            if (auto* c = std::get_if<event::LocalCandidate>(&*e)) gathered.push_back(c->candidate);
            if (std::holds_alternative<event::GatheringComplete>(*e)) gathering_done = true;
            if (std::holds_alternative<event::SelectedPairChanged>(*e)) ++selected_events;
        }
    }

    void fire_timer() {
        const Instant now = Clock::now();
        if (auto t = agent.poll_timeout(); t && *t <= now) agent.handle_timeout(now);
        pump();
    }

    bool connected() const {
        return agent.state() == IceState::connected || agent.state() == IceState::completed;
    }

    Agent agent;
    std::vector<std::unique_ptr<rtc::UdpSocket>> sockets;
    std::vector<Candidate> gathered;
    bool gathering_done = false;
    int selected_events = 0;
    std::vector<std::pair<SocketAddress, Bytes>> app_data;
};

// Runs the io_context and both agents' timers until `done` or the deadline.
template <class Done>
bool run(asio::io_context& io, std::vector<RealPeer*> peers, Done done, Duration budget) {
    const Instant deadline = Clock::now() + budget;
    while (!done()) {
        const Instant now = Clock::now();
        if (now >= deadline) return false;
        for (RealPeer* p : peers)
            p->fire_timer();
        Instant next = deadline;
        for (RealPeer* p : peers)
            if (auto t = p->agent.poll_timeout(); t && *t < next) next = *t;
        if (next > now) io.run_one_until(next);
        if (io.stopped()) io.restart();
    }
    return true;
}

void exchange(RealPeer& from, RealPeer& to) {
    to.agent.set_remote_credentials(from.agent.local_credentials());
    for (const auto& c : from.gathered)
        to.agent.add_remote_candidate(Clock::now(), c);
    to.agent.end_of_remote_candidates(Clock::now());
    to.pump();
}

void connect_on(const std::string& bind) {
    asio::io_context io;
    RealPeer a(io, true, {bind});
    RealPeer b(io, false, {bind});
    REQUIRE(a.gathering_done);
    REQUIRE(a.gathered.size() == 1);
    CHECK(a.gathered[0].port != 0);
    const Instant start = Clock::now();
    exchange(a, b);
    exchange(b, a);
    REQUIRE(run(
        io, {&a, &b}, [&] { return a.connected() && b.connected(); }, 5s));
    MESSAGE("connected over " << bind << " in " << to_ms(Clock::now() - start) << " ms");
    auto pa = a.agent.selected_pair();
    auto pb = b.agent.selected_pair();
    REQUIRE(pa);
    REQUIRE(pb);
    CHECK(pa->remote_address == b.sockets[0]->local_address());
    CHECK(pb->remote_address == a.sockets[0]->local_address());
    CHECK(a.selected_events == 1);
    CHECK(b.selected_events == 1);
    // Application data would now flow on the selected pair: send one datagram a -> b for real.
    const Bytes dtls_like = {23, 0xfe, 0xfd};
    CHECK_FALSE(a.sockets[pa->socket]->send_to(dtls_like, pa->remote_address));
    REQUIRE(run(
        io, {&a, &b}, [&] { return !b.app_data.empty(); }, 2s));
    CHECK(b.app_data[0].first == a.sockets[0]->local_address());
    CHECK(b.app_data[0].second == dtls_like);
    CHECK(b.agent.stats().not_stun == 1);
}

}  // namespace

TEST_CASE("two ICE agents connect over real UDP sockets on 127.0.0.1") {
    connect_on("127.0.0.1:0");
}

TEST_CASE("two ICE agents connect over real UDP sockets on ::1") {
    connect_on("[::1]:0");
}

TEST_CASE("dual-stack ICE agents on loopback connect and select the IPv6 pair") {
    asio::io_context io;
    RealPeer a(io, true, {"127.0.0.1:0", "[::1]:0"});
    RealPeer b(io, false, {"127.0.0.1:0", "[::1]:0"});
    exchange(a, b);
    exchange(b, a);
    REQUIRE(run(
        io, {&a, &b}, [&] { return a.connected() && b.connected(); }, 5s));
    REQUIRE(a.agent.selected_pair());
    CHECK(a.agent.selected_pair()->remote_address.is_v6());
}

TEST_CASE("ICE gathering asks floe stun-server on loopback and prunes the redundant srflx") {
    floe::test::FloeStunServer server({"127.0.0.1:0"});
    REQUIRE(server.addresses.size() == 1);
    asio::io_context io;
    const Instant start = Clock::now();
    RealPeer a(io, true, {"127.0.0.1:0"}, server.addresses);
    CHECK_FALSE(a.gathering_done);  // waits for the server's answer
    REQUIRE(run(
        io, {&a}, [&] { return a.gathering_done; }, 5s));
    // Answered, not timed out (39.5 s): the mapped address equals the host's, so no srflx.
    CHECK(Clock::now() - start < 5s);
    REQUIRE(a.gathered.size() == 1);
    CHECK(a.gathered[0].type == CandidateType::host);
    server.stop();
}
