// to_string for the public enums.
#include <floe/peer_connection.hpp>

namespace floe {

std::string_view to_string(IceGatheringState state) {
    switch (state) {
        case IceGatheringState::new_:
            return "new";
        case IceGatheringState::gathering:
            return "gathering";
        case IceGatheringState::complete:
            return "complete";
    }
    return "?";
}

std::string_view to_string(IceConnectionState state) {
    switch (state) {
        case IceConnectionState::new_:
            return "new";
        case IceConnectionState::checking:
            return "checking";
        case IceConnectionState::connected:
            return "connected";
        case IceConnectionState::completed:
            return "completed";
        case IceConnectionState::disconnected:
            return "disconnected";
        case IceConnectionState::failed:
            return "failed";
        case IceConnectionState::closed:
            return "closed";
    }
    return "?";
}

std::string_view to_string(PeerConnectionState state) {
    switch (state) {
        case PeerConnectionState::new_:
            return "new";
        case PeerConnectionState::connecting:
            return "connecting";
        case PeerConnectionState::connected:
            return "connected";
        case PeerConnectionState::disconnected:
            return "disconnected";
        case PeerConnectionState::failed:
            return "failed";
        case PeerConnectionState::closed:
            return "closed";
    }
    return "?";
}

std::string_view to_string(SignalingState state) {
    switch (state) {
        case SignalingState::stable:
            return "stable";
        case SignalingState::have_local_offer:
            return "have-local-offer";
        case SignalingState::have_remote_offer:
            return "have-remote-offer";
        case SignalingState::have_local_pranswer:
            return "have-local-pranswer";
        case SignalingState::have_remote_pranswer:
            return "have-remote-pranswer";
        case SignalingState::closed:
            return "closed";
    }
    return "?";
}

}  // namespace floe
