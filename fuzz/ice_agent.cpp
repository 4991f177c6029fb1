// The ICE agent as a state machine, fuzzed the way Google's dcsctp fuzzes its socket: the input is
// a program of operations (packets, API calls, timer expiries) run against one agent. Packets are
// raw bytes, or well-formed STUN built from fuzz-chosen fields and signed with the right (or the
// wrong) password, so the fuzzer reaches the states behind authentication.
//
// Invariants checked after every operation:
// - after handle_timeout(now), poll_timeout() is later than now (no busy loop);
// - a selected pair exists only while connected, completed or disconnected, and its remote
//   address is validated for data;
// - non-STUN input is accepted exactly when its (socket, source) is validated;
// - after close(): closed, no transmits, no timeouts;
// - transmits are never empty;
// - an ICE-lite agent never sends a check and stays controlled.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "common/byte_reader.hpp"
#include "common/random.hpp"
#include "ice/agent.hpp"

using namespace floe;
using namespace floe::ice;

namespace {

const std::array<const char*, 6> addresses = {
    "192.0.2.1:5000",     "[2001:db8::1]:5000", "192.0.2.9:7000",
    "[2001:db8::9]:7000", "127.0.0.1:9",        "198.51.100.4:3478",
};
const Credentials peer_a{"peer", "peerpasswordpeerpassword"};
const Credentials peer_b{"othr", "otherpasswordotherpasswd"};

SocketAddress pick_address(ByteReader& in) {
    return *SocketAddress::parse(addresses[in.u8().value_or(0) % addresses.size()]);
}

void check(bool condition) {
    if (!condition) std::abort();
}

struct Sent {
    SocketId socket;
    SocketAddress destination;
    Bytes data;
};

class Harness {
  public:
    explicit Harness(ByteReader& in)
        : in_(in), random_(in.u64().value_or(0)), agent_(make_config(in, lite_), random_) {}

    void run() {
        while (!in_.empty()) {
            step();
            drain();
            invariants();
        }
        close_and_check();
    }

  private:
    static AgentConfig make_config(ByteReader& in, bool& lite) {
        AgentConfig c;
        const std::uint8_t flags = in.u8().value_or(0);
        c.controlling = flags & 1;
        if (flags & 2) c.stun_servers.push_back(*SocketAddress::parse("198.51.100.4:3478"));
        if (flags & 4) c.stun.rto = 100ms;
        if (flags & 8) c.failed_grace = 2s;
        c.max_pairs = 1 + ((flags >> 4) & 7);
        c.lite = lite = flags & 0x80;  // ICE-lite: never sends a check (checked every step)
        return c;
    }

    Instant now_ = Instant{} + std::chrono::hours(1);

    void step() {
        const std::uint8_t op = in_.u8().value_or(0);
        switch (op % 13) {
            case 0: {
                const SocketId id = in_.u8().value_or(0) % 4;
                agent_.add_local_socket(now_, id, pick_address(in_));
                break;
            }
            case 1:
                agent_.end_of_local_sockets(now_);
                break;
            case 2:
                agent_.set_remote_credentials((in_.u8().value_or(0) & 1) ? peer_b : peer_a);
                break;
            case 3:
                add_remote_candidate();
                break;
            case 4:
                agent_.end_of_remote_candidates(now_);
                break;
            case 5: {  // time passes
                now_ += milliseconds(in_.u16().value_or(0));
                agent_.handle_timeout(now_);
                break;
            }
            case 6:
                fire_timer();
                break;
            case 7: {
                Credentials c;
                if (in_.u8().value_or(0) & 1) c = {"newfrag", "newpasswordnewpassword01"};
                agent_.restart(now_, c);
                break;
            }
            case 8:
                if ((in_.u8().value_or(0) & 7) == 0) agent_.close();
                break;
            case 9:
                raw_datagram();
                break;
            case 10:
                crafted_request();
                break;
            case 11:
                crafted_response();
                break;
            case 12:
                replay_mutated();
                break;
        }
    }

    void add_remote_candidate() {
        Candidate c;
        c.foundation = "f";
        c.foundation += std::to_string(in_.u8().value_or(0) % 8);
        c.type = static_cast<CandidateType>(in_.u8().value_or(0) % 4);
        c.priority = in_.u32().value_or(1);
        const std::uint8_t which = in_.u8().value_or(0);
        if (which % 7 == 6) {
            c.address = "0d5a1c2b-1111-2222-3333-444455556666.local";
            c.port = 7000;
        } else {
            const auto a = *SocketAddress::parse(addresses[which % addresses.size()]);
            c.address = a.ip().to_string();
            c.port = (which & 0x80) ? in_.u16().value_or(0) : a.port();
        }
        if (which & 0x40) c.component = 2;
        agent_.add_remote_candidate(now_, c);
    }

    void fire_timer() {
        auto at = agent_.poll_timeout();
        if (!at) return;
        now_ = std::max(now_, *at);
        agent_.handle_timeout(now_);
        if (auto next = agent_.poll_timeout()) check(*next > now_);
    }

    void raw_datagram() {
        const std::size_t n = in_.u8().value_or(0);
        auto bytes = in_.bytes(std::min(n, in_.remaining()));
        if (!bytes) return;
        deliver(*bytes);
    }

    SocketId pick_socket() { return in_.u8().value_or(0) % 5; }

    void crafted_request() {
        const std::uint8_t flags = in_.u8().value_or(0);
        const Credentials& peer = (flags & 1) ? peer_b : peer_a;
        const Credentials& ours = agent_.local_credentials();
        stun::TransactionId id{};
        random_.fill(id);
        Bytes out;
        stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request}, id);
        if (!(flags & 2))
            b.add_username((flags & 4) ? "junk:" + peer.ufrag : ours.ufrag + ":" + peer.ufrag);
        if (!(flags & 8)) b.add_priority(in_.u32().value_or(0));
        const std::uint64_t tie = in_.u64().value_or(0);
        if (flags & 16)
            b.add_ice_controlling(tie);
        else
            b.add_ice_controlled(tie);
        if (flags & 32) b.add_use_candidate();
        if (flags & 64) b.add(0x0042, as_bytes("unknown"));  // comprehension-required
        if (!(flags & 128)) b.add_message_integrity(stun::IntegrityKey::short_term(ours.pwd));
        b.add_fingerprint();
        if (!b.finish()) return;
        deliver(out);
    }

    // Reads the socket, then the source address (in that order: argument order is unspecified).
    void deliver(ByteSpan datagram) {
        const SocketId socket = pick_socket();
        const SocketAddress from = pick_address(in_);
        if (!agent_.handle_input(now_, socket, from, datagram))
            check(agent_.accept_data(now_, socket, from) == agent_.validated(socket, from));
    }

    void crafted_response() {
        if (sent_.empty()) return;
        const Sent& to = sent_[in_.u8().value_or(0) % sent_.size()];
        auto request = stun::Message::decode(to.data);
        if (!request || request->message_class() != stun::MessageClass::request) return;
        const std::uint8_t flags = in_.u8().value_or(0);
        const bool error = flags & 1;
        Bytes out;
        stun::MessageBuilder b(
            out,
            {stun::method::binding,
             error ? stun::MessageClass::error_response : stun::MessageClass::success_response},
            request->transaction_id());
        if (error) {
            static constexpr std::array<int, 4> codes = {487, 400, 401, 500};
            b.add_error_code(codes[(flags >> 1) % codes.size()]);
        } else {
            b.add_xor_mapped_address(pick_address(in_));
        }
        if (!(flags & 8)) {
            const Credentials& peer = (flags & 16) ? peer_b : peer_a;
            b.add_message_integrity(stun::IntegrityKey::short_term(peer.pwd));
        }
        b.add_fingerprint();
        if (!b.finish()) return;
        if (flags & 32)
            deliver(out);  // from wherever the input says
        else
            agent_.handle_input(now_, to.socket, to.destination, out);
    }

    void replay_mutated() {
        if (sent_.empty()) return;
        Bytes data = sent_[in_.u8().value_or(0) % sent_.size()].data;
        if (data.empty()) return;
        const std::size_t at = in_.u16().value_or(0) % data.size();
        data[at] ^= static_cast<std::uint8_t>(1u << (in_.u8().value_or(0) % 8));
        deliver(data);
    }

    void drain() {
        while (auto t = agent_.poll_transmit()) {
            check(!t->data.empty());
            sent_.push_back({t->socket, t->destination, std::move(t->data)});
            if (sent_.size() > 16) sent_.pop_front();
        }
        while (agent_.poll_event()) {
        }
    }

    void invariants() {
        const IceState s = agent_.state();
        if (auto p = agent_.selected_pair()) {
            check(s == IceState::connected || s == IceState::completed ||
                  s == IceState::disconnected);
            check(agent_.validated(p->socket, p->remote_address));
        }
        // RFC 8445 §2.5: a lite agent sends no checks, and is never controlling.
        if (lite_) check(agent_.stats().checks_sent == 0 && agent_.role() == Role::controlled);
        if (s == IceState::closed) {
            check(!agent_.poll_timeout());
            check(!agent_.poll_transmit());
        }
    }

    void close_and_check() {
        agent_.close();
        agent_.close();
        check(agent_.state() == IceState::closed);
        check(!agent_.poll_transmit());
        check(!agent_.poll_timeout());
    }

    ByteReader& in_;
    SeededRandom random_;
    bool lite_ = false;  // before agent_: make_config() sets it
    Agent agent_;
    std::deque<Sent> sent_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ByteReader in(ByteSpan(data, size));
    Harness h(in);
    h.run();
    return 0;
}
