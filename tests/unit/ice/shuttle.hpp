// A tiny in-test network for ICE agents: a virtual clock and a packet shuttle that carries each
// transmit to the agent socket bound at its destination after a fixed one-way delay. No NATs,
// no loss unless a test's filter drops packets. Deterministic.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "ice/agent.hpp"

namespace floe::ice::test {

struct Peer {
    Peer(AgentConfig config, std::uint64_t seed) : random(seed), agent(std::move(config), random) {}
    SeededRandom random;
    Agent agent;
    std::map<SocketId, SocketAddress> sockets;
    std::vector<Event> events;
    std::vector<Candidate> gathered;

    template <class E>
    std::size_t count() const {
        return static_cast<std::size_t>(
            std::count_if(events.begin(), events.end(),
                          [](const Event& e) { return std::holds_alternative<E>(e); }));
    }
    bool saw_state(IceState s) const {
        return std::any_of(events.begin(), events.end(), [&](const Event& e) {
            auto* c = std::get_if<event::StateChanged>(&e);
            return c && c->state == s;
        });
    }
};

struct Datagram {
    Instant at;
    std::size_t to_peer = 0;
    SocketId socket = 0;
    SocketAddress from;
    Bytes data;
};

class Shuttle {
  public:
    Instant now = Instant{} + std::chrono::hours(1);
    Duration one_way = 1ms;
    // Return false to drop the packet (from_peer index, transmit).
    std::function<bool(std::size_t, const Transmit&)> filter;
    // Called for every packet sent (before the filter), for tests that inspect the wire.
    std::function<void(std::size_t, const Transmit&)> observe;
    std::vector<Peer*> peers;
    std::vector<Datagram> in_flight;
    std::size_t delivered = 0;

    void add_socket(Peer& p, SocketId id, std::string_view address) {
        auto a = *SocketAddress::parse(address);
        p.sockets[id] = a;
        p.agent.add_local_socket(now, id, a);
    }

    // Drains every peer's transmits and events.
    void pump() {
        for (std::size_t i = 0; i < peers.size(); ++i) {
            Peer& p = *peers[i];
            while (auto e = p.agent.poll_event()) {
                if (auto* c = std::get_if<event::LocalCandidate>(&*e))
                    p.gathered.push_back(c->candidate);
                p.events.push_back(std::move(*e));
            }
            while (auto t = p.agent.poll_transmit()) {
                if (observe) observe(i, *t);
                if (filter && !filter(i, *t)) continue;
                const SocketAddress from = p.sockets.at(t->socket);
                for (std::size_t j = 0; j < peers.size(); ++j)
                    for (const auto& [id, bound] : peers[j]->sockets)
                        if (bound == t->destination)
                            in_flight.push_back({now + one_way, j, id, from, t->data});
            }
        }
    }

    // Advances to the next event (delivery or timer) no later than `limit`; false if none.
    bool step(Instant limit) {
        pump();
        std::optional<Instant> next;
        for (const auto& d : in_flight)
            if (!next || d.at < *next) next = d.at;
        for (Peer* p : peers)
            if (auto t = p->agent.poll_timeout(); t && (!next || *t < *next)) next = *t;
        if (!next || *next > limit) return false;
        now = std::max(now, *next);
        // Deliver due datagrams in send order.
        std::vector<Datagram> due;
        auto split = std::stable_partition(in_flight.begin(), in_flight.end(),
                                           [&](const Datagram& d) { return d.at > now; });
        due.assign(std::make_move_iterator(split), std::make_move_iterator(in_flight.end()));
        in_flight.erase(split, in_flight.end());
        for (auto& d : due) {
            ++delivered;
            peers[d.to_peer]->agent.handle_input(now, d.socket, d.from, d.data);
        }
        for (Peer* p : peers)
            if (auto t = p->agent.poll_timeout(); t && *t <= now) p->agent.handle_timeout(now);
        pump();
        return true;
    }

    // Runs until `done` holds or `budget` of virtual time passes; true if `done` held.
    bool run_until(const std::function<bool()>& done, Duration budget) {
        const Instant limit = now + budget;
        pump();
        while (!done()) {
            if (!step(limit)) {
                now = limit;
                return done();
            }
        }
        return true;
    }

    void run_for(Duration d) {
        run_until([] { return false; }, d);
    }
};

// Signals a's credentials and gathered candidates to b (and end-of-candidates when `end`).
inline void signal(Shuttle& net, Peer& from, Peer& to, bool end = true) {
    net.pump();
    to.agent.set_remote_credentials(from.agent.local_credentials());
    for (const auto& c : from.gathered)
        to.agent.add_remote_candidate(net.now, c);
    if (end) to.agent.end_of_remote_candidates(net.now);
}

}  // namespace floe::ice::test
