#include "session/transport_pump.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "session/observer.hpp"

namespace floe::session {

namespace {

constexpr const char* kLog = "session";

dtls::Config dtls_config(PacketObserver* observer) {
    dtls::Config c;
    if (observer) c.keylog = [observer](std::string_view line) { observer->key_log(line); };
    return c;
}

}  // namespace

TransportPump::TransportPump(const Certificate& certificate, PacketObserver* observer,
                             Random& random)
    : observer_(observer),
      random_(random),
      relays_(random),
      dtls_(certificate, dtls_config(observer)) {}

// ---- ICE ---------------------------------------------------------------------------------------

void TransportPump::add_local_socket(Instant now, ice::SocketId socket, SocketAddress bound) {
    sockets_.push_back({socket, bound});
    if (gathering_started_) agent_->add_local_socket(now, socket, bound);
}

void TransportPump::end_of_local_sockets(Instant now) {
    sockets_done_ = true;
    maybe_start_relays(now);
}

void TransportPump::maybe_start_relays(Instant now) {
    if (!gathering_started_ || !sockets_done_) return;
    if (!relays_.started()) {
        std::vector<Relays::LocalSocket> sockets;
        for (const auto& s : sockets_)
            sockets.push_back({s.id, s.address});
        relays_.start(now, turn_servers_, sockets);
    }
    // Gathering completes once every relay is allocated or failed (RFC 8445 §5.1.1.2: relay
    // candidates are gathered alongside the others and trickled as they come).
    if (!agent_sockets_done_ && relays_.settled()) {
        agent_sockets_done_ = true;
        agent_->end_of_local_sockets(now);
    }
}

void TransportPump::select(Instant now, const ice::SelectedPair& pair) {
    pair_ = pair;
    if (Relays::is_relay(pair.socket)) relays_.bind_channel(now, pair.socket, pair.remote_address);
}

void TransportPump::ensure_agent(ice::AgentConfig config) {
    if (!agent_) agent_.emplace(std::move(config), random_);
}

void TransportPump::start_gathering(Instant now) {
    if (gathering_started_) return;
    gathering_started_ = true;
    for (const auto& s : sockets_)
        agent_->add_local_socket(now, s.id, s.address);
    maybe_start_relays(now);
}

SocketAddress TransportPump::local_address(ice::SocketId socket) const {
    for (const auto& s : sockets_)
        if (s.id == socket) return s.address;
    return {};
}

// ---- DTLS --------------------------------------------------------------------------------------

void TransportPump::maybe_start_dtls(Instant now) {
    // DTLS starts once the role is known and ICE has a pair to send on (a ClientHello sent into
    // the void would wait a whole retransmission timeout).
    if (dtls_started_ || !dtls_role_ || (!pair_ && !dtls_path_)) return;
    dtls_started_ = true;
    // The first retransmission wait follows the path's round trip, as browsers do (docs/dtls.md).
    const auto rtt = agent_->round_trip_time();
    dtls_.set_initial_retransmit(dtls::initial_retransmit_for(rtt));
    FLOE_LOG(LogLevel::debug, kLog)
        << "DTLS " << (*dtls_role_ == dtls::Role::client ? "client" : "server")
        << ", first retransmission after " << to_ms(dtls::initial_retransmit_for(rtt))
        << " ms, expecting " << remote_fingerprints_.size() << " fingerprint(s)";
    dtls_.start(now, *dtls_role_, remote_fingerprints_);
}

void TransportPump::send_dtls_datagrams(Instant now) {
    while (auto d = dtls_.poll_transmit()) {
        // The selected pair, or until there is one the path the peer's handshake came on.
        if (!pair_ && !dtls_path_) continue;  // nowhere to send yet: DTLS retransmits
        const auto socket = pair_ ? pair_->socket : dtls_path_->socket;
        const SocketAddress& to = pair_ ? pair_->remote_address : dtls_path_->remote;
        Bytes datagram = datagram_buffers_.take();
        datagram.assign(d->begin(), d->end());
        queue(now, socket, to, std::move(datagram));
    }
}

// ---- SCTP --------------------------------------------------------------------------------------

void TransportPump::start_sctp(const sctp::Config& config) {
    if (sctp_) return;
    sctp_.emplace(config);
    if (scheduling_lag_ > Duration::zero()) sctp_->set_scheduling_lag(scheduling_lag_);
}

void TransportPump::set_scheduling_lag(Duration lag) {
    scheduling_lag_ = lag;
    if (sctp_) sctp_->set_scheduling_lag(lag);
}

void TransportPump::deliver_to_sctp(Instant now, Bytes packet) {
    if (observer_) observer_->sctp_packet(now, Direction::in, packet);
    sctp_->handle_input(now, packet);
    dtls_.recycle(std::move(packet));
}

void TransportPump::close(Instant now, bool abort_sctp) {
    if (sctp_ && abort_sctp) {
        sctp_->close();
        while (auto p = sctp_->poll_transmit()) {
            if (observer_) observer_->sctp_packet(now, Direction::out, *p);
            dtls_.send(*p);
        }
    }
    if (dtls_started_) dtls_.close(now);
    send_dtls_datagrams(now);
    if (agent_) agent_->close();
    // Deallocate (RFC 8656 §7: Refresh with LIFETIME 0), after the last DTLS datagrams went
    // through the relay; best effort: nobody waits for the answer.
    relays_.close(now);
    while (auto t = relays_.poll_transmit())
        queue(now, t->socket, t->destination, std::move(t->data));
}

// ---- sans-IO -----------------------------------------------------------------------------------

const TransportPump::Counters* TransportPump::path_counters(ice::SocketId socket,
                                                            const SocketAddress& remote) const {
    for (const auto& p : paths_)
        if (p.socket == socket && p.remote == remote) return &p.counters;
    return nullptr;
}

TransportPump::Counters& TransportPump::path_counters(ice::SocketId socket,
                                                      const SocketAddress& remote) {
    // Most recent first: the selected path is found at once.
    for (auto& p : paths_)
        if (p.socket == socket && p.remote == remote) return p.counters;
    constexpr std::size_t max_paths = 8;
    if (paths_.size() == max_paths) paths_.pop_back();
    // A vector, not a deque: one or two paths in practice, and nothing allocated before DTLS.
    paths_.insert(paths_.begin(), PathCounters{socket, remote, {}});
    return paths_.front().counters;
}

void TransportPump::queue(Instant now, ice::SocketId socket, const SocketAddress& to, Bytes data) {
    if (!data.empty() && data[0] >= 20 && data[0] <= 63) {  // DTLS (RFC 7983), per path
        Counters& c = path_counters(socket, to);
        ++c.packets_sent;
        c.bytes_sent += data.size();
        c.last_sent = now;
    }
    if (Relays::is_relay(socket)) {
        // Through the relay: a Send indication or ChannelData to the server (the observer sees
        // that datagram, as the wire does, and the totals count it).
        relays_.send(now, socket, to, data);
        datagram_buffers_.give(std::move(data));
        while (auto t = relays_.poll_transmit())
            queue(now, t->socket, t->destination, std::move(t->data));
        return;
    }
    if (observer_)
        observer_->datagram(now, Direction::out, socket, local_address(socket), to, data);
    ++totals_.packets_sent;
    totals_.bytes_sent += data.size();
    totals_.last_sent = now;
    out_.push_back(Transmit{socket, to, std::move(data)});
}

void TransportPump::handle_datagram(Instant now, ice::SocketId socket, SocketAddress from,
                                    ByteSpan data, Handler& handler) {
    if (observer_)
        observer_->datagram(now, Direction::in, socket, local_address(socket), from, data);
    ++totals_.packets_received;
    totals_.bytes_received += data.size();
    totals_.last_received = now;
    // A TURN server's answers, indications and ChannelData (RFC 8656) on the socket that
    // reaches it: the relays unwrap them (pump_relays hands peers' datagrams on).
    if (relays_.handle_input(now, socket, from, data) || demux(now, socket, from, data))
        pump(now, handler);
}

std::vector<std::string> TransportPump::gathering_waits_for(
    const std::vector<std::string>& stun_urls) const {
    std::vector<std::string> waits;
    if (agent_)
        for (std::size_t i : agent_->pending_stun_servers())
            waits.push_back(i < stun_urls.size() ? stun_urls[i]
                                                 : "STUN server " + std::to_string(i));
    for (auto& url : relays_.pending_urls())
        waits.push_back(std::move(url));
    return waits;
}

bool TransportPump::demux(Instant now, ice::SocketId socket, const SocketAddress& from,
                          ByteSpan data) {
    if (data.empty()) return false;
    const std::uint8_t first = data[0];
    if (first <= 3) {
        if (agent_) agent_->handle_input(now, socket, from, data);
    } else if (first >= 20 && first <= 63) {
        // DTLS (and the SCTP inside it) only from a remote address ICE validated for this
        // session, on the socket it arrived on, as libwebrtc does: otherwise one spoofed
        // plaintext alert, before the handshake too, ends the transport. The agent counts drops.
        if (!agent_ || !agent_->accept_data(now, socket, from)) {
            if (!agent_) {
                FLOE_LOG(LogLevel::debug, kLog)
                    << "DTLS from " << from.to_string() << " before ICE started: dropped";
            }
            return false;
        }
        // The DTLS server answers on the validated path the peer's handshake arrived on, even
        // before its own nomination completed: the peer sends DTLS only once it selected a pair,
        // and a controlling agent whose nominating check answers are lost would otherwise leave
        // the ClientHellos unanswered until the client gives up (tests/sim, seed 0xf100005a).
        if (!pair_ && !dtls_path_ && dtls_role_ == dtls::Role::server) {
            dtls_path_ = Path{socket, from};
            maybe_start_dtls(now);
        }
        Counters& c = path_counters(socket, from);
        ++c.packets_received;
        c.bytes_received += data.size();
        c.last_received = now;
        dtls_.handle_input(now, data);
    } else {
        return false;  // RFC 7983: not ours (no SRTP or ZRTP here; TURN went to the relays)
    }
    return true;
}

// What the relays produced: their transmits, the allocations for the agent, peers' datagrams
// on the relays' virtual sockets. True when anything moved.
bool TransportPump::pump_relays(Instant now, Handler& handler) {
    bool moved = false;
    while (auto t = relays_.poll_transmit())
        queue(now, t->socket, t->destination, std::move(t->data));
    while (auto e = relays_.poll_event()) {
        moved = true;
        switch (e->kind) {
            case Relays::Event::Kind::allocated:
                if (agent_) agent_->add_relay_socket(now, e->relay, e->relayed, e->mapped, e->url);
                break;
            case Relays::Event::Kind::failed:
                if (agent_ && e->was_allocated) agent_->relay_failed(now, e->relay);
                handler.relay_error(now, *e);
                break;
            case Relays::Event::Kind::data:
                // The observer saw it arrive, wrapped, from the server.
                demux(now, e->relay, e->peer, e->data);
                break;
        }
    }
    if (gathering_started_) maybe_start_relays(now);
    return moved;
}

void TransportPump::handle_timeout(Instant now) {
    relays_.handle_timeout(now);
    if (agent_) agent_->handle_timeout(now);
    if (dtls_started_) dtls_.handle_timeout(now);
    if (sctp_) sctp_->handle_timeout(now);
}

std::optional<Instant> TransportPump::poll_timeout() const {
    std::optional<Instant> at;
    const auto merge = [&](std::optional<Instant> t) {
        if (t && (!at || *t < *at)) at = t;
    };
    if (agent_) merge(agent_->poll_timeout());
    merge(relays_.poll_timeout());
    if (dtls_started_) merge(dtls_.poll_timeout());
    if (sctp_) merge(sctp_->poll_timeout());
    return at;
}

std::optional<Transmit> TransportPump::poll_transmit() {
    if (out_.empty()) return std::nullopt;
    Transmit t = std::move(out_.front());
    out_.pop_front();
    return t;
}

// Flat loop: each layer is drained in turn, lower layers first.
void TransportPump::pump(Instant now, Handler& handler) {
    for (bool moved = true; moved && !handler.stopped();) {
        moved = pump_relays(now, handler);
        if (agent_) {
            while (auto t = agent_->poll_transmit())
                queue(now, t->socket, t->destination, std::move(t->data));
            while (auto e = agent_->poll_event()) {
                moved = true;
                handler.ice_event(now, *e);
            }
        }
        if (dtls_started_) {
            while (auto e = dtls_.poll_event()) {
                moved = true;
                handler.dtls_event(now, *e);
            }
        }
        if (sctp_) {
            while (auto p = sctp_->poll_transmit()) {
                ++sctp_packets_out_;
                if (observer_) observer_->sctp_packet(now, Direction::out, *p);
                if (!dtls_.send(*p)) {
                    // Once DTLS has closed (the peer's close_notify), SCTP's last packets (its
                    // ABORT) have nowhere to go: expected. A refusal while connected is a bug.
                    if (dtls_.state() == dtls::State::connected) {
                        FLOE_LOG(LogLevel::warn, kLog)
                            << "DTLS refused an SCTP packet of " << p->size() << " bytes (limit "
                            << dtls_.max_payload() << ")";
                    } else {
                        FLOE_LOG(LogLevel::debug, kLog)
                            << "SCTP packet of " << p->size() << " bytes dropped: DTLS is "
                            << dtls::to_string(dtls_.state());
                    }
                }
                // One application-data record per datagram: dtls::Transport packs every record
                // that fits into one datagram, and aiortc (1.4) reads only the first record of
                // each datagram, so the others would stall until SCTP retransmits them.
                send_dtls_datagrams(now);
                sctp_->recycle(std::move(*p));
            }
            while (auto e = sctp_->poll_event()) {
                moved = true;
                handler.sctp_event(now, *e);
            }
        }
        send_dtls_datagrams(now);
    }
}

}  // namespace floe::session
