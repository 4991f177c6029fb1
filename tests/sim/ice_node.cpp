#include "sim/ice_node.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/log.hpp"

namespace floe::sim {

IceNode::IceNode(std::string name, ice::AgentConfig config, std::uint64_t seed)
    : name_(std::move(name)),
      random_(seed),
      lite_(config.lite),
      agent_(std::move(config), random_) {}

void IceNode::pair_up(Instant now, IceNode& a, IceNode& b, Duration signalling_delay) {
    a.peer_ = &b;
    b.peer_ = &a;
    a.signalling_delay_ = b.signalling_delay_ = signalling_delay;
    a.send_signal(now, a.agent_.local_credentials());
    b.send_signal(now, b.agent_.local_credentials());
}

void IceNode::add_socket(Instant now, SocketAddress address) {
    sockets_.push_back(address);
    agent_.add_local_socket(now, static_cast<ice::SocketId>(sockets_.size() - 1), address);
    pump(now);
}

void IceNode::end_of_sockets(Instant now) {
    agent_.end_of_local_sockets(now);
    pump(now);
}

void IceNode::restart(Instant now) {
    agent_.restart(now);
    // The new credentials go first, so the peer restarts before our candidates reach it.
    send_signal(now, Restart{agent_.local_credentials()});
    pump(now);
}

void IceNode::close() {
    agent_.close();
    agent_timeout_.reset();
}

std::optional<Instant> IceNode::reached(ice::IceState state, Instant since) const {
    for (const auto& [at, s] : states)
        if (s == state && at >= since) return at;
    return std::nullopt;
}

bool IceNode::is_connected() const {
    const auto s = agent_.state();
    return s == ice::IceState::connected || s == ice::IceState::completed;
}

void IceNode::send_signal(Instant now, Message message) {
    if (peer_ == nullptr) throw std::logic_error("IceNode: pair_up() first");
    peer_->inbox_.push_back(Signal{now + signalling_delay_, std::move(message)});
}

void IceNode::receive_signal(Instant now, Message message) {
    if (auto* credentials = std::get_if<ice::Credentials>(&message)) {
        // The credentials stand for the remote description, which says a=ice-lite if the peer
        // is lite: a full agent then controls (RFC 8445 §6.1.1), as session::Session does.
        if (peer_->lite_) agent_.set_remote_lite();
        agent_.set_remote_credentials(*credentials);
    } else if (auto* candidate = std::get_if<ice::Candidate>(&message)) {
        remote_candidates.push_back(*candidate);
        agent_.add_remote_candidate(now, *candidate);
    } else if (std::holds_alternative<EndOfCandidates>(message)) {
        agent_.end_of_remote_candidates(now);
    } else if (auto* restart = std::get_if<Restart>(&message)) {
        // The answerer's side of an ICE restart: new credentials of its own, sent back first.
        agent_.restart(now);
        agent_.set_remote_credentials(restart->credentials);
        send_signal(now, agent_.local_credentials());
    }
    pump(now);
}

void IceNode::pump(Instant now) {
    agent_timeout_.reset();
    while (auto event = agent_.poll_event()) {
        if (auto* c = std::get_if<ice::event::LocalCandidate>(&*event)) {
            FLOE_LOG(LogLevel::debug, "sim")
                << virtual_seconds(now) << " " << name_ << " gathered " << c->candidate.to_string();
            local_candidates.push_back(*c);
            if (signal_candidates) send_signal(now, c->candidate);
        } else if (std::holds_alternative<ice::event::GatheringComplete>(*event)) {
            send_signal(now, EndOfCandidates{});
        } else if (auto* s = std::get_if<ice::event::StateChanged>(&*event)) {
            FLOE_LOG(LogLevel::debug, "sim")
                << virtual_seconds(now) << " " << name_ << " " << ice::to_string(s->state);
            states.emplace_back(now, s->state);
        } else if (auto* p = std::get_if<ice::event::SelectedPairChanged>(&*event)) {
            FLOE_LOG(LogLevel::debug, "sim")
                << virtual_seconds(now) << " " << name_ << " selected " << p->pair.local.to_string()
                << " -> " << p->pair.remote_address.to_string();
            selected = p->pair;
        } else if (auto* r = std::get_if<ice::event::RoleChanged>(&*event)) {
            role_changes.push_back(r->role);
        }
    }
}

void IceNode::handle_input(Instant now, SocketAddress local, SocketAddress from, ByteSpan data) {
    const auto socket = std::ranges::find(sockets_, local);
    if (socket == sockets_.end()) return;  // no socket bound there: the host drops it
    agent_.handle_input(now, static_cast<ice::SocketId>(socket - sockets_.begin()), from, data);
    pump(now);
}

void IceNode::handle_timeout(Instant now) {
    while (!inbox_.empty() && inbox_.front().at <= now) {
        auto message = std::move(inbox_.front().message);
        inbox_.pop_front();
        receive_signal(now, std::move(message));
    }
    if (const auto t = agent_.poll_timeout(); t && *t <= now) agent_.handle_timeout(now);
    pump(now);
}

std::optional<Instant> IceNode::poll_timeout() const {
    if (!agent_timeout_) agent_timeout_ = agent_.poll_timeout();
    auto t = *agent_timeout_;
    if (!inbox_.empty() && (!t || inbox_.front().at < *t)) t = inbox_.front().at;
    return t;
}

std::optional<Datagram> IceNode::poll_transmit() {
    auto t = agent_.poll_transmit();
    if (!t) return std::nullopt;
    if (t->socket >= sockets_.size()) throw std::logic_error("IceNode: transmit on no socket");
    return Datagram{sockets_[t->socket], t->destination, std::move(t->data)};
}

}  // namespace floe::sim
