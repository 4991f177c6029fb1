// The JSEP signaling state machine (RFC 8829 §3.2, W3C RTCSignalingState) for one data section:
// which descriptions were applied in which order, the descriptions themselves, and what the
// local ones say. Pure state: no ICE, DTLS or SCTP here; the session applies what a transition
// tells it (the ICE role, the DTLS role, the remote parameters).
//
// Every method that can fail throws (InvalidStateError for a call the state forbids, sdp::SdpError
// for a description that cannot be applied, OperationError for a re-offer that would change what
// floe keeps for the whole session) and then leaves everything as it was.
//
// Subsequent offers and answers (JSEP §5.2.2, §5.3.2) keep the data section's mid, the DTLS
// fingerprint and role, and the SCTP port; only the ICE credentials may change, which is an ICE
// restart (RFC 8839 §4.4.1.1.1): restart_ice() makes the next offer carry new ones, and a remote
// offer with new ones is answered with new ones too.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <floe/peer_connection.hpp>
#include <floe/sdp/jsep.hpp>

#include "common/random.hpp"
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
    // `random` draws the new credentials of an ICE restart; it must outlive the state machine.
    Signaling(Local local, Random& random);

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
        // Set by a local description that brings new ICE credentials (an ICE restart, RFC 8445
        // §9): the agent restarts with them.
        std::optional<ice::Credentials> local_restart;
        // Set by a remote description whose ice-ufrag/ice-pwd differ from the previous remote
        // description's (RFC 8839 §4.4.1.1.1): the peer restarted ICE.
        bool remote_restart = false;
    };
    // nullopt: the answer when a remote offer is pending, else an offer (W3C implicit SLD).
    Applied set_local_description(std::optional<SessionDescription> description);
    // The description is parsed once and checked whole before anything changes.
    Applied set_remote_description(const SessionDescription& description);
    // The end of the session: every later call throws InvalidStateError.
    void close() { state_ = SignalingState::closed; }

    // W3C restartIce(): the next offer created carries new ICE credentials (JSEP §5.2.1); a
    // restart asked for while an offer is pending applies to the next one. Nothing when closed.
    void restart_ice();
    // restart_ice() was called and no offer with the new credentials was applied yet.
    bool restart_pending() const { return next_credentials_ && !drawn_for_answer_; }
    // The credentials the applied local descriptions carry.
    const ice::Credentials& local_credentials() const { return local_.credentials; }

    std::optional<SessionDescription> local_description() const;
    const std::optional<SessionDescription>& remote_description() const { return remote_; }
    // What the current remote description says; null before one was applied.
    const sdp::RemoteDataParameters* remote() const { return remote_params_.get(); }

    // Local candidates as gathered, for the descriptions written from now on.
    void add_local_candidate(const ice::Candidate& candidate);
    void end_of_local_candidates() { local_end_of_candidates_ = true; }

  private:
    // What was agreed at the last return to stable, restored by a rollback.
    struct Agreed {
        std::optional<SdpType> local_type;
        std::optional<SessionDescription> remote;
        // Shared with the current ones, which they equal until the next offer: one copy per
        // PeerConnection, not two (a server holds thousands).
        std::shared_ptr<const sdp::RemoteDataParameters> remote_params;
        std::shared_ptr<const sdp::SessionDescription> remote_offer;
    };

    // `applied`: the local description as applied (local_description()), not a new one.
    std::string describe_local(SdpType type, const ice::Credentials& credentials,
                               std::uint64_t version, bool applied = false) const;
    // The credentials a new offer or answer carries.
    const ice::Credentials& credentials_for(SdpType type) const;
    sdp::Setup answer_preference() const;
    void require_open(const char* what) const;
    void check_subsequent(const sdp::RemoteDescription& read, bool offer) const;
    void agree();

    Local local_;
    Random& random_;
    std::uint64_t session_version_ = 0;  // local descriptions applied so far (JSEP §5.2.2)
    SignalingState state_ = SignalingState::stable;
    std::optional<SdpType> local_type_;  // what local_description() writes
    std::vector<ice::Candidate> local_candidates_;
    bool local_end_of_candidates_ = false;
    std::optional<SessionDescription> remote_;
    std::shared_ptr<const sdp::RemoteDataParameters> remote_params_;
    std::shared_ptr<const sdp::SessionDescription> remote_offer_;  // what create_answer answers
    // restart_ice(): the next offer's credentials. Also those of the answer to a remote restart.
    std::optional<ice::Credentials> next_credentials_;
    bool remote_offer_restarts_ = false;  // the pending remote offer has new credentials
    bool drawn_for_answer_ = false;       // next_credentials_ only answer that offer
    // Fixed by the first completed exchange, kept by every later one.
    std::optional<bool> dtls_client_;
    std::string mid_;
    Agreed agreed_;
};

}  // namespace floe::session
