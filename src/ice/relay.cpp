// Relay candidates (RFC 8445 §5.1.1.2): the caller (the session) runs the TURN allocation
// (RFC 8656) and hands the agent its relayed address as a virtual socket; from then on the
// relay candidate is a base like a host candidate, paired and checked as any other, its
// transmits sent through the relay by the caller.
#include <algorithm>

#include "common/log.hpp"
#include "ice/agent.hpp"

namespace floe::ice {

namespace {

// Relays are ranked among themselves as host sockets are (the first allocation of a family
// first), below the host range so that a relay never outranks a host of equal type preference.
std::uint16_t relay_local_preference(AddressFamily family, std::size_t index_in_family) {
    const std::size_t step = std::min<std::size_t>(index_in_family, 250);
    return static_cast<std::uint16_t>(65535 - 256 * step -
                                      (family == AddressFamily::ipv4 ? 128 : 0));
}

}  // namespace

void Agent::add_relay_socket(Instant now, SocketId socket, SocketAddress relayed,
                             SocketAddress mapped, std::string server_url) {
    if (closed_ || lite() || find_socket(socket) || relayed.port() == 0 ||
        relayed.ip().is_unspecified())
        return;
    const std::size_t same_family =
        static_cast<std::size_t>(std::count_if(sockets_.begin(), sockets_.end(), [&](auto& s) {
            return s.relay && s.bound.family() == relayed.family();
        }));
    SocketEntry entry;
    entry.id = socket;
    entry.bound = relayed;
    entry.local_preference = relay_local_preference(relayed.family(), same_family);
    entry.relay = true;
    entry.relay_url = std::move(server_url);
    if (gathering_ == GatheringState::new_) gathering_ = GatheringState::gathering;
    // RFC 8445 §5.1.1.3: same type, base and server → same foundation. The relayed address
    // stands for both the base and the server (each allocation has its own). §5.1.2.2: type
    // preference 0 for relayed candidates (compute_priority).
    const Candidate c = make_candidate(
        CandidateType::relay, relayed, foundation_for("relay", relayed.ip(), std::nullopt),
        compute_priority(CandidateType::relay, entry.local_preference, component_id), mapped);
    entry.host = locals_.size();
    locals_.push_back({c, socket, relayed, entry.local_preference});
    FLOE_LOG(LogLevel::debug, "ice") << "relay candidate " << c.to_string() << " via "
                                     << entry.relay_url << " (socket " << socket << ")";
    emit(event::LocalCandidate{c, socket});
    sockets_.push_back(std::move(entry));
    const std::size_t index = locals_.size() - 1;
    for (std::size_t r = 0; r < remotes_.size(); ++r)
        form_pair(index, r);
    drive(now);
}

void Agent::relay_failed(Instant now, SocketId socket) {
    if (closed_) return;
    SocketEntry* entry = find_socket(socket);
    if (!entry || !entry->relay || entry->failed) return;
    entry->failed = true;
    FLOE_LOG(LogLevel::info, "ice") << "relay " << entry->relay_url << " (socket " << socket
                                    << ") lost: its candidate pairs fail";
    for (auto& p : checklist_.pairs()) {
        if (p.socket != socket) continue;
        cancel_checks(p.id);
        p.state = PairState::failed;
    }
    std::erase_if(validated_, [socket](const ValidatedAddress& v) { return v.socket == socket; });
    if (selected_ && selected_->pair.socket == socket) {
        // Consent cannot come back through a relay that is gone (RFC 7675 §5.1 would reach the
        // same verdict 30 s later): failed now, as a lost consent would leave it.
        fail("the relay of the selected pair was lost");
    }
    drive(now);
}

}  // namespace floe::ice
