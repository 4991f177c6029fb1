// The session's half that listens: the layers' events translated into the session's, the
// connection state aggregated from the three transports (W3C webrtc §4.3.3).
#include <algorithm>

#include "common/log.hpp"
#include "session/session.hpp"

namespace floe::session {

namespace {

// ice::IceState is the public IceConnectionState (RFC 8445's states as W3C names them); the ice
// layer cannot see the façade's header, so the two meet here, in this one mapping.
IceConnectionState to_public(ice::IceState s) {
    switch (s) {
        case ice::IceState::new_:
            return IceConnectionState::new_;
        case ice::IceState::checking:
            return IceConnectionState::checking;
        case ice::IceState::connected:
            return IceConnectionState::connected;
        case ice::IceState::completed:
            return IceConnectionState::completed;
        case ice::IceState::disconnected:
            return IceConnectionState::disconnected;
        case ice::IceState::failed:
            return IceConnectionState::failed;
        case ice::IceState::closed:
            return IceConnectionState::closed;
    }
    return IceConnectionState::new_;
}

// A local candidate as trickled: the offerer's data section is "0" at index 0; an answerer
// uses the offer's.
IceCandidate to_public(const ice::Candidate& c, const sdp::RemoteDataParameters* remote,
                       std::string ufrag) {
    if (remote && !remote->mid.empty())
        return sdp::make_ice_candidate(
            c, remote->mid, static_cast<std::uint16_t>(remote->media_index), std::move(ufrag));
    return sdp::make_ice_candidate(c, "0", 0, std::move(ufrag));
}

std::string describe(const ice::Candidate& c) {
    return c.address + ":" + std::to_string(c.port) + " typ " +
           std::string(ice::to_string(c.type)) + " " + std::string(ice::to_string(c.transport));
}

DataChannelInit init_of(const sctp::event::ChannelRequested& r) {
    DataChannelInit init;
    init.ordered = r.reliability.ordered;
    if (r.reliability.max_retransmits)
        init.max_retransmits = static_cast<std::uint16_t>(*r.reliability.max_retransmits);
    if (r.reliability.max_packet_life_time)
        init.max_packet_life_time = static_cast<std::uint16_t>(*r.reliability.max_packet_life_time);
    init.protocol = r.protocol;
    init.negotiated = false;
    init.id = r.id;
    return init;
}

}  // namespace

void Session::ice_event(Instant now, ice::Event& event) {
    if (auto* c = std::get_if<ice::event::LocalCandidate>(&event)) {
        FLOE_LOG(LogLevel::info, "ice") << "local candidate " << c->candidate.to_string();
        signaling_.add_local_candidate(c->candidate);
        // Trickled with its ICE generation's ufrag (RFC 8838 §4, as browsers write it), so that
        // the peer can tell a candidate from before an ICE restart from one after it.
        // The ufrag goes both in the line and in usernameFragment (W3C RTCIceCandidateInit).
        const std::string& ufrag = pump_.agent()->local_credentials().ufrag;
        ice::Candidate trickled = c->candidate;
        if (!trickled.extension("ufrag")) trickled.extensions.emplace_back("ufrag", ufrag);
        events_.push_back(event::LocalCandidate{to_public(trickled, signaling_.remote(), ufrag)});
    } else if (std::holds_alternative<ice::event::GatheringComplete>(event)) {
        FLOE_LOG(LogLevel::info, "ice") << "gathering complete";
        signaling_.end_of_local_candidates();
        gathering_ = IceGatheringState::complete;
        events_.push_back(event::GatheringState{gathering_});
        events_.push_back(event::LocalCandidate{std::nullopt});
    } else if (auto* s = std::get_if<ice::event::StateChanged>(&event)) {
        FLOE_LOG(LogLevel::info, "ice") << "state " << ice::to_string(s->state);
        if (closed_) {  // the application saw "closed"; a lost path ends the shutdown
            if (lingering_ && s->state == ice::IceState::failed) finish_close(now, true);
            return;
        }
        ice_state_ = to_public(s->state);
        events_.push_back(event::IceState{ice_state_});
        update_connection_state();
    } else if (auto* p = std::get_if<ice::event::SelectedPairChanged>(&event)) {
        FLOE_LOG(LogLevel::info, "ice") << "selected pair local " << describe(p->pair.local)
                                        << " <-> remote " << describe(p->pair.remote);
        if (pump_.pair() != p->pair) ++selected_pair_changes_;
        pump_.select(now, p->pair);
        pump_.maybe_start_dtls(now);
    } else if (auto* r = std::get_if<ice::event::RoleChanged>(&event)) {
        FLOE_LOG(LogLevel::info, "ice") << "role now " << ice::to_string(r->role);
    } else if (auto* e = std::get_if<ice::event::ServerError>(&event)) {
        IceCandidateError error;
        const SocketAddress local = pump_.local_address(e->socket);
        error.address = local.ip().to_string();
        error.port = local.port();
        if (e->server < config_.stun_server_urls.size())
            error.url = config_.stun_server_urls[e->server];
        else if (e->server < config_.stun_servers.size())
            error.url = "stun:" + config_.stun_servers[e->server].to_string();
        error.error_code = e->code;
        error.error_text = std::move(e->reason);
        candidate_error(std::move(error));
    }
}

// W3C RTCPeerConnectionIceErrorEvent: the relay candidate could not be gathered (or was lost).
void Session::relay_error(Instant, const Relays::Event& e) {
    if (closed_) return;
    IceCandidateError error;
    if (e.local.port() != 0) {
        error.address = e.local.ip().to_string();
        error.port = e.local.port();
    }
    error.url = e.url;
    error.error_code = e.code;
    error.error_text = e.reason;
    candidate_error(std::move(error));
}

void Session::dtls_event(Instant now, dtls::Event& event) {
    if (auto* c = std::get_if<dtls::event::Connected>(&event)) {
        FLOE_LOG(LogLevel::info, "dtls")
            << "connected, " << c->cipher << ", peer " << c->peer_fingerprint;
        dtls_connected_ = true;
        cipher_ = c->cipher;
        // The handshake's last flight leaves in datagrams of its own before the first SCTP
        // packet (see TransportPump::pump: aiortc reads one record per datagram); a server's
        // packets then carry a copy of it until the client answers (dtls/record_switch.cpp).
        pump_.send_dtls_datagrams(now);
        start_sctp();
        update_connection_state();
    } else if (auto* d = std::get_if<dtls::event::DataReceived>(&event)) {
        start_sctp();  // the peer's INIT may come before our Connected event
        pump_.deliver_to_sctp(now, std::move(d->data));
    } else if (auto* cl = std::get_if<dtls::event::Closed>(&event)) {
        FLOE_LOG(LogLevel::info, "dtls") << "closed: " << cl->reason;
        if (lingering_) return finish_close(now, true);
        dtls_connected_ = false;
        if (auto* sctp = pump_.sctp()) sctp->close();
        close_all_channels();
        closed_by_peer_ = true;
        update_connection_state();
    } else if (auto* f = std::get_if<dtls::event::Failed>(&event)) {
        FLOE_LOG(LogLevel::warn, "dtls") << "failed: " << f->reason;
        if (lingering_) return finish_close(now, true);
        dtls_failed_ = true;
        close_all_channels();
        update_connection_state();
    }
}

void Session::close_all_channels() {
    channels_.close_all([&](ChannelHandle h) { events_.push_back(event::ChannelClosed{h}); });
}

void Session::sctp_event(Instant now, sctp::Event& event) {
    namespace se = sctp::event;
    if (std::holds_alternative<se::AssociationEstablished>(event)) {
        FLOE_LOG(LogLevel::info, "sctp") << "association established";
        sctp_up_ = true;
        update_connection_state();
    } else if (auto* c = std::get_if<se::AssociationClosed>(&event)) {
        FLOE_LOG(LogLevel::info, "sctp") << "association closed: " << c->reason;
        if (lingering_) return finish_close(now, false);
        close_all_channels();
        closed_by_peer_ = true;
        update_connection_state();
    } else if (auto* f = std::get_if<se::AssociationFailed>(&event)) {
        if (lingering_) return finish_close(now, false);
        close_all_channels();
        if (sctp_up_) {
            // An ABORT after the association was up: the peer closed (its close() aborts).
            FLOE_LOG(LogLevel::info, "sctp") << "association ended: " << f->reason;
            closed_by_peer_ = true;
        } else {
            FLOE_LOG(LogLevel::warn, "sctp") << "association failed: " << f->reason;
            sctp_failed_ = true;
        }
        update_connection_state();
    } else if (auto* r = std::get_if<se::ChannelRequested>(&event)) {
        FLOE_LOG(LogLevel::info, "sctp") << "peer opened channel '" << r->label << "' id " << r->id;
        channels_.add_incoming(r->label, init_of(*r), r->id);
    } else if (auto* o = std::get_if<se::ChannelOpened>(&event)) {
        auto [h, record] = channels_.by_stream(o->id);
        if (!record) return;
        channels_.opened(*record);
        if (record->incoming) {
            record->incoming = false;
            events_.push_back(event::ChannelIncoming{h});
        }
        events_.push_back(event::ChannelOpen{h});
    } else if (auto* m = std::get_if<se::Message>(&event)) {
        auto [h, record] = channels_.by_stream(m->id);
        if (!record) return;
        record->messages_received++;
        record->bytes_received += m->data.size();
        events_.push_back(event::ChannelMessage{h, Message{m->binary, std::move(m->data)}});
    } else if (auto* b = std::get_if<se::BufferedAmountLow>(&event)) {
        auto [h, record] = channels_.by_stream(b->id);
        buffered_fell_ = true;
        if (record) events_.push_back(event::ChannelBufferedAmountLow{h});
    } else if (auto* cc = std::get_if<se::ChannelClosed>(&event)) {
        auto [h, record] = channels_.by_stream(cc->id);
        if (!record) return;
        channels_.unbind_stream(cc->id);
        if (channels_.set_state(*record, DataChannelState::closed))
            events_.push_back(event::ChannelClosed{h});
    }
}

// W3C webrtc §4.3.3 (RTCPeerConnectionState) over ICE, DTLS and SCTP.
void Session::update_connection_state() {
    PeerConnectionState next = connection_;
    if (closed_) {
        next = PeerConnectionState::closed;
    } else if (ice_state_ == IceConnectionState::failed || dtls_failed_ || sctp_failed_) {
        next = PeerConnectionState::failed;
    } else if (closed_by_peer_) {
        next = PeerConnectionState::closed;
    } else if (ice_state_ == IceConnectionState::disconnected) {
        next = PeerConnectionState::disconnected;
    } else if (dtls_connected_ &&
               (ice_state_ == IceConnectionState::connected ||
                ice_state_ == IceConnectionState::completed || pump_.on_peer_path())) {
        // (DTLS up on the validated path the peer chose while our nomination is still retried:
        // usable, as a browser calls a pair with a successful check.)
        next = PeerConnectionState::connected;
    } else if (ice_state_ != IceConnectionState::new_ || pump_.dtls_started()) {
        next = PeerConnectionState::connecting;
    }
    if (next == connection_) return;
    connection_ = next;
    events_.push_back(event::ConnectionState{next});
}

}  // namespace floe::session
