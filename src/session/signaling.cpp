#include "session/signaling.hpp"

#include <floe/error.hpp>

namespace floe::session {

namespace {

std::string in_state(SignalingState state) {
    return " in signaling state " + std::string(to_string(state));
}

}  // namespace

Signaling::Signaling(Local local) : local_(std::move(local)) {}

void Signaling::require_open(const char* what) const {
    if (state_ == SignalingState::closed)
        throw InvalidStateError(std::string(what) + ": the PeerConnection is closed");
}

std::string Signaling::describe_local(SdpType type) const {
    sdp::LocalParameters p;
    p.ice_ufrag = local_.credentials.ufrag;
    p.ice_pwd = local_.credentials.pwd;
    p.fingerprint = local_.fingerprint;
    p.setup = type == SdpType::offer ? sdp::Setup::actpass : sdp::Setup::active;
    p.max_message_size = local_.max_message_size;
    p.candidates = local_candidates_;
    p.end_of_candidates = local_end_of_candidates_;
    p.session_id = local_.session_id;
    p.session_version = session_version_;
    p.ice_lite = local_.ice_lite;
    auto d = type == SdpType::offer ? sdp::create_offer(p) : sdp::create_answer(*remote_offer_, p);
    if (!d) throw sdp::SdpError(d.error());
    return sdp::write(*d);
}

// JSEP §5.2: an offer in stable (or again while our offer is pending).
SessionDescription Signaling::create_offer() const {
    require_open("create_offer");
    if (state_ != SignalingState::stable && state_ != SignalingState::have_local_offer)
        throw InvalidStateError("create_offer" + in_state(state_));
    return {SdpType::offer, describe_local(SdpType::offer)};
}

// JSEP §5.3: an answer only to a remote offer.
SessionDescription Signaling::create_answer() const {
    require_open("create_answer");
    if (state_ != SignalingState::have_remote_offer &&
        state_ != SignalingState::have_local_pranswer)
        throw InvalidStateError("create_answer needs a remote offer (signaling state " +
                                std::string(to_string(state_)) + ")");
    return {SdpType::answer, describe_local(SdpType::answer)};
}

// The transitions of W3C webrtc §4.3.1 (setLocalDescription), RFC 8829 §3.2.
Signaling::Applied Signaling::set_local_description(std::optional<SessionDescription> description) {
    require_open("set_local_description");
    if (!description) {
        description = state_ == SignalingState::have_remote_offer ||
                              state_ == SignalingState::have_local_pranswer
                          ? create_answer()
                          : create_offer();
    }
    Applied applied;
    switch (description->type) {
        case SdpType::offer:
            if (state_ != SignalingState::stable && state_ != SignalingState::have_local_offer)
                throw InvalidStateError("set_local_description(offer)" + in_state(state_));
            applied.ice_controlling = true;  // RFC 8445 §6.1.1: the offerer controls
            local_type_ = SdpType::offer;
            state_ = SignalingState::have_local_offer;
            break;
        case SdpType::answer:
        case SdpType::pranswer:
            if (state_ != SignalingState::have_remote_offer &&
                state_ != SignalingState::have_local_pranswer)
                throw InvalidStateError("set_local_description(answer)" + in_state(state_));
            local_type_ = description->type;
            if (description->type == SdpType::answer) {
                // Our answer's a=setup follows from the offer's (RFC 8842 §5.1).
                const auto remote_setup = remote_params_->setup;
                const auto local_setup =
                    sdp::answer_setup(remote_setup).value_or(sdp::Setup::active);
                applied.dtls_client = sdp::is_dtls_client(local_setup, remote_setup);
                state_ = SignalingState::stable;
            } else {
                state_ = SignalingState::have_local_pranswer;
            }
            break;
        case SdpType::rollback:
            if (state_ == SignalingState::have_local_offer) {
                local_type_.reset();
                state_ = SignalingState::stable;
            } else if (state_ != SignalingState::stable) {
                throw InvalidStateError("rollback of a local description" + in_state(state_));
            }
            applied.rollback = true;
            break;
    }
    return applied;
}

// The transitions of W3C webrtc §4.3.1 (setRemoteDescription), RFC 8829 §3.2.
Signaling::Applied Signaling::set_remote_description(const SessionDescription& description) {
    require_open("set_remote_description");
    Applied applied;
    if (description.type == SdpType::rollback) {
        if (state_ == SignalingState::have_remote_offer) {
            remote_.reset();
            remote_params_.reset();
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
    if (remote_params_ && state_ == SignalingState::stable)
        throw InvalidStateError("renegotiation is not supported yet");
    // Parsed once, and checked whole before any state changes (sdp::SdpError names the line).
    auto read = sdp::read_remote(description.sdp, description.type);
    if (!read) throw sdp::SdpError(read.error());
    // RFC 8445 §6.1.1: one lite and one full agent is fine (the full one controls); two lite
    // agents would both wait for checks that never come.
    if (read->ice_lite && local_.ice_lite)
        throw OperationError(
            "set_remote_description: both sides are ICE-lite (a=ice-lite); one must be a full "
            "ICE agent (RFC 8445 §6.1.1)");

    // RFC 8445 §6.1.1: the offerer controls, unless it is lite (then the full answerer does).
    applied.ice_controlling = !offer || read->ice_lite;
    remote_ = description;
    if (offer) {
        remote_offer_ = std::move(read->description);
        state_ = SignalingState::have_remote_offer;
    } else {
        // Our offer said actpass: the answerer's choice decides (RFC 8842 §5.2).
        applied.dtls_client = sdp::is_dtls_client(sdp::Setup::actpass, read->setup);
        state_ = description.type == SdpType::answer ? SignalingState::stable
                                                     : SignalingState::have_remote_pranswer;
    }
    remote_params_ = std::move(static_cast<sdp::RemoteDataParameters&>(*read));
    return applied;
}

std::optional<SessionDescription> Signaling::local_description() const {
    if (!local_type_) return std::nullopt;
    return SessionDescription{*local_type_, describe_local(*local_type_)};
}

void Signaling::add_local_candidate(const ice::Candidate& candidate) {
    local_candidates_.push_back(candidate);
}

}  // namespace floe::session
