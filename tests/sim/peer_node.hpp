// A whole session (src/session: ICE + DTLS + SCTP + DCEP, the JSEP signaling state) on a
// simulated host, driven the way the real runtime drives it (PeerConnection::Impl::start/flush in
// src/rtc/peer_connection.cpp): sockets first (add_local_socket, end_of_local_sockets), every
// event drained after every call, the timer from poll_timeout(). The application's part —
// offer/answer and trickled candidates over a signalling channel with a fixed delay, channels,
// sends — is here too, and everything the core reports is recorded with its virtual time.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/random.hpp"
#include "session/session.hpp"
#include "sim/network.hpp"

namespace floe::sim {

// What one side saw of one data channel (by the core's handle on that side).
struct ChannelRecord {
    std::string label;
    bool incoming = false;  // opened by the peer (DCEP)
    bool opened = false;
    bool closed = false;
    std::vector<std::string> errors;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::vector<Message> kept;  // the messages, unless PeerNode::on_message takes them
};

class PeerNode final : public Node {
  public:
    // `seed` feeds the core's generator (ICE credentials, transaction ids, tie-breaker).
    PeerNode(std::string name, session::Config config, std::uint64_t seed);

    // Signalling in both directions; call once, before offer().
    static void pair_up(PeerNode& a, PeerNode& b, Duration signalling_delay);

    // The runtime's part: a socket bound to `address` (an address of this node's host).
    void add_socket(Instant now, SocketAddress address);
    void end_of_sockets(Instant now);
    // The application: create_offer + set_local_description; the offer goes to the peer, which
    // answers (set_remote_description, create_answer, set_local_description) when it arrives.
    void offer(Instant now);
    // The application's restartIce(): Session::restart_ice, then a new offer (offer()), as an
    // application does without a negotiationneeded event. Either side may; the peer answers.
    void restart_ice(Instant now);
    session::ChannelHandle open_channel(Instant now, std::string label, DataChannelInit init = {});
    void send(Instant now, session::ChannelHandle channel, ByteSpan data, bool binary = true);
    // Session::close; the node keeps running the session until finished().
    void close(Instant now, Duration linger = {});

    const session::Session& core() const { return core_; }
    const std::string& name() const { return name_; }
    bool closed_by_app() const { return closed_; }

    // Called with `now` before every call into the core: the scenario points the process's wall
    // clock there (support/virtual_wall_clock.hpp), which OpenSSL and usrsctp read.
    std::function<void(Instant)> on_clock;
    // The application's callbacks: every message (instead of keeping it in the record), and a hook
    // after every drain (a sender refilling its buffer). Both may call send().
    std::function<void(Instant, session::ChannelHandle, Message&)> on_message;
    std::function<void(Instant)> on_idle;
    // The application answers an offer this long after it arrived (default: at once); the
    // peer's trickled candidates may come in between.
    Duration answer_delay{};

    // What happened, in order.
    std::vector<std::pair<Instant, PeerConnectionState>> connection_states;
    std::vector<std::pair<Instant, IceConnectionState>> ice_states;
    std::vector<std::pair<Instant, IceGatheringState>> gathering_states;
    std::map<session::ChannelHandle, ChannelRecord> channels;
    std::vector<session::ChannelHandle> incoming;  // channels the peer opened, in order
    std::uint64_t candidates_signalled = 0;
    // The first time the core reached `state`.
    std::optional<Instant> reached(PeerConnectionState state) const;
    PeerConnectionState state() const { return core_.connection_state(); }

    // Node
    void handle_input(Instant now, SocketAddress local, SocketAddress from, ByteSpan data) override;
    void handle_timeout(Instant now) override;
    std::optional<Instant> poll_timeout() const override;
    std::optional<Datagram> poll_transmit() override;

  private:
    struct AnswerNow {};  // answer_delay has passed since the offer arrived
    using Signal = std::variant<SessionDescription, std::optional<IceCandidate>, AnswerNow>;
    struct Pending {
        Instant at;
        Signal signal;
    };

    void enter(Instant now);
    void send_signal(Instant now, Signal signal);
    void receive_signal(Instant now, Signal signal);
    void answer(Instant now);
    // Drains the core's events into the records and the peer's signalling inbox, then lets the
    // application act (on_idle) until it has nothing more to do.
    void drain(Instant now);
    void handle_event(Instant now, session::Event& event);

    std::string name_;
    SeededRandom random_;
    session::Session core_;
    std::vector<SocketAddress> sockets_;  // ice::SocketId = index + 1, as the runtime numbers them
    PeerNode* peer_ = nullptr;
    Duration signalling_delay_{};
    std::deque<Pending> inbox_;  // by arrival time, FIFO among equal times
    bool closed_ = false;
    bool draining_ = false;
    // core_.poll_timeout(), asked for at every step of the Network, until the core is next called.
    mutable std::optional<std::optional<Instant>> core_timeout_;
};

}  // namespace floe::sim
