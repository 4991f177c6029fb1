#include "session/relay.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace floe::session {

namespace {

constexpr const char* kLog = "turn";

// W3C RTCPeerConnectionIceErrorEvent: 701 when the server could not be reached at all.
constexpr int kNoAnswer = 701;

// A relay is gathered alongside host and srflx candidates, and gathering completes only when
// it is settled: the schedule of RFC 8489 §6.2.1 (39.5 s) would hold gathering that long for a
// server that is not there. 250 ms doubling, 5 requests, the last waiting 8 RTOs: about 6 s.
stun::RetransmissionConfig allocation_timing() {
    stun::RetransmissionConfig r;
    r.initial_rto = std::chrono::milliseconds(250);
    r.max_transmissions = 5;
    r.final_wait_multiplier = 8;
    return r;
}

}  // namespace

void Relays::start(Instant now, const std::vector<TurnServer>& servers,
                   std::span<const LocalSocket> sockets) {
    if (started_) return;
    started_ = true;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        Entry e;
        e.server = servers[i];
        e.relay = first_relay_socket + static_cast<ice::SocketId>(i);
        if (e.server.transport == TurnTransport::udp) {
            // As libwebrtc does: the allocation is made from the host socket of the server's
            // family, so the relay shares the host candidate's port and NAT mapping.
            auto it = std::find_if(sockets.begin(), sockets.end(), [&](const LocalSocket& s) {
                return s.address.family() == e.server.address.family();
            });
            if (it != sockets.end()) {
                e.socket = it->id;
                e.local = it->address;
            }
        } else {
            e.socket = e.server.stream_socket;
        }
        entries_.push_back(std::move(e));
    }
    for (auto& e : entries_) {
        auto broken = std::find_if(broken_streams_.begin(), broken_streams_.end(),
                                   [&](const auto& b) { return b.first == e.socket; });
        if (e.server.transport != TurnTransport::udp && broken != broken_streams_.end()) {
            fail(e, kNoAnswer, broken->second);
            continue;
        }
        if (e.socket == 0) {
            fail(e, kNoAnswer,
                 e.server.transport == TurnTransport::udp
                     ? "no local socket of the TURN server's address family"
                     : "no connection to the TURN server");
            continue;
        }
        turn::ClientConfig c;
        c.server = e.server.address;
        c.username = e.server.username;
        c.password = e.server.password;
        c.stream = e.server.transport != TurnTransport::udp;
        c.retransmission = allocation_timing();
        c.software = "floe";
        e.client.emplace(std::move(c), random_, now);
        FLOE_LOG(LogLevel::debug, kLog)
            << "allocating on " << e.server.url << " (" << e.server.address.to_string()
            << ") from socket " << e.socket;
        drain(now, e);
    }
}

void Relays::stream_failed(ice::SocketId socket, std::string reason) {
    if (!started_) {
        // Before gathering started: start() fails that relay at once.
        broken_streams_.push_back({socket, std::move(reason)});
        return;
    }
    for (auto& e : entries_) {
        if (e.server.transport == TurnTransport::udp || e.socket != socket || !e.client) continue;
        const auto state = e.client->state();
        e.client.reset();  // nothing more can reach the server
        // A relay that already failed, or is being closed, has nothing more to report.
        if (state == turn::Client::State::allocating || state == turn::Client::State::allocated)
            fail(e, kNoAnswer, std::move(reason));
        return;
    }
}

bool Relays::settled() const {
    return std::all_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.settled; });
}

std::vector<std::string> Relays::pending_urls() const {
    std::vector<std::string> urls;
    for (const auto& e : entries_)
        if (!e.settled) urls.push_back(e.server.url);
    return urls;
}

Relays::Entry* Relays::find(ice::SocketId relay) {
    for (auto& e : entries_)
        if (e.relay == relay) return &e;
    return nullptr;
}

const Relays::Entry* Relays::find(ice::SocketId relay) const {
    for (const auto& e : entries_)
        if (e.relay == relay) return &e;
    return nullptr;
}

std::string Relays::url_of(ice::SocketId relay) const {
    const Entry* e = find(relay);
    return e ? e->server.url : std::string();
}

const turn::Client* Relays::client(ice::SocketId relay) const {
    const Entry* e = find(relay);
    return e && e->client ? &*e->client : nullptr;
}

void Relays::fail(Entry& entry, int code, std::string reason) {
    if (code == 0) code = kNoAnswer;  // turn::Client's "no answer"
    entry.settled = true;
    entry.waiting.clear();
    entry.asked.clear();
    entry.permitted.clear();
    FLOE_LOG(LogLevel::warn, kLog)
        << "TURN server " << entry.server.url << ": "
        << (entry.allocated ? "allocation lost: " : "no relay: ") << code << " " << reason;
    Event ev;
    ev.kind = Event::Kind::failed;
    ev.relay = entry.relay;
    ev.url = entry.server.url;
    ev.local = entry.local;
    ev.code = code;
    ev.reason = std::move(reason);
    ev.was_allocated = entry.allocated;
    entry.allocated = false;
    events_.push_back(std::move(ev));
}

// Moves what the client produced on: transmits towards the server, events to ours.
void Relays::drain(Instant now, Entry& e) {
    if (!e.client) return;
    while (auto t = e.client->poll_transmit())
        out_.push_back(Transmit{e.socket, t->destination, std::move(t->data)});
    while (auto ev = e.client->poll_event()) {
        switch (ev->kind) {
            case turn::Event::Kind::allocated: {
                FLOE_LOG(LogLevel::info, kLog)
                    << "relay " << ev->relayed.to_string() << " on " << e.server.url << " (mapped "
                    << ev->mapped.to_string() << ")";
                e.settled = true;
                e.allocated = true;
                Event out;
                out.kind = Event::Kind::allocated;
                out.relay = e.relay;
                out.relayed = ev->relayed;
                out.mapped = ev->mapped;
                out.url = e.server.url;
                out.local = e.local;
                events_.push_back(std::move(out));
                // The remote candidates known so far (its transmits are collected below).
                for (const auto& peer : remotes_)
                    permit(now, e, peer);
                break;
            }
            case turn::Event::Kind::failed:
                fail(e, ev->code, ev->reason);
                break;
            case turn::Event::Kind::permission_created:
                // RFC 8656 §9: the server relays to/from the peer's IP from now on; what waited
                // for it goes.
                std::erase(e.asked, ev->peer.ip());
                for (auto it = e.waiting.begin(); it != e.waiting.end();) {
                    if (it->peer.ip() != ev->peer.ip()) {
                        ++it;
                        continue;
                    }
                    e.client->send_to(it->peer, it->data);
                    it = e.waiting.erase(it);
                }
                break;
            case turn::Event::Kind::permission_failed:
                FLOE_LOG(LogLevel::info, kLog)
                    << e.server.url << ": no permission for " << ev->peer.to_string() << ": "
                    << ev->code << " " << ev->reason;
                std::erase(e.asked, ev->peer.ip());
                std::erase(e.permitted, ev->peer.ip());
                std::erase_if(e.waiting,
                              [&](const Waiting& w) { return w.peer.ip() == ev->peer.ip(); });
                break;
            case turn::Event::Kind::channel_bound:
                FLOE_LOG(LogLevel::debug, kLog) << e.server.url << ": channel " << ev->channel
                                                << " bound to " << ev->peer.to_string();
                break;
            case turn::Event::Kind::channel_failed:
                // Send indications go on working: only the 4-byte framing is lost.
                FLOE_LOG(LogLevel::info, kLog)
                    << e.server.url << ": no channel to " << ev->peer.to_string() << ": "
                    << ev->code << " " << ev->reason;
                break;
            case turn::Event::Kind::data: {
                Event out;
                out.kind = Event::Kind::data;
                out.relay = e.relay;
                out.peer = ev->peer;
                out.data = std::move(ev->data);
                events_.push_back(std::move(out));
                break;
            }
            case turn::Event::Kind::refreshed:
            case turn::Event::Kind::deallocated:
                break;
        }
    }
    // Sends of permission_created and new permissions may have queued transmits.
    while (auto t = e.client->poll_transmit())
        out_.push_back(Transmit{e.socket, t->destination, std::move(t->data)});
}

bool Relays::handle_input(Instant now, ice::SocketId socket, const SocketAddress& from,
                          ByteSpan data) {
    for (auto& e : entries_) {
        // The server's own address on the socket that reaches it: nobody else's (a peer that
        // sent from the server's address could only be the server relaying for itself).
        if (!e.client || e.socket != socket || e.server.address != from) continue;
        e.client->handle_input(now, data);
        drain(now, e);
        return true;
    }
    return false;
}

void Relays::send(Instant now, ice::SocketId relay, const SocketAddress& peer, ByteSpan data) {
    Entry* e = find(relay);
    if (!e || !e->client || !e->allocated) return;
    const auto waits = [&] {
        return std::find(e->asked.begin(), e->asked.end(), peer.ip()) != e->asked.end();
    };
    if (!e->client->channel_for(peer) && waits()) {
        // Its permission is on its way: the datagram waits for it (dropped beyond a few).
        if (e->waiting.size() < max_waiting)
            e->waiting.push_back({peer, Bytes(data.begin(), data.end())});
        return;
    }
    if (e->client->send_to(peer, data) == turn::SendResult::no_permission) {
        // RFC 8656 §9: CreatePermission for each peer ICE pairs the relay with, before the
        // first datagram to it (the server drops what comes before); turn::Client refreshes it.
        if (e->client->create_permission(now, peer)) {
            e->asked.push_back(peer.ip());
            e->permitted.push_back(peer.ip());
            if (e->waiting.size() < max_waiting)
                e->waiting.push_back({peer, Bytes(data.begin(), data.end())});
        }
    }
    drain(now, *e);
}

void Relays::permit(Instant now, const SocketAddress& peer) {
    if (std::find(remotes_.begin(), remotes_.end(), peer) == remotes_.end()) {
        if (remotes_.size() >= max_remotes) return;
        remotes_.push_back(peer);
    }
    for (auto& e : entries_) {
        if (!e.allocated) continue;
        permit(now, e, peer);
        drain(now, e);
    }
}

// RFC 8656 §9: a permission for a remote candidate ICE pairs the relay with, asked for as soon
// as both are known, so that the peer's first check through our relay is let in.
void Relays::permit(Instant now, Entry& e, const SocketAddress& peer) {
    if (!e.client || peer.family() != e.server.address.family() ||
        std::find(e.permitted.begin(), e.permitted.end(), peer.ip()) != e.permitted.end())
        return;
    if (!e.client->create_permission(now, peer)) return;
    e.permitted.push_back(peer.ip());
    e.asked.push_back(peer.ip());
}

void Relays::bind_channel(Instant now, ice::SocketId relay, const SocketAddress& peer) {
    Entry* e = find(relay);
    if (!e || !e->client || !e->allocated) return;
    if (e->client->bind_channel(now, peer)) {
        FLOE_LOG(LogLevel::debug, kLog) << e->server.url << ": binding a channel to "
                                        << peer.to_string() << " (the selected pair's peer)";
    }
    drain(now, *e);
}

void Relays::close(Instant now) {
    for (auto& e : entries_) {
        e.waiting.clear();
        if (!e.client) continue;
        e.client->close(now);  // Refresh with LIFETIME 0 when allocated (RFC 8656 §7.2)
        drain(now, e);
    }
}

void Relays::handle_timeout(Instant now) {
    for (auto& e : entries_) {
        if (!e.client) continue;
        if (auto at = e.client->poll_timeout(); at && *at <= now) {
            e.client->handle_timeout(now);
            drain(now, e);
        }
    }
}

std::optional<Instant> Relays::poll_timeout() const {
    std::optional<Instant> at;
    for (const auto& e : entries_) {
        if (!e.client) continue;
        if (auto t = e.client->poll_timeout(); t && (!at || *t < *at)) at = t;
    }
    return at;
}

std::optional<Transmit> Relays::poll_transmit() {
    if (out_.empty()) return std::nullopt;
    Transmit t = std::move(out_.front());
    out_.pop_front();
    return t;
}

std::optional<Relays::Event> Relays::poll_event() {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

}  // namespace floe::session
