// Shared by the agent's unit tests: a default configuration, fixed transaction ids, remote
// candidates, and Wire, a hand-driven peer for wire-level behaviour (one agent on
// 192.0.2.1:5000; the test writes the peer's packets itself) and TwoPeers, two agents that talk.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "shuttle.hpp"

namespace floe::ice::test {

inline AgentConfig config(bool controlling) {
    AgentConfig c;
    c.controlling = controlling;
    return c;
}

inline stun::TransactionId tid(std::uint8_t seed) {
    stun::TransactionId id;
    id.fill(seed);
    return id;
}

inline Candidate remote_candidate(std::string address, std::string foundation = "f",
                                  std::uint32_t priority = 1) {
    Candidate r;
    r.foundation = std::move(foundation);
    r.priority = priority;
    r.address = std::move(address);
    r.port = 4000;
    return r;
}

// Connected or completed: the agent has a selected pair in use.
inline bool connected(const Peer& p) {
    return p.agent.state() == IceState::connected || p.agent.state() == IceState::completed;
}

// Two agents on the shuttle: a controlling (by default) on socket 1, b on socket 7.
struct TwoPeers {
    explicit TwoPeers(AgentConfig ca = config(true), AgentConfig cb = config(false))
        : a(std::move(ca), 1), b(std::move(cb), 2) {
        net.peers = {&a, &b};
    }
    void gather(std::string_view addr_a, std::string_view addr_b) {
        net.add_socket(a, 1, addr_a);
        net.add_socket(b, 7, addr_b);
        a.agent.end_of_local_sockets(net.now);
        b.agent.end_of_local_sockets(net.now);
        net.pump();
    }
    void exchange() {
        signal(net, a, b);
        signal(net, b, a);
    }
    // Gathers on 192.0.2.1 and .2, signals both ways and connects.
    bool connect_v4() {
        gather("192.0.2.1:5000", "192.0.2.2:6000");
        exchange();
        return connect();
    }
    bool connect(Duration budget = 5s) {
        return net.run_until([&] { return connected(a) && connected(b); }, budget);
    }
    Peer a, b;
    Shuttle net;
};

struct Wire {
    explicit Wire(bool controlling = false) : a(config(controlling), 3) {
        net.peers = {&a};
        net.add_socket(a, 1, "192.0.2.1:5000");
        a.agent.end_of_local_sockets(net.now);
        a.agent.set_remote_credentials(remote);
        net.pump();
    }
    Bytes request(std::string_view username, std::string_view pwd, bool use_candidate = false,
                  bool with_priority = true, std::uint8_t id = 9) {
        Bytes out;
        stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request}, tid(id));
        b.add_username(username);
        if (with_priority) b.add_priority(compute_priority(CandidateType::prflx, 65535, 1));
        b.add_ice_controlling(42);
        if (use_candidate) b.add_use_candidate();
        b.add_message_integrity(stun::IntegrityKey::short_term(pwd));
        b.add_fingerprint();
        REQUIRE(b.finish());
        return out;
    }
    // Checks to the agent are signed with the agent's own password (RFC 8445 §7.2.2).
    std::string local_pwd() const { return a.agent.local_credentials().pwd; }
    std::string good_username() const {
        return a.agent.local_credentials().ufrag + ":" + remote.ufrag;
    }
    // Everything the agent sent to `peer_address` since the last call.
    std::vector<Bytes> take() {
        std::vector<Bytes> out;
        while (auto t = a.agent.poll_transmit())
            out.push_back(t->data);
        while (auto e = a.agent.poll_event())
            a.events.push_back(*e);
        return out;
    }
    // The peer's success response to the agent's check, signed with the peer's password (or
    // with `pwd`; unsigned when `pwd` is empty).
    Bytes success_for(const stun::Message& check, std::optional<std::string> pwd = {}) {
        Bytes out;
        stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::success_response},
                               check.transaction_id());
        b.add_xor_mapped_address(*SocketAddress::parse("192.0.2.1:5000"));
        const std::string key = pwd.value_or(remote.pwd);
        if (!key.empty()) b.add_message_integrity(stun::IntegrityKey::short_term(key));
        b.add_fingerprint();
        REQUIRE(b.finish());
        return out;
    }
    // Runs the agent's timers for `d`, returning the requests it sent meanwhile.
    std::vector<stun::Message> run_for(Duration d, std::vector<Bytes>& storage) {
        const Instant until = net.now + d;
        for (auto out = take(); true; out = take()) {
            storage.insert(storage.end(), out.begin(), out.end());
            const auto at = a.agent.poll_timeout();
            if (!at || *at > until) break;
            net.now = std::max(net.now, *at);
            a.agent.handle_timeout(net.now);
        }
        net.now = until;
        std::vector<stun::Message> requests;
        for (const Bytes& b : storage)
            if (auto m = stun::Message::decode(b);
                m && m->message_class() == stun::MessageClass::request)
                requests.push_back(*m);
        return requests;
    }
    std::optional<int> error_code_of(const Bytes& response) {
        auto m = stun::Message::decode(response);
        if (!m || m->message_class() != stun::MessageClass::error_response) return std::nullopt;
        auto e = m->error_code();
        return e ? std::optional<int>(e->code) : std::nullopt;
    }
    Credentials remote{"peer", "peerpasswordpeerpassword"};
    SocketAddress peer = *SocketAddress::parse("192.0.2.9:7000");
    Peer a;
    Shuttle net;
};

}  // namespace floe::ice::test
