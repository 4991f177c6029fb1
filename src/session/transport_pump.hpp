// The transports of a session and the plumbing between them (RFC 8261 §3: SCTP over DTLS over
// ICE): datagrams demultiplexed by their first byte (RFC 7983), DTLS records to and from the
// selected path, SCTP packets through DTLS, timers merged. What the layers report goes to the
// Handler (the session) for it to decide; the pump decides nothing beyond where bytes go.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/certificate.hpp>
#include <floe/socket_address.hpp>

#include "common/buffer_pool.hpp"
#include "common/fifo.hpp"
#include "common/random.hpp"
#include "common/time.hpp"
#include "dtls/transport.hpp"
#include "ice/agent.hpp"
#include "sctp/association.hpp"
#include "session/relay.hpp"
#include "session/types.hpp"

namespace floe::session {

class TransportPump {
  public:
    class Handler {
      public:
        // Nothing is pumped once true (the session finished).
        virtual bool stopped() const = 0;
        virtual void ice_event(Instant now, ice::Event& event) = 0;
        // DataReceived included: the handler passes it on with deliver_to_sctp().
        virtual void dtls_event(Instant now, dtls::Event& event) = 0;
        virtual void sctp_event(Instant now, sctp::Event& event) = 0;
        // A TURN allocation failed or was lost (the agent has been told already).
        virtual void relay_error(Instant now, const Relays::Event& event) = 0;

      protected:
        ~Handler() = default;
    };

    // The observer, if any, must outlive the pump.
    TransportPump(const Certificate& certificate, PacketObserver* observer, Random& random);

    // ---- ICE
    // Sockets the runtime opened; the agent gathers on them once start_gathering() was called.
    void add_local_socket(Instant now, ice::SocketId socket, SocketAddress bound);
    void end_of_local_sockets(Instant now);
    void ensure_agent(ice::AgentConfig config);
    // TURN servers to allocate a relay candidate on, once gathering starts (before it).
    void set_turn_servers(std::vector<TurnServer> servers) { turn_servers_ = std::move(servers); }
    const Relays& relays() const { return relays_; }
    // What gathering still waits on: STUN servers' and TURN servers' URLs (or addresses).
    std::vector<std::string> gathering_waits_for(const std::vector<std::string>& stun_urls) const;
    // A remote candidate was given to the agent: relays ask for its permission (RFC 8656 §9).
    void remote_candidate(Instant now, const ice::Candidate& candidate) {
        if (auto address = candidate.socket_address()) relays_.permit(now, *address);
    }
    void turn_stream_failed(ice::SocketId socket, std::string reason) {
        relays_.stream_failed(socket, std::move(reason));
    }
    void start_gathering(Instant now);
    bool gathering_started() const { return gathering_started_; }
    // The bound address of `socket` (empty until the socket was added).
    SocketAddress local_address(ice::SocketId socket) const;
    ice::Agent* agent() { return agent_ ? &*agent_ : nullptr; }
    const ice::Agent* agent() const { return agent_ ? &*agent_ : nullptr; }
    // The selected pair; on a relay, its traffic goes as ChannelData from now on (RFC 8656 §12).
    void select(Instant now, const ice::SelectedPair& pair);
    const std::optional<ice::SelectedPair>& pair() const { return pair_; }
    // DTLS runs on the path the peer's handshake came on while no pair is selected.
    bool on_peer_path() const { return dtls_path_ && !pair_; }

    // ---- DTLS
    void set_dtls_role(dtls::Role role) { dtls_role_ = role; }
    const std::optional<dtls::Role>& dtls_role() const { return dtls_role_; }
    void set_remote_fingerprints(std::vector<Fingerprint> fingerprints) {
        remote_fingerprints_ = std::move(fingerprints);
    }
    // Starts the handshake once the role is known and there is a path to send on.
    void maybe_start_dtls(Instant now);
    bool dtls_started() const { return dtls_started_; }
    dtls::Transport& dtls() { return dtls_; }
    const dtls::Transport& dtls() const { return dtls_; }
    // Queues what DTLS has to send, each datagram to the current path.
    void send_dtls_datagrams(Instant now);

    // ---- SCTP
    void start_sctp(const sctp::Config& config);
    // How late the runtime's wake-ups run: passed to the association (which raises RTO.min for
    // it), now and when it starts.
    void set_scheduling_lag(Duration lag);
    sctp::Association* sctp() { return sctp_ ? &*sctp_ : nullptr; }
    const sctp::Association* sctp() const { return sctp_ ? &*sctp_ : nullptr; }
    // SCTP packets handed to DTLS so far: a channel's buffered amount only falls when the
    // association put its bytes into a packet.
    std::uint64_t sctp_packets_out() const { return sctp_packets_out_; }
    // A decrypted SCTP packet (dtls::event::DataReceived) into the association.
    void deliver_to_sctp(Instant now, Bytes packet);
    // Aborts the association (or not, when it already ended), says close_notify, stops ICE.
    void close(Instant now, bool abort_sctp);

    // ---- counters (W3C RTCTransportStats, RTCIceCandidatePairStats)
    struct Counters {
        std::uint64_t packets_sent = 0;
        std::uint64_t bytes_sent = 0;
        std::uint64_t packets_received = 0;
        std::uint64_t bytes_received = 0;
        std::optional<Instant> last_sent;
        std::optional<Instant> last_received;
    };
    // Every datagram in and out.
    const Counters& totals() const { return totals_; }
    // DTLS datagrams sent to, and accepted from, `remote` on `socket` (null: none yet).
    const Counters* path_counters(ice::SocketId socket, const SocketAddress& remote) const;

    // ---- sans-IO
    void handle_datagram(Instant now, ice::SocketId socket, SocketAddress from, ByteSpan data,
                         Handler& handler);
    void handle_timeout(Instant now);
    std::optional<Instant> poll_timeout() const;
    std::optional<Transmit> poll_transmit();
    void recycle(Bytes buffer) { datagram_buffers_.give(std::move(buffer)); }
    // Moves everything the layers produced one step further, until nothing moves.
    void pump(Instant now, Handler& handler);

  private:
    void queue(Instant now, ice::SocketId socket, const SocketAddress& to, Bytes data);
    // One datagram to the layer its first byte names (RFC 7983); false when it is nobody's.
    bool demux(Instant now, ice::SocketId socket, const SocketAddress& from, ByteSpan data);
    // Relays started once the sockets are known; the agent's end of sockets once they settled.
    void maybe_start_relays(Instant now);
    bool pump_relays(Instant now, Handler& handler);

    PacketObserver* observer_;
    Random& random_;
    struct Socket {
        ice::SocketId id;
        SocketAddress address;
    };
    std::vector<Socket> sockets_;
    bool sockets_done_ = false;
    bool gathering_started_ = false;
    bool agent_sockets_done_ = false;  // end_of_local_sockets() told to the agent
    std::vector<TurnServer> turn_servers_;
    Relays relays_;
    std::optional<ice::Agent> agent_;
    std::optional<ice::SelectedPair> pair_;
    // Where a DTLS server answers before ICE selected a pair: the validated address the peer's
    // first handshake datagram came from (handle_datagram).
    struct Path {
        ice::SocketId socket;
        SocketAddress remote;
    };
    std::optional<Path> dtls_path_;

    dtls::Transport dtls_;
    std::optional<dtls::Role> dtls_role_;
    std::vector<Fingerprint> remote_fingerprints_;  // every a=fingerprint, for dtls to choose
    bool dtls_started_ = false;

    std::optional<sctp::Association> sctp_;
    Duration scheduling_lag_{};
    std::uint64_t sctp_packets_out_ = 0;

    Counters& path_counters(ice::SocketId socket, const SocketAddress& remote);
    Counters totals_;
    struct PathCounters {
        ice::SocketId socket;
        SocketAddress remote;
        Counters counters;
    };
    // The paths DTLS went over: one, or a few when the selected pair changed. Bounded, the
    // oldest forgotten first.
    std::vector<PathCounters> paths_;  // newest first

    Fifo<Transmit> out_;
    BufferPool datagram_buffers_{64, 2048};  // recycle()d Transmit buffers
};

}  // namespace floe::session
