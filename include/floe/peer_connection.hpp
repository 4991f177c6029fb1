// RTCPeerConnection for data channels, in C++ style (W3C names in snake_case).
//
//   floe::PeerConnection pc(cfg);
//   pc.on_ice_candidate([](std::optional<floe::IceCandidate> c) { /* trickle; nullopt = done */ });
//   auto dc = pc.create_data_channel("chat");
//   dc->on_open([&] { dc->send("hello"); });
//   pc.set_local_description(pc.create_offer());   // ...signal local_description()...
//   pc.set_remote_description(answer);
//
// Threading: all state lives on one Runtime thread. Public methods may be called from any thread;
// called from another thread they run on the runtime thread and return when done (errors are
// rethrown in the caller). Callbacks run on the runtime thread after the protocol core has
// returned and never under a floe lock, so calling any method, close() included, from inside a
// callback is safe. Destroying a PeerConnection closes it without running any callback.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/configuration.hpp>
#include <floe/data_channel.hpp>
#include <floe/signaling.hpp>
#include <floe/stats.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

// The descriptions and candidates signaled (SessionDescription, IceCandidate): floe/signaling.hpp.

enum class IceGatheringState { new_, gathering, complete };
enum class IceConnectionState {
    new_,
    checking,
    connected,
    completed,
    disconnected,
    failed,
    closed
};
enum class PeerConnectionState { new_, connecting, connected, disconnected, failed, closed };
enum class SignalingState {
    stable,
    have_local_offer,
    have_remote_offer,
    have_local_pranswer,
    have_remote_pranswer,
    closed
};
std::string_view to_string(IceGatheringState state);
std::string_view to_string(IceConnectionState state);
std::string_view to_string(PeerConnectionState state);
std::string_view to_string(SignalingState state);

// RTCPeerConnectionIceErrorEvent (W3C webrtc §4.8.2): an ICE server or a configured interface
// that could not be used. error_code is a STUN error code (300-699) from the server, or 701 when
// the server could not be reached or resolved (W3C).
struct IceCandidateError {
    std::string address;                // the local address the request went from, if any
    std::optional<std::uint16_t> port;  // and its port
    std::string url;                    // the ICE server's URL, as configured
    int error_code = 0;
    std::string error_text;
};

class PeerConnection {
  public:
    explicit PeerConnection(Configuration configuration = {});
    ~PeerConnection();
    PeerConnection(const PeerConnection&) = delete;
    PeerConnection& operator=(const PeerConnection&) = delete;

    SessionDescription create_offer();
    SessionDescription create_answer();
    // Without an argument: the offer or answer the signaling state calls for (W3C implicit form).
    void set_local_description(std::optional<SessionDescription> description = std::nullopt);
    // SdpType::rollback returns to stable from have-local-offer / have-remote-offer.
    void set_remote_description(const SessionDescription& description);
    // nullopt or an empty candidate: end of remote candidates. W3C addIceCandidate: neither
    // sdp_mid nor sdp_mline_index throws InvalidArgumentError; one that names no data section
    // (the mid first, else the index) OperationError. A candidate whose username_fragment or
    // "ufrag" names another ICE generation than the remote description's (one from before a
    // restart) is ignored.
    void add_ice_candidate(const std::optional<IceCandidate>& candidate);
    // W3C restartIce(): the next create_offer() carries new ICE credentials; applying it restarts
    // ICE (gathering again, new checks) while DTLS, SCTP and the data channels carry on over the
    // current pair until a new one is selected. Renegotiate after it (create_offer,
    // set_local_description, signal it, set_remote_description(answer)): floe has no
    // negotiationneeded event. Does nothing when closed or before the first local description.
    void restart_ice();

    // With the candidates gathered so far (and a=end-of-candidates once gathering completed).
    std::optional<SessionDescription> local_description() const;
    std::optional<SessionDescription> remote_description() const;

    SignalingState signaling_state() const;
    IceGatheringState ice_gathering_state() const;
    IceConnectionState ice_connection_state() const;
    PeerConnectionState connection_state() const;

    // Before or after connecting. Throws InvalidArgumentError for bad init values, and
    // InvalidStateError when closed.
    std::shared_ptr<DataChannel> create_data_channel(std::string label, DataChannelInit init = {});

    // Idempotent; safe from inside any callback. Channels close, no event fires afterwards.
    void close();

    // The W3C stats report (floe/stats.hpp): candidates, pairs, transport, certificates,
    // channels; StatsReport::to_json() gives a browser's JSON shape.
    StatsReport get_stats() const;
    // The largest message DataChannel::send() accepts now (W3C `RTCSctpTransport.maxMessageSize`):
    // the peer's a=max-message-size once a remote description is set (65536 when it gave none,
    // RFC 8841 §6; "0", no limit, reads as 1 GiB), 65536 before. Any thread, never blocks.
    std::size_t max_message_size() const;

    void on_ice_candidate(std::function<void(std::optional<IceCandidate>)> callback);
    void on_ice_gathering_state_change(std::function<void(IceGatheringState)> callback);
    void on_ice_connection_state_change(std::function<void(IceConnectionState)> callback);
    void on_connection_state_change(std::function<void(PeerConnectionState)> callback);
    void on_signaling_state_change(std::function<void(SignalingState)> callback);
    void on_data_channel(std::function<void(std::shared_ptr<DataChannel>)> callback);
    // An ICE server that failed gathering (no answer, an error response, a name that does not
    // resolve) or an interface named in the configuration that does not exist. Gathering goes on
    // with what works; each error is also counted in get_stats().floe.ice_candidate_errors.
    void on_ice_candidate_error(std::function<void(const IceCandidateError&)> callback);

  private:
    // The runtime side, defined in src/rtc; a channel reaches its connection through it.
    friend class DataChannel;
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace floe

#pragma GCC visibility pop
