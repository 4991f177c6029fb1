#include "sim/peer_node.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/log.hpp"

namespace floe::sim {

PeerNode::PeerNode(std::string name, session::Config config, std::uint64_t seed)
    : name_(std::move(name)), random_(seed), core_(std::move(config), random_) {}

void PeerNode::pair_up(PeerNode& a, PeerNode& b, Duration signalling_delay) {
    a.peer_ = &b;
    b.peer_ = &a;
    a.signalling_delay_ = b.signalling_delay_ = signalling_delay;
}

void PeerNode::enter(Instant now) {
    core_timeout_.reset();
    if (on_clock) on_clock(now);
}

void PeerNode::add_socket(Instant now, SocketAddress address) {
    enter(now);
    sockets_.push_back(address);
    core_.add_local_socket(now, static_cast<ice::SocketId>(sockets_.size()), address);
    drain(now);
}

void PeerNode::end_of_sockets(Instant now) {
    enter(now);
    core_.end_of_local_sockets(now);
    drain(now);
}

void PeerNode::offer(Instant now) {
    enter(now);
    auto offer = core_.create_offer();
    core_.set_local_description(now, offer);
    send_signal(now, offer);
    drain(now);
}

void PeerNode::restart_ice(Instant now) {
    enter(now);
    core_.restart_ice();
    offer(now);
}

session::ChannelHandle PeerNode::open_channel(Instant now, std::string label,
                                              DataChannelInit init) {
    enter(now);
    const auto handle = core_.create_data_channel(now, label, std::move(init));
    channels[handle].label = std::move(label);
    drain(now);
    return handle;
}

void PeerNode::send(Instant now, session::ChannelHandle channel, ByteSpan data, bool binary) {
    enter(now);
    core_.send(now, channel, binary, data);
    drain(now);
}

void PeerNode::close(Instant now, Duration linger) {
    enter(now);
    closed_ = true;
    core_.close(now, linger);
    drain(now);
}

std::optional<Instant> PeerNode::reached(PeerConnectionState state) const {
    for (const auto& [at, s] : connection_states)
        if (s == state) return at;
    return std::nullopt;
}

void PeerNode::send_signal(Instant now, Signal signal) {
    if (peer_ == nullptr) throw std::logic_error("PeerNode: pair_up() first");
    const Instant at = now + signalling_delay_;
    const auto place = std::ranges::upper_bound(peer_->inbox_, at, {}, &Pending::at);
    peer_->inbox_.insert(place, Pending{at, std::move(signal)});
}

void PeerNode::receive_signal(Instant now, Signal signal) {
    // A closed PeerConnection's application drops what signalling still brings.
    if (closed_) return;
    if (auto* description = std::get_if<SessionDescription>(&signal)) {
        core_.set_remote_description(now, *description);
        if (description->type != SdpType::offer) return;
        if (answer_delay <= Duration::zero()) return answer(now);
        const Instant at = now + answer_delay;
        const auto place = std::ranges::upper_bound(inbox_, at, {}, &Pending::at);
        inbox_.insert(place, Pending{at, AnswerNow{}});
    } else if (std::holds_alternative<AnswerNow>(signal)) {
        answer(now);
    } else {
        core_.add_ice_candidate(now, std::get<std::optional<IceCandidate>>(signal));
    }
}

void PeerNode::answer(Instant now) {
    auto answer = core_.create_answer();
    core_.set_local_description(now, answer);
    send_signal(now, answer);
}

void PeerNode::handle_event(Instant now, session::Event& event) {
    namespace ce = session::event;
    if (auto* c = std::get_if<ce::LocalCandidate>(&event)) {
        ++candidates_signalled;
        send_signal(now, c->candidate);  // nullopt: end of candidates
    } else if (auto* s = std::get_if<ce::ConnectionState>(&event)) {
        FLOE_LOG(LogLevel::debug, "sim")
            << virtual_seconds(now) << " " << name_ << " connection " << static_cast<int>(s->state);
        connection_states.emplace_back(now, s->state);
    } else if (auto* i = std::get_if<ce::IceState>(&event)) {
        ice_states.emplace_back(now, i->state);
    } else if (auto* g = std::get_if<ce::GatheringState>(&event)) {
        gathering_states.emplace_back(now, g->state);
    } else if (auto* in = std::get_if<ce::ChannelIncoming>(&event)) {
        auto& record = channels[in->channel];
        record.incoming = true;
        if (const auto info = core_.channel(in->channel)) record.label = info->label;
        incoming.push_back(in->channel);
    } else if (auto* o = std::get_if<ce::ChannelOpen>(&event)) {
        channels[o->channel].opened = true;
    } else if (auto* m = std::get_if<ce::ChannelMessage>(&event)) {
        auto& record = channels[m->channel];
        ++record.messages;
        record.bytes += m->message.size();
        if (on_message)
            on_message(now, m->channel, m->message);
        else
            record.kept.push_back(std::move(m->message));
    } else if (auto* e = std::get_if<ce::ChannelError>(&event)) {
        channels[e->channel].errors.push_back(e->error);
    } else if (auto* cl = std::get_if<ce::ChannelClosed>(&event)) {
        channels[cl->channel].closed = true;
    }
}

void PeerNode::drain(Instant now) {
    if (draining_) return;  // called back from the application: the running drain continues
    draining_ = true;
    for (;;) {
        while (auto event = core_.poll_event())
            handle_event(now, *event);
        if (!on_idle || closed_) break;
        on_idle(now);  // may send, which may produce events (buffered-amount-low)
        auto event = core_.poll_event();
        if (!event) break;
        handle_event(now, *event);
    }
    draining_ = false;
    core_timeout_.reset();
}

void PeerNode::handle_input(Instant now, SocketAddress local, SocketAddress from, ByteSpan data) {
    const auto socket = std::ranges::find(sockets_, local);
    if (socket == sockets_.end()) return;  // no socket bound there: the host drops it
    enter(now);
    core_.handle_datagram(now, static_cast<ice::SocketId>(socket - sockets_.begin() + 1), from,
                          data);
    drain(now);
}

void PeerNode::handle_timeout(Instant now) {
    enter(now);
    while (!inbox_.empty() && inbox_.front().at <= now) {
        auto signal = std::move(inbox_.front().signal);
        inbox_.pop_front();
        receive_signal(now, std::move(signal));
    }
    if (const auto t = core_.poll_timeout(); t && *t <= now) core_.handle_timeout(now);
    drain(now);
}

std::optional<Instant> PeerNode::poll_timeout() const {
    if (!core_timeout_) core_timeout_ = core_.poll_timeout();
    auto t = *core_timeout_;
    if (!inbox_.empty() && (!t || inbox_.front().at < *t)) t = inbox_.front().at;
    return t;
}

std::optional<Datagram> PeerNode::poll_transmit() {
    auto t = core_.poll_transmit();
    if (!t) return std::nullopt;
    if (t->socket == 0 || t->socket > sockets_.size())
        throw std::logic_error("PeerNode: transmit on no socket");
    return Datagram{sockets_[t->socket - 1], t->destination, std::move(t->data)};
}

}  // namespace floe::sim
