// The PeerConnection core: a sans-IO object composing the JSEP signaling state (signaling.hpp),
// the transports and the plumbing between them (transport_pump.hpp) and the data channels
// (channel_registry.hpp); here the layers' events become the session's, and the connection state
// is aggregated. It owns no socket, thread or clock: the runtime (src/rtc) or the simulator
// (tests/sim) feeds it datagrams and timeouts and sends what it polls.
//
//   datagram ─ first byte (RFC 7983) ─ 0..3   → ICE agent (STUN)
//                                    └ 20..63 → DTLS transport → SCTP association → channels
//
// API misuse and bad descriptions throw floe::Error subclasses and leave the state as it was.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include <floe/bytes.hpp>
#include <floe/peer_connection.hpp>
#include <floe/socket_address.hpp>

#include "common/fifo.hpp"
#include "common/random.hpp"
#include "common/time.hpp"
#include "session/channel_registry.hpp"
#include "session/signaling.hpp"
#include "session/transport_pump.hpp"
#include "session/types.hpp"

namespace floe::session {

class Session final : TransportPump::Handler {
  public:
    Session(Config config, Random& random);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Sockets the runtime opened; the agent gathers on them once a local description is set.
    void add_local_socket(Instant now, ice::SocketId socket, SocketAddress bound);
    void end_of_local_sockets(Instant now);
    // The TURN servers to allocate relays on (resolved; TCP/TLS ones name the stream socket the
    // runtime opens: its framed messages come to handle_datagram, transmits to it go on it).
    const std::vector<TurnServer>& turn_servers() const { return config_.turn_servers; }
    // The runtime's stream to a TCP/TLS TURN server failed to open or broke.
    void turn_stream_failed(Instant now, ice::SocketId socket, std::string reason);

    SessionDescription create_offer() const { return signaling_.create_offer(); }
    SessionDescription create_answer() const { return signaling_.create_answer(); }
    void set_local_description(Instant now, std::optional<SessionDescription> description);
    void set_remote_description(Instant now, const SessionDescription& description);
    void add_ice_candidate(Instant now, const std::optional<IceCandidate>& candidate);
    // W3C restartIce(): the next offer carries new ICE credentials; the agent restarts when it is
    // applied (set_local_description), and DTLS, SCTP and the channels carry on. Nothing once
    // closed, or before the first local description (that one has fresh credentials anyway).
    void restart_ice() {
        if (!closed_) signaling_.restart_ice();
    }
    std::optional<SessionDescription> local_description() const {
        return signaling_.local_description();
    }
    std::optional<SessionDescription> remote_description() const {
        return signaling_.remote_description();
    }

    SignalingState signaling_state() const { return signaling_.state(); }
    IceGatheringState gathering_state() const { return gathering_; }
    IceConnectionState ice_state() const { return ice_state_; }
    PeerConnectionState connection_state() const { return connection_; }

    ChannelHandle create_data_channel(Instant now, std::string label, DataChannelInit init);
    // Throws InvalidStateError unless open, InvalidArgumentError above the peer's
    // max-message-size (checked here, and only here).
    void send(Instant now, ChannelHandle channel, bool binary, ByteSpan data);
    void close_channel(Instant now, ChannelHandle channel);
    void set_buffered_amount_low_threshold(ChannelHandle channel, std::size_t bytes);
    // Gathers the small messages sent until uncork() and sends them packed into full packets
    // (sctp::Association::cork). uncork() returns whether it sent anything.
    void cork();
    bool uncork(Instant now);
    // The channel's record, shared with whoever shows it (the public DataChannel); null once
    // the channel was forgotten (its ChannelClosed event polled).
    std::shared_ptr<ChannelRecord> channel(ChannelHandle channel) const {
        return channels_.get(channel);
    }
    // The peer's a=max-message-size (65536 when it gave none, RFC 8841 §6; 0, no limit, as
    // 1 GiB). Readable from any thread, for a caller that wants to refuse a message early.
    std::size_t remote_max_message_size() const {
        return remote_max_message_size_.load(std::memory_order_relaxed);
    }
    // The one max-message-size check: InvalidArgumentError above the peer's limit.
    void check_message_size(std::size_t bytes) const;

    // Closes for the application at once (state closed, channels closed, no more events). With
    // a linger, an established association first shuts down gracefully (every message sent is
    // acknowledged) while the session keeps handling input and timeouts, bounded by the linger;
    // then DTLS close_notify. finished() says when nothing is left to do.
    void close(Instant now, Duration linger = {});
    bool finished() const { return closed_ && !lingering_; }

    // ---- sans-IO verbs
    void handle_datagram(Instant now, ice::SocketId socket, SocketAddress from, ByteSpan data);
    void handle_timeout(Instant now);
    // How late the runtime's wake-ups run lately (its thread is busy): SCTP then waits longer
    // before it resends (sctp::rto_min_for_lag).
    void set_scheduling_lag(Duration lag) { pump_.set_scheduling_lag(lag); }
    std::optional<Instant> poll_timeout() const;
    std::optional<Transmit> poll_transmit() { return pump_.poll_transmit(); }
    // Gives back a sent Transmit's buffer, so that the next datagram reuses it (optional).
    void recycle(Bytes buffer) { pump_.recycle(std::move(buffer)); }
    std::optional<Event> poll_event();

    // A configuration error the runtime found (an interface that does not exist): reported with
    // Config::candidate_errors once gathering starts, at once if it started.
    void report_candidate_error(IceCandidateError error);

    // The W3C stats report (stats.cpp); `wall_ms` is `now` on the wall clock, in milliseconds
    // since the Unix epoch, for the W3C timestamps.
    StatsReport stats(Instant now, double wall_ms) const;

    // For a runtime that shares one port among sessions (src/rtc/shared_port.hpp): the ufrag
    // the peer's checks name first (RFC 8445 §7.2.2), and whether ICE validated `from` on
    // `socket`, i.e. whether its non-STUN datagrams are this session's.
    const std::string& local_ufrag() const { return signaling_.local_credentials().ufrag; }
    bool validated(ice::SocketId socket, const SocketAddress& from) const {
        const ice::Agent* agent = pump_.agent();
        return agent && agent->validated(socket, from);
    }

  private:
    // TransportPump::Handler: the layers' events (session_events.cpp).
    bool stopped() const override { return finished(); }
    void ice_event(Instant now, ice::Event& event) override;
    void dtls_event(Instant now, dtls::Event& event) override;
    void sctp_event(Instant now, sctp::Event& event) override;
    void relay_error(Instant now, const Relays::Event& event) override;

    void pump(Instant now);
    // The channels' published buffered amounts, after SCTP sent packets (or always: force).
    void refresh_buffered(bool force);
    // An ICE candidate error event, counted in the stats.
    void candidate_error(IceCandidateError error);
    // Tells the observer about the candidate-pair table when it changed (stats.cpp).
    void watch_pairs(Instant now);
    void emit_signaling(SignalingState before);
    void ensure_agent(bool controlling);
    // ICE restart (RFC 8445 §9) of the agent with these local credentials: gathering again.
    void restart_agent(Instant now, const ice::Credentials& local);
    // The remote description's credentials and candidates (and those trickled meanwhile).
    void apply_remote_ice(Instant now, const sdp::RemoteDataParameters& params);
    void apply_dtls_role(const Signaling::Applied& applied);
    void start_sctp();
    void open_in_sctp(ChannelHandle handle);
    void close_all_channels();
    void update_connection_state();
    void finish_close(Instant now, bool abort);

    Config config_;
    Signaling signaling_;
    TransportPump pump_;
    ChannelRegistry channels_;
    Fifo<Event> events_;
    // The remote credentials the agent has; none before the first remote description and after a
    // restart until the remote description of the new generation.
    std::optional<ice::Credentials> agent_remote_;
    // A remote offer restarted ICE: the agent restarts with our answer, and takes the offer's
    // credentials and candidates then; candidates trickled for it wait here until then.
    bool remote_waits_for_answer_ = false;
    std::string waiting_ufrag_;  // that offer's
    std::vector<ice::Candidate> waiting_candidates_;
    bool waiting_end_of_candidates_ = false;

    IceGatheringState gathering_ = IceGatheringState::new_;
    IceConnectionState ice_state_ = IceConnectionState::new_;
    PeerConnectionState connection_ = PeerConnectionState::new_;
    std::atomic<std::size_t> remote_max_message_size_;
    std::uint64_t buffered_seen_ = 0;  // pump_.sctp_packets_out() at the last refresh
    bool buffered_fell_ = false;       // the association said so (BufferedAmountLow)
    bool dtls_connected_ = false;
    bool dtls_failed_ = false;
    std::string cipher_;
    std::uint32_t selected_pair_changes_ = 0;
    // What the observer last saw of the pairs: (id, state, nominated) each, and a digest of
    // their counters.
    struct PairSeen {
        ice::PairId id;
        ice::PairState state;
        bool nominated;
        friend bool operator==(const PairSeen&, const PairSeen&) = default;
    };
    std::vector<PairSeen> pairs_seen_;
    std::uint64_t pair_counters_seen_ = 0;
    std::optional<Instant> pairs_reported_at_;
    std::uint64_t ice_candidate_errors_ = 0;
    // When to say which servers gathering still waits on (report_gathering_wait).
    static constexpr Duration kGatheringWaitReport = std::chrono::seconds(2);
    std::optional<Instant> gathering_wait_check_;
    void report_gathering_wait();
    std::vector<IceCandidateError> pending_errors_;  // until gathering starts
    bool sctp_up_ = false;
    bool sctp_failed_ = false;
    bool closed_by_peer_ = false;
    bool closed_ = false;     // for the application: close() was called
    bool lingering_ = false;  // closed, and the association is still shutting down
    Instant linger_until_{};
};

}  // namespace floe::session
