// PeerConnection::Impl's sockets (runtime thread): its own UDP sockets, or its registrations on
// the Runtime's shared ones (RuntimeOptions::shared_udp_port), the TCP/TLS streams to TURN
// servers, and sending what the core has to send on each.
#include <cstddef>  // before asio, see rtc/udp_socket.hpp

#include <algorithm>

#include <floe/stun/message.hpp>

#include "common/log.hpp"
#include "ice/host_policy.hpp"
#include "rtc/interfaces.hpp"
#include "rtc/peer_connection_impl.hpp"

namespace floe {

namespace {

constexpr const char* kLog = "rtc";
constexpr int kSocketBufferBytes = 4 << 20;

}  // namespace

void PeerConnection::Impl::start() {
    if (runtime) {
        const auto& shared = rtc::RuntimeAccess::impl(*runtime).shared_ports;
        if (!shared.empty())
            join_shared_ports(shared);
        else
            open_own_sockets();
    } else {
        open_own_sockets();
    }
    if (sockets.empty()) {
        FLOE_LOG(LogLevel::warn, kLog) << "no usable interface to gather on";
    }
    open_turn_streams();
    const Instant now = Clock::now();
    for (auto& s : sockets)
        core.add_local_socket(now, s.id, s.local_address());
    core.end_of_local_sockets(now);
}

void PeerConnection::Impl::join_shared_ports(
    const std::vector<std::shared_ptr<rtc::SharedPort>>& ports) {
    ice::SocketId next_id = 1;
    for (const auto& port : ports) {
        const ice::SocketId id = next_id++;
        rtc::SharedPort::Handlers handlers;
        // The lease belongs to this Impl and goes before it: `this` outlives the handlers.
        handlers.on_datagram = [this, id](const SocketAddress& from, ByteSpan data) {
            core.handle_datagram(Clock::now(), id, from, data);
            // A check answered or a response matched may have validated `from` (RFC 8445
            // §7.2.5.3, §7.3.1.4): from now on its DTLS reaches us through the shared socket.
            if (stun::looks_like_stun(data) && core.validated(id, from))
                sockets[id - 1].shared->validated(from);
        };
        handlers.on_batch_end = [this] { flush(); };
        auto lease = port->attach(*rt, std::move(handlers));
        // RFC 8445 §7.2.2: requests to us carry our ufrag first in USERNAME.
        lease->add_ufrag(core.local_ufrag());
        FLOE_LOG(LogLevel::debug, kLog)
            << "socket " << id << " shared " << lease->local_address().to_string();
        sockets.push_back({nullptr, std::move(lease), id});
    }
}

// After an ICE restart (RFC 8445 §9) checks name the new ufrag: the shared sockets route it here
// too. The old one stays registered: the old generation's pair runs until a new one is selected.
void PeerConnection::Impl::register_ufrag() {
    for (auto& s : sockets)
        if (s.shared) s.shared->add_ufrag(core.local_ufrag());
}

void PeerConnection::Impl::open_own_sockets() {
    ice::HostPolicy policy;
    policy.ipv6 = config.enable_ipv6;
    policy.loopback = config.include_loopback || config.loopback_only;
    policy.allow = config.interfaces;
    auto available = rtc::list_interfaces();
    if (config.loopback_only)
        std::erase_if(available, [](const auto& a) { return !a.address.is_loopback(); });
    ice::SocketId next_id = 1;
    const unsigned first = config.port_range_begin;
    const unsigned last = std::max<unsigned>(first, config.port_range_end);
    // An interface named in the configuration that this host does not have is a configuration
    // error, reported through on_ice_candidate_error (701: nothing to gather from) as well as
    // logged: gathering goes on with the others.
    for (const auto& name : config.interfaces) {
        const bool known = std::any_of(available.begin(), available.end(), [&](const auto& a) {
            return a.interface == name || a.address.to_string() == name;
        });
        if (!known)
            core.report_candidate_error({{},
                                         std::nullopt,
                                         {},
                                         701,
                                         "no interface or local address \"" + name +
                                             "\" is up on this host" +
                                             (config.loopback_only ? " (loopback only)" : "")});
    }
    for (const auto& host : ice::select_host_addresses(available, policy)) {
        std::unique_ptr<rtc::UdpSocket> socket;
        std::string error;
        for (unsigned port = first; port <= last && !socket; ++port) {
            try {
                socket = std::make_unique<rtc::UdpSocket>(
                    io, SocketAddress(host.address, static_cast<std::uint16_t>(port)));
            } catch (const std::system_error& e) {
                error = e.what();
            }
        }
        if (!socket) {
            FLOE_LOG(LogLevel::warn, kLog)
                << "cannot bind " << host.address.to_string() << ": " << error;
            continue;
        }
        socket->set_buffer_sizes(kSocketBufferBytes);
        const ice::SocketId id = next_id++;
        FLOE_LOG(LogLevel::debug, kLog) << "socket " << id << " on " << host.interface << " "
                                        << socket->local_address().to_string();
        // The sockets belong to this Impl and are closed before it goes: `this` outlives them.
        socket->start_receive_batch(
            [this, id](const SocketAddress& from, ByteSpan data) {
                core.handle_datagram(Clock::now(), id, from, data);  // (nothing once finished)
            },
            [this] { flush(); });
        sockets.push_back({std::move(socket), nullptr, id});
    }
}

void PeerConnection::Impl::open_turn_streams() {
    for (const auto& server : core.turn_servers()) {
        if (server.stream_socket == 0) continue;
        const bool tls = server.transport == session::TurnTransport::tls;
        if (!turn_tls) {
            turn_tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
            try {
                rtc::configure_tls(*turn_tls, config.turn_tls_ca_file, false);
            } catch (const std::system_error& e) {
                FLOE_LOG(LogLevel::warn, kLog)
                    << "turn_tls_ca_file " << config.turn_tls_ca_file << ": " << e.what();
            }
        }
        TurnStream& s = turn_streams.emplace_back();
        s.id = server.stream_socket;
        s.server = server.address;
        s.deadline = std::make_unique<asio::steady_timer>(io);
        const ice::SocketId id = s.id;
        // As `floe turn` does: a connection (and TLS handshake) gets 10 s.
        s.deadline->expires_after(std::chrono::seconds(10));
        s.deadline->async_wait([weak = weak_from_this(), id, tls](std::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->released) return;
            self->turn_stream_failed(id, tls ? "the TLS handshake with the TURN server timed out"
                                             : "connecting to the TURN server timed out");
        });
        // The link's handlers run on this thread, and only while the Impl holds the link (it is
        // closed in finish_linger): `this` outlives them, as for the UDP sockets.
        s.link = rtc::connect_stream(
            io, *turn_tls, {server.address, tls, server.host, false},
            [this, id](std::string error) {
                if (released) return;
                if (!error.empty()) return turn_stream_failed(id, std::move(error));
                auto it = std::find_if(turn_streams.begin(), turn_streams.end(),
                                       [id](const TurnStream& t) { return t.id == id; });
                if (it == turn_streams.end() || it->ready) return;
                it->ready = true;
                it->deadline->cancel();
                const SocketAddress server = it->server;
                it->link->start(
                    [this, id, server](ByteSpan message) {
                        core.handle_datagram(Clock::now(), id, server, message);
                        flush();
                    },
                    [this, id](std::string why) { turn_stream_failed(id, std::move(why)); });
                while (!it->queued.empty()) {
                    it->link->send(std::move(it->queued.front()));
                    it->queued.pop_front();
                }
            });
    }
}

void PeerConnection::Impl::turn_stream_failed(ice::SocketId id, std::string reason) {
    if (released) return;
    for (auto& s : turn_streams) {
        if (s.id != id || !s.link) continue;
        s.deadline->cancel();
        s.link->close();
        s.ready = false;
        s.queued.clear();
    }
    core.turn_stream_failed(Clock::now(), id, std::move(reason));
    flush();
}

void PeerConnection::Impl::send_pending() {
    pending.clear();
    while (auto t = core.poll_transmit())
        pending.push_back(std::move(*t));
    if (pending.empty()) return;
    for (auto& s : sockets) {
        batch.clear();
        for (const auto& t : pending) {
            if (t.socket != s.id) continue;
            batch.push_back({t.data, t.destination});
        }
        if (batch.empty()) continue;
        if (s.socket)
            s.socket->send_batch(batch);
        else
            s.shared->send_batch(batch);
    }
    for (auto& s : turn_streams) {
        for (const auto& t : pending) {
            if (t.socket != s.id) continue;
            if (s.ready)
                s.link->send(t.data);
            else if (s.link && s.queued.size() < 64)
                s.queued.push_back(t.data);
        }
    }
    for (auto& t : pending)
        core.recycle(std::move(t.data));
}

}  // namespace floe
