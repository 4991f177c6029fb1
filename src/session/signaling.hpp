// The JSEP signaling state machine (RFC 8829 §3.2, W3C RTCSignalingState) for one data section:
// which descriptions were applied in which order, the descriptions themselves, and what the
// local ones say. Pure state: no ICE, DTLS or SCTP here; the session applies what a transition
// tells it (the ICE role, the DTLS role, the remote parameters).
//
// Every method that can fail throws (InvalidStateError for a call the state forbids, sdp::SdpError
// for a description that cannot be applied) and then leaves everything as it was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <floe/peer_connection.hpp>
#include <floe/sdp/jsep.hpp>

#include "ice/agent.hpp"

namespace floe::session {

class Signaling {
  public:
    struct Local {
        ice::Credentials credentials;
        Fingerprint fingerprint;  // of our certificate, sha-256
        std::size_t max_message_size = 0;
        std::uint64_t session_id = 0;  // JSEP §5.2.1: random, below 2^63
        bool ice_lite = false;         // RFC 8839 §5.3: session-level a=ice-lite
    };
    explicit Signaling(Local local);

    SignalingState state() const { return state_; }

    SessionDescription create_offer() const;
    SessionDescription create_answer() const;

    // What applying a description means for the transports.
    struct Applied {
        bool rollback = false;
        // The ICE role the description implies (offerer controlling, answerer controlled), for
        // the agent to be created with if there is none yet.
        std::optional<bool> ice_controlling;
        // Known once an answer is applied (RFC 8842 §5): whether we send the ClientHello.
        std::optional<bool> dtls_client;
    };
    // nullopt: the answer when a remote offer is pending, else an offer (W3C implicit SLD).
    Applied set_local_description(std::optional<SessionDescription> description);
    // The description is parsed once and checked whole before anything changes.
    Applied set_remote_description(const SessionDescription& description);
    // The end of the session: every later call throws InvalidStateError.
    void close() { state_ = SignalingState::closed; }

    std::optional<SessionDescription> local_description() const;
    const std::optional<SessionDescription>& remote_description() const { return remote_; }
    // What the current remote description says; null before one was applied.
    const sdp::RemoteDataParameters* remote() const {
        return remote_params_ ? &*remote_params_ : nullptr;
    }

    // Local candidates as gathered, for the descriptions written from now on.
    void add_local_candidate(const ice::Candidate& candidate);
    void end_of_local_candidates() { local_end_of_candidates_ = true; }

  private:
    std::string describe_local(SdpType type) const;
    void require_open(const char* what) const;

    Local local_;
    std::uint64_t session_version_ = 1;
    SignalingState state_ = SignalingState::stable;
    std::optional<SdpType> local_type_;  // what local_description() writes
    std::vector<ice::Candidate> local_candidates_;
    bool local_end_of_candidates_ = false;
    std::optional<SessionDescription> remote_;
    std::optional<sdp::RemoteDataParameters> remote_params_;
    std::optional<sdp::SessionDescription> remote_offer_;  // what create_answer answers
};

}  // namespace floe::session
