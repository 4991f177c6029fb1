#include "ice/agent.hpp"

namespace floe::ice {

std::string_view to_string(Role role) {
    return role == Role::controlling ? "controlling" : "controlled";
}

std::string_view to_string(IceState state) {
    switch (state) {
        case IceState::new_:
            return "new";
        case IceState::checking:
            return "checking";
        case IceState::connected:
            return "connected";
        case IceState::completed:
            return "completed";
        case IceState::disconnected:
            return "disconnected";
        case IceState::failed:
            return "failed";
        case IceState::closed:
            return "closed";
    }
    return "?";
}

std::string_view to_string(GatheringState state) {
    switch (state) {
        case GatheringState::new_:
            return "new";
        case GatheringState::gathering:
            return "gathering";
        case GatheringState::complete:
            return "complete";
    }
    return "?";
}

}  // namespace floe::ice
