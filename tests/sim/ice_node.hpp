// An ICE agent (src/ice/agent) on a simulated host, with the signalling channel a real
// application would provide: credentials, trickled candidates, end-of-candidates and ICE restarts
// reach the peer `signalling_delay` later, in order. Everything the agent reports is recorded
// with its virtual time, for the scenarios to assert on.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ice/agent.hpp"
#include "sim/network.hpp"

namespace floe::sim {

class IceNode final : public Node {
  public:
    // `seed` feeds this agent's own generator (transaction ids, tie-breaker, credentials).
    IceNode(std::string name, ice::AgentConfig config, std::uint64_t seed);

    // Signalling in both directions; call once, before sockets are added.
    static void pair_up(Instant now, IceNode& a, IceNode& b, Duration signalling_delay);

    // The runtime's part: a socket bound to `address` (an address of this node's host).
    void add_socket(Instant now, SocketAddress address);
    void end_of_sockets(Instant now);
    // restart_ice(): new credentials here, and (through signalling) a restart at the peer.
    void restart(Instant now);
    void close();

    // Read-only: everything that changes the agent goes through this node, which keeps the
    // signalling and the cached timeout right.
    const ice::Agent& agent() const { return agent_; }
    const std::string& name() const { return name_; }

    // When false, local candidates are not trickled to the peer (it learns them only as
    // peer-reflexive ones from our checks): a peer that cannot send checks of its own.
    bool signal_candidates = true;

    // What happened, in order.
    std::vector<std::pair<Instant, ice::IceState>> states;
    std::vector<ice::event::LocalCandidate> local_candidates;
    std::vector<ice::Candidate> remote_candidates;  // as signalled to this node
    std::optional<ice::SelectedPair> selected;
    std::vector<ice::Role> role_changes;
    // The first time the agent reached `state` at or after `since`.
    std::optional<Instant> reached(ice::IceState state, Instant since = Instant{}) const;
    // connected or completed.
    bool is_connected() const;

    // Node
    void handle_input(Instant now, SocketAddress local, SocketAddress from, ByteSpan data) override;
    void handle_timeout(Instant now) override;
    std::optional<Instant> poll_timeout() const override;
    std::optional<Datagram> poll_transmit() override;

  private:
    struct EndOfCandidates {};
    struct Restart {
        ice::Credentials credentials;  // the restarting side's new ones
    };
    using Message = std::variant<ice::Credentials, ice::Candidate, EndOfCandidates, Restart>;
    struct Signal {
        Instant at;
        Message message;
    };

    void send_signal(Instant now, Message message);
    void receive_signal(Instant now, Message message);
    // Moves the agent's events into the records and the peer's signalling inbox.
    void pump(Instant now);

    std::string name_;
    SeededRandom random_;
    bool lite_ = false;  // this agent is ICE-lite: its "description" says a=ice-lite
    ice::Agent agent_;
    std::vector<SocketAddress> sockets_;  // SocketId = index
    IceNode* peer_ = nullptr;
    Duration signalling_delay_{};
    std::deque<Signal> inbox_;
    // agent_.poll_timeout(), which the Network asks for at every step, until the agent is next
    // called (every call into it ends in pump()).
    mutable std::optional<std::optional<Instant>>
        agent_timeout_;  // arrival times never decrease: one fixed delay, FIFO
};

}  // namespace floe::sim
