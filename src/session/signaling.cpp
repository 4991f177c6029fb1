#include "session/signaling.hpp"

#include <floe/error.hpp>

namespace floe::session {

namespace {

std::string in_state(SignalingState state) {
    return " in signaling state " + std::string(to_string(state));
}

}  // namespace

Signaling::Signaling(Local local, Random& random) : local_(std::move(local)), random_(random) {}

void Signaling::require_open(const char* what) const {
    if (state_ == SignalingState::closed)
        throw InvalidStateError(std::string(what) + ": the PeerConnection is closed");
}

// W3C webrtc §4.4.1.6 restartIce(). Before the first local description there is nothing to
// restart: the first offer or answer has fresh credentials anyway.
void Signaling::restart_ice() {
    if (state_ == SignalingState::closed || session_version_ == 0) return;
    drawn_for_answer_ = false;  // wanted for the next offer now, whatever happens to the answer
    if (!next_credentials_) next_credentials_ = ice::random_credentials(random_);
}

const ice::Credentials& Signaling::credentials_for(SdpType type) const {
    if (type == SdpType::offer) return next_credentials_ ? *next_credentials_ : local_.credentials;
    // RFC 8839 §4.4.1.1.1: an answer to an offer that restarts ICE restarts it too.
    if (remote_offer_restarts_ && next_credentials_) return *next_credentials_;
    return local_.credentials;
}

// JSEP §5.3.2: once DTLS runs, an answer keeps this side's role (active as the client, passive as
// the server) whatever a re-offer's actpass would allow; before that, active (RFC 8842 §5.3).
sdp::Setup Signaling::answer_preference() const {
    if (!dtls_client_) return sdp::Setup::active;
    return *dtls_client_ ? sdp::Setup::active : sdp::Setup::passive;
}

std::string Signaling::describe_local(SdpType type, const ice::Credentials& credentials,
                                      std::uint64_t version, bool applied) const {
    sdp::LocalParameters p;
    p.ice_ufrag = credentials.ufrag;
    p.ice_pwd = credentials.pwd;
    p.fingerprint = local_.fingerprint;
    p.setup = type == SdpType::offer ? sdp::Setup::actpass : answer_preference();
    // JSEP §5.2.2: a subsequent offer keeps the data section's mid (the offer's, when the peer
    // offered first).
    if (!mid_.empty()) p.mid = mid_;
    p.max_message_size = local_.max_message_size;
    // The candidates gathered belong to the current credentials; new ones gather from scratch.
    if (credentials == local_.credentials) {
        p.candidates = local_candidates_;
        p.end_of_candidates = local_end_of_candidates_;
    }
    p.session_id = local_.session_id;
    p.session_version = version;
    p.ice_lite = local_.ice_lite;
    // The applied answer answers the agreed offer, also while a newer remote offer is pending.
    const bool agreed = applied && state_ == SignalingState::have_remote_offer;
    // (An answer is only described with a remote offer at hand: create_answer() checks the state.)
    const sdp::SessionDescription* answered =
        agreed && agreed_.remote_offer ? agreed_.remote_offer.get() : remote_offer_.get();
    auto d = type == SdpType::offer ? sdp::create_offer(p) : sdp::create_answer(*answered, p);
    if (!d) throw sdp::SdpError(d.error());
    return sdp::write(*d);
}

// JSEP §5.2: an offer in stable (or again while our offer is pending). Its o= version is the one
// the local description will have once it is applied (JSEP §5.2.2: one more than the last).
SessionDescription Signaling::create_offer() const {
    require_open("create_offer");
    if (state_ != SignalingState::stable && state_ != SignalingState::have_local_offer)
        throw InvalidStateError("create_offer" + in_state(state_));
    return {SdpType::offer,
            describe_local(SdpType::offer, credentials_for(SdpType::offer), session_version_ + 1)};
}

// JSEP §5.3: an answer only to a remote offer.
SessionDescription Signaling::create_answer() const {
    require_open("create_answer");
    if (state_ != SignalingState::have_remote_offer &&
        state_ != SignalingState::have_local_pranswer)
        throw InvalidStateError("create_answer needs a remote offer (signaling state " +
                                std::string(to_string(state_)) + ")");
    return {SdpType::answer, describe_local(SdpType::answer, credentials_for(SdpType::answer),
                                            session_version_ + 1)};
}

// Back to stable: what both sides now agree on, for later descriptions to keep and for a rollback
// to return to.
void Signaling::agree() {
    state_ = SignalingState::stable;
    if (remote_params_) mid_ = remote_params_->mid;
    agreed_ = Agreed{local_type_, remote_, remote_params_, remote_offer_};
}

// The transitions of W3C webrtc §4.3.1 (setLocalDescription), RFC 8829 §3.2.
Signaling::Applied Signaling::set_local_description(std::optional<SessionDescription> description) {
    require_open("set_local_description");
    const bool given = description.has_value();
    if (!description) {
        description = state_ == SignalingState::have_remote_offer ||
                              state_ == SignalingState::have_local_pranswer
                          ? create_answer()
                          : create_offer();
    }
    Applied applied;
    switch (description->type) {
        case SdpType::offer: {
            if (state_ != SignalingState::stable && state_ != SignalingState::have_local_offer)
                throw InvalidStateError("set_local_description(offer)" + in_state(state_));
            // W3C webrtc §4.4.1.6: only an offer created after restart_ice() carries the new
            // credentials; one created before it is applied as it is, and the restart waits.
            bool restart = next_credentials_.has_value();
            if (restart && given) {
                auto read = sdp::read_remote(description->sdp, sdp::SdpType::offer);
                if (!read) throw sdp::SdpError(read.error());
                restart = read->ice_ufrag == next_credentials_->ufrag;
            }
            if (restart) {
                local_.credentials = *next_credentials_;
                next_credentials_.reset();
                local_candidates_.clear();
                local_end_of_candidates_ = false;
                applied.local_restart = local_.credentials;
            }
            applied.ice_controlling = true;  // RFC 8445 §6.1.1: the offerer controls
            local_type_ = SdpType::offer;
            state_ = SignalingState::have_local_offer;
            ++session_version_;
            break;
        }
        case SdpType::answer:
        case SdpType::pranswer:
            if (state_ != SignalingState::have_remote_offer &&
                state_ != SignalingState::have_local_pranswer)
                throw InvalidStateError("set_local_description(answer)" + in_state(state_));
            if (remote_offer_restarts_) {
                // RFC 8839 §4.4.1.1.1: the answer to a restart has new credentials too.
                local_.credentials = *next_credentials_;
                next_credentials_.reset();
                drawn_for_answer_ = false;
                remote_offer_restarts_ = false;
                local_candidates_.clear();
                local_end_of_candidates_ = false;
                applied.local_restart = local_.credentials;
            }
            local_type_ = description->type;
            ++session_version_;
            if (description->type == SdpType::answer) {
                // Our answer's a=setup follows from the offer's (RFC 8842 §5.1).
                const auto remote_setup = remote_params_->setup;
                const auto local_setup = sdp::answer_setup(remote_setup, answer_preference())
                                             .value_or(sdp::Setup::active);
                applied.dtls_client = sdp::is_dtls_client(local_setup, remote_setup);
                dtls_client_ = applied.dtls_client;
                agree();
            } else {
                state_ = SignalingState::have_local_pranswer;
            }
            break;
        case SdpType::rollback:
            // The local description agreed before the offer comes back. New ICE credentials it
            // brought stay: the agent already restarted with them (docs/peer_connection.md).
            if (state_ == SignalingState::have_local_offer) {
                local_type_ = agreed_.local_type;
                state_ = SignalingState::stable;
            } else if (state_ != SignalingState::stable) {
                throw InvalidStateError("rollback of a local description" + in_state(state_));
            }
            applied.rollback = true;
            break;
    }
    return applied;
}

// What a subsequent description must keep (JSEP §5.2.2, §5.3.2): floe runs one DTLS association
// and one SCTP association for the whole session, so a new fingerprint, DTLS role, mid or SCTP
// port would need transports floe does not rebuild. Refused whole, before anything changes.
void Signaling::check_subsequent(const sdp::RemoteDescription& read, bool offer) const {
    const char* what = offer ? "set_remote_description(offer)" : "set_remote_description(answer)";
    const sdp::RemoteDataParameters& agreed = *agreed_.remote_params;
    if (read.mid != mid_)
        throw OperationError(std::string(what) + ": the data section's mid changed from '" + mid_ +
                             "' to '" + read.mid + "' (JSEP §5.2.2 keeps it)");
    const auto names = [](const std::vector<sdp::Fingerprint>& list) {
        std::vector<std::string> out;
        for (const auto& f : list)
            out.push_back(f.to_string());
        return out;
    };
    if (names(read.fingerprints) != names(agreed.fingerprints))
        throw OperationError(std::string(what) +
                             ": the DTLS fingerprint changed; a new DTLS association needs a new "
                             "PeerConnection (RFC 8842 §5)");
    if (read.sctp_port != agreed.sctp_port)
        throw OperationError(std::string(what) + ": the SCTP port changed from " +
                             std::to_string(agreed.sctp_port) + " to " +
                             std::to_string(read.sctp_port));
    // The DTLS role stays (RFC 8842 §5): an offer may say actpass or our peer's current role, an
    // answer to our actpass must take its current role again.
    bool client = *dtls_client_;
    if (offer) {
        if (const auto local = sdp::answer_setup(read.setup, answer_preference()))
            client = sdp::is_dtls_client(*local, read.setup);
    } else {
        client = sdp::is_dtls_client(sdp::Setup::actpass, read.setup);
    }
    if (client != *dtls_client_)
        throw OperationError(
            std::string(what) + ": a=setup:" + std::string(sdp::to_string(read.setup)) +
            " would change the DTLS role of the running association (RFC 8842 §5)");
}

// The transitions of W3C webrtc §4.3.1 (setRemoteDescription), RFC 8829 §3.2.
Signaling::Applied Signaling::set_remote_description(const SessionDescription& description) {
    require_open("set_remote_description");
    Applied applied;
    if (description.type == SdpType::rollback) {
        if (state_ == SignalingState::have_remote_offer) {
            remote_ = agreed_.remote;
            remote_params_ = agreed_.remote_params;
            remote_offer_ = agreed_.remote_offer;
            remote_offer_restarts_ = false;
            if (drawn_for_answer_) next_credentials_.reset();
            drawn_for_answer_ = false;
            state_ = SignalingState::stable;
        } else if (state_ != SignalingState::stable) {
            throw InvalidStateError("rollback of a remote description" + in_state(state_));
        }
        applied.rollback = true;
        return applied;
    }
    const bool offer = description.type == SdpType::offer;
    if (offer && state_ != SignalingState::stable && state_ != SignalingState::have_remote_offer)
        throw InvalidStateError("set_remote_description(offer)" + in_state(state_));
    if (!offer && state_ != SignalingState::have_local_offer &&
        state_ != SignalingState::have_remote_pranswer)
        throw InvalidStateError("set_remote_description(answer)" + in_state(state_));
    // Parsed once, and checked whole before any state changes (sdp::SdpError names the line).
    auto read = sdp::read_remote(description.sdp, description.type);
    if (!read) throw sdp::SdpError(read.error());
    // RFC 8445 §6.1.1: one lite and one full agent is fine (the full one controls); two lite
    // agents would both wait for checks that never come.
    if (read->ice_lite && local_.ice_lite)
        throw OperationError(
            "set_remote_description: both sides are ICE-lite (a=ice-lite); one must be a full "
            "ICE agent (RFC 8445 §6.1.1)");
    if (dtls_client_) check_subsequent(*read, offer);

    // RFC 8839 §4.4.1.1.1: new ice-ufrag or ice-pwd against the agreed description: a restart.
    if (const auto& agreed = agreed_.remote_params)
        applied.remote_restart =
            read->ice_ufrag != agreed->ice_ufrag || read->ice_pwd != agreed->ice_pwd;
    // RFC 8445 §6.1.1: the offerer controls, unless it is lite (then the full answerer does).
    applied.ice_controlling = !offer || read->ice_lite;
    remote_ = description;
    if (offer) {
        remote_offer_ =
            std::make_shared<const sdp::SessionDescription>(std::move(read->description));
        remote_offer_restarts_ = applied.remote_restart;
        // The answer's new credentials: those restart_ice() drew, if it was called.
        if (applied.remote_restart && !next_credentials_) {
            next_credentials_ = ice::random_credentials(random_);
            drawn_for_answer_ = true;
        }
        state_ = SignalingState::have_remote_offer;
    } else {
        // Our offer said actpass: the answerer's choice decides (RFC 8842 §5.2).
        applied.dtls_client = sdp::is_dtls_client(sdp::Setup::actpass, read->setup);
        state_ = description.type == SdpType::answer ? SignalingState::stable
                                                     : SignalingState::have_remote_pranswer;
    }
    remote_params_ = std::make_shared<const sdp::RemoteDataParameters>(
        std::move(static_cast<sdp::RemoteDataParameters&>(*read)));
    if (description.type == SdpType::answer) {
        dtls_client_ = applied.dtls_client;
        agree();
    }
    return applied;
}

std::optional<SessionDescription> Signaling::local_description() const {
    if (!local_type_) return std::nullopt;
    return SessionDescription{
        *local_type_, describe_local(*local_type_, local_.credentials, session_version_, true)};
}

void Signaling::add_local_candidate(const ice::Candidate& candidate) {
    local_candidates_.push_back(candidate);
}

}  // namespace floe::session
