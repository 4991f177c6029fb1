#include <cstddef>  // before asio, see rtc/udp_socket.hpp

#include <atomic>

#include <asio/ip/address.hpp>
#include <asio/post.hpp>

#include <floe/error.hpp>
#include <floe/stun/message.hpp>

#include "common/log.hpp"
#include "ice/host_policy.hpp"
#include "rtc/ice_servers.hpp"
#include "rtc/interfaces.hpp"
#include "rtc/peer_connection_impl.hpp"
#include "rtc/resolver.hpp"
#include "rtc/trace.hpp"

namespace floe {

namespace {

constexpr const char* kLog = "rtc";

// The TURN servers resolved (a blocking lookup, like the STUN servers'; a literal needs none):
// the first address of each; a host that does not resolve is logged and skipped.
std::vector<session::TurnServer> turn_servers(const std::vector<rtc::TurnServer>& configured) {
    std::vector<session::TurnServer> out;
    for (const auto& t : configured) {
        auto addresses = rtc::resolve(t.url.host, t.url.port, rtc::Families::any);
        if (!addresses || addresses->empty()) {
            FLOE_LOG(LogLevel::warn, kLog)
                << "ICE server " << t.text << ": "
                << (addresses ? std::string("no address") : addresses.error().message())
                << "; no relay candidate from it";
            continue;
        }
        session::TurnServer s;
        s.url = t.text;
        s.address = addresses->front();
        s.username = t.username;
        s.password = t.credential;
        s.host = t.url.host;
        s.transport = t.url.secure()                               ? session::TurnTransport::tls
                      : t.url.transport == stun::UrlTransport::tcp ? session::TurnTransport::tcp
                                                                   : session::TurnTransport::udp;
        // Stream ids: above the UDP sockets' (from 1), below the relays' (session::Relays).
        if (s.transport != session::TurnTransport::udp)
            s.stream_socket = 0x20000000 + static_cast<ice::SocketId>(out.size());
        out.push_back(std::move(s));
    }
    return out;
}

session::Config core_config(const Configuration& c, session::PacketObserver* observer) {
    session::Config core;
    auto servers = rtc::resolve_ice_servers(c.ice_servers);
    core.stun_servers = std::move(servers.stun);
    core.stun_server_urls = std::move(servers.stun_urls);
    // W3C webrtc §4.8.2: a server name that does not resolve is error 701, with the reason.
    for (auto& u : servers.unresolved)
        core.candidate_errors.push_back(
            {{}, std::nullopt, std::move(u.url), 701, std::move(u.error)});
    core.ice_lite = c.ice_lite;
    core.relay_only = c.ice_transport_policy == IceTransportPolicy::relay;
    core.turn_servers = turn_servers(servers.turn);
    if (c.ice_lite && !core.stun_servers.empty()) {
        FLOE_LOG(LogLevel::info, kLog)
            << "ICE-lite gathers host candidates only: the STUN servers are not used";
    }
    core.max_message_size = c.max_message_size;
    if (c.max_streams < 1 || c.max_streams > 1024)
        throw InvalidArgumentError("max_streams " + std::to_string(c.max_streams) +
                                   " is out of range (1-1024)");
    core.max_streams = c.max_streams;
    if (c.certificates.size() > 1)
        throw InvalidArgumentError("floe uses one certificate; Configuration::certificates has " +
                                   std::to_string(c.certificates.size()));
    if (c.certificates.empty()) {
        core.certificate = Certificate::generate();
    } else {
        // W3C RTCPeerConnection constructor: an expired certificate is refused
        // (InvalidAccessError).
        if (c.certificates.front().expires() <= std::chrono::system_clock::now())
            throw InvalidArgumentError("Configuration::certificates: the certificate (" +
                                       c.certificates.front().fingerprint() + ") has expired");
        core.certificate = c.certificates.front();
    }
    core.observer = observer;
    return core;
}

}  // namespace

// ---- PeerConnection::Impl (runtime thread)
// -------------------------------------------------------

PeerConnection::Impl::Impl(Configuration configuration, std::shared_ptr<Runtime> on,
                           std::shared_ptr<rtc::Loop> loop)
    : config(std::move(configuration)),
      runtime(std::move(on)),
      rt(std::move(loop)),
      io(rt->io),
      observer(rtc::make_observer(config)),
      core(core_config(config, observer.get()), crypto_random()),
      timer(io) {}

PeerConnection::Impl::~Impl() = default;

// Deadlines are served on a 1 ms grid (rounded up: never early). The cores' deadlines move with
// nearly every packet; on the grid most moves leave the timer as it is, and a Runtime thread's
// PeerConnections share each millisecond's expiry: the loop's timerfd is re-armed when the
// earliest expiry changes, a system call that, re-armed per packet, took 13 % of a busy server's
// CPU (W6, 1,000 clients). A timer served up to 1 ms late is within what every layer allows
// (SCTP's timers tick in milliseconds; a delayed SACK at 5 ms stays below RTO.min, 20 ms).
void PeerConnection::Impl::arm_timer() {
    auto at = core.poll_timeout();
    if (at) at = std::chrono::ceil<milliseconds>(*at);
    if (at == timer_at) return;
    timer_at = at;
    if (!at) {
        timer.cancel();
        return;
    }
    timer.expires_at(*at);
    // A deadline already past when armed (poll_timeout says "now") is due from the arming on.
    const Instant due = std::max(*at, Clock::now());
    timer.async_wait([weak = weak_from_this(), at, due](std::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->released || self->timer_at != at) return;
        self->timer_at.reset();
        const Instant now = Clock::now();
        // How far behind this thread runs, as every PeerConnection on it sees it: SCTP waits
        // that much longer before it resends (docs/sctp.md, "Under load").
        self->rt->lag.note(due, now);
        self->core.set_scheduling_lag(self->rt->lag.recent(now));
        self->core.handle_timeout(now);
        self->flush();
    });
}

std::shared_ptr<DataChannel> PeerConnection::Impl::adopt_channel(session::ChannelHandle handle) {
    auto it = channels.find(handle);
    if (it != channels.end()) return it->second;
    auto impl = std::make_shared<DataChannel::Impl>();
    impl->pc = weak_from_this();
    impl->handle = handle;
    impl->record = core.channel(handle);
    // Not make_shared: the constructor is private to the façade.
    std::shared_ptr<DataChannel> channel(new DataChannel(impl));
    channels.emplace(handle, channel);
    return channel;
}

void PeerConnection::Impl::flush() {
    if (flushing) return;  // a method called from a callback: the running flush continues
    if (closed) {
        // Closed for the application, still shutting down: send, and no more events.
        send_pending();
        while (core.poll_event()) {
        }
        send_pending();
        if (core.finished())
            finish_linger();
        else
            arm_timer();
        return;
    }
    flushing = true;
    auto keep = shared_from_this();  // a callback may drop the last user reference
    // Messages the callbacks send are gathered and handed to SCTP when no event is left, packed
    // into full packets: a callback that sends a burst of small messages sends few packets.
    core.cork();
    for (;;) {
        send_pending();
        auto event = core.poll_event();
        if (!event) {
            if (!core.uncork(Clock::now())) break;
            core.cork();
            continue;
        }
        std::visit(
            [&](auto& e) {
                using E = std::decay_t<decltype(e)>;
                namespace ce = session::event;
                if constexpr (std::is_same_v<E, ce::LocalCandidate>) {
                    on_ice_candidate(e.candidate);
                } else if constexpr (std::is_same_v<E, ce::GatheringState>) {
                    on_gathering(e.state);
                } else if constexpr (std::is_same_v<E, ce::IceState>) {
                    on_ice_state(e.state);
                } else if constexpr (std::is_same_v<E, ce::ConnectionState>) {
                    on_connection_state(e.state);
                } else if constexpr (std::is_same_v<E, ce::Signaling>) {
                    on_signaling(e.state);
                } else if constexpr (std::is_same_v<E, ce::CandidateError>) {
                    on_candidate_error(e.error);
                } else if constexpr (std::is_same_v<E, ce::ChannelIncoming>) {
                    auto channel = adopt_channel(e.channel);
                    on_data_channel(channel);
                } else {
                    auto it = channels.find(e.channel);
                    if (it == channels.end()) return;
                    auto channel = it->second;  // keeps it alive through the callback
                    auto& c = *channel->impl_;
                    if constexpr (std::is_same_v<E, ce::ChannelOpen>) {
                        if (c.on_open.get())
                            c.on_open();
                        else
                            c.open_missed.store(true);
                    } else if constexpr (std::is_same_v<E, ce::ChannelMessage>) {
                        auto f = c.on_message.get();
                        if (f && c.backlog.empty())
                            (*f)(std::move(e.message));
                        else
                            c.backlog.push_back(std::move(e.message));
                    } else if constexpr (std::is_same_v<E, ce::ChannelBufferedAmountLow>) {
                        c.on_buffered_amount_low();
                    } else if constexpr (std::is_same_v<E, ce::ChannelError>) {
                        c.on_error(e.error);
                    } else if constexpr (std::is_same_v<E, ce::ChannelClosed>) {
                        c.on_close();
                        c.clear_callbacks();  // breaks cycles through captured shared_ptrs
                        channels.erase(e.channel);
                    }
                }
            },
            *event);
    }
    flushing = false;
    if (closed && core.finished())
        finish_linger();  // closed by a callback, and nothing left to send
    else
        arm_timer();
    // A callback released the PeerConnection: let the Impl go in a handler of its own, not in
    // the middle of the socket or timer handler that called us.
    if (keep.use_count() == 1) asio::post(io, [k = std::move(keep)] {});
}

void PeerConnection::Impl::deliver_backlog(const std::shared_ptr<DataChannel::Impl>& c) {
    while (!c->backlog.empty()) {
        auto f = c->on_message.get();
        if (!f) return;
        Message m = std::move(c->backlog.front());
        c->backlog.pop_front();
        (*f)(std::move(m));
    }
}

void PeerConnection::Impl::send(DataChannel::Impl& c, bool binary, ByteSpan data) {
    // buffered_amount counts the message as soon as send() returns, as in the browser: the
    // session updates the channel's record before it returns, even inside a callback.
    core.send(Clock::now(), c.handle, binary, data);
    flush();
}

void PeerConnection::Impl::close(bool notify) {
    if (closed) return;
    const auto linger = std::chrono::duration_cast<Duration>(config.close_linger);
    core.close(Clock::now(), linger);
    closed = true;
    // Every channel still here has not had its on_close (ChannelClosed removes it): its event,
    // if queued, is not dispatched any more, so it gets it now.
    for (auto& [handle, channel] : channels) {
        auto& c = *channel->impl_;
        if (notify) c.on_close();
        c.clear_callbacks();
    }
    channels.clear();
    flush();  // sends what close produced (SHUTDOWN, or ABORT and close_notify)
    on_ice_candidate.reset();
    on_gathering.reset();
    on_ice_state.reset();
    on_connection_state.reset();
    on_signaling.reset();
    on_data_channel.reset();
    on_candidate_error.reset();
}

void PeerConnection::Impl::finish_linger() {
    if (released) return;
    released = true;
    timer.cancel();
    for (auto& s : sockets) {
        if (s.socket) s.socket->close();
        // A shared socket's registration goes with this Impl (a lease must not go inside the
        // batch that may be calling us): the finished core ignores what still arrives.
    }
    for (auto& s : turn_streams) {
        s.deadline->cancel();
        if (s.link) s.link->close();
    }
    released_promise.set_value();
    if (kept_by_runtime) {
        // Let go of ourselves in a handler of our own, not in the middle of the one running.
        asio::post(io, [loop = rt.get(), key = static_cast<const void*>(this)] {
            loop->lingering.erase(key);
        });
    }
}

// ---- PeerConnection (any thread)
// -------------------------------------------------------------------

PeerConnection::PeerConnection(Configuration configuration) {
    auto rt = configuration.runtime ? configuration.runtime : Runtime::default_runtime();
    auto loop = rtc::RuntimeAccess::impl(*rt)
                    .assign_loop();  // this PeerConnection's thread, for its whole life
    impl_ = rtc::run_sync(*loop, [&] {
        auto impl = std::make_shared<Impl>(std::move(configuration), rt, loop);
        impl->start();
        return impl;
    });
}

PeerConnection::~PeerConnection() {
    if (!impl_) return;
    auto loop = impl_->rt;
    const bool from_callback = loop->on_loop_thread();
    rtc::run_sync(*loop, [&] {
        impl_->close(false);  // no callback from a destructor: its targets may be gone
        if (!impl_->released) {
            // Still shutting down: the Runtime keeps it until done (finish_linger), holding its
            // loop but not the Runtime itself, whose owner may end it (and abort this) any time.
            impl_->kept_by_runtime = true;
            impl_->runtime.reset();
            impl_->config.runtime.reset();
            loop->lingering.emplace(impl_.get(), std::move(impl_));
            return;
        }
        if (!from_callback) {
            impl_.reset();  // run_sync's own handler: nothing of this Impl is on the stack
            return;
        }
        // Inside one of its callbacks: released by a handler of its own, later.
        auto& io = impl_->io;
        asio::post(io, [impl = std::move(impl_)] {});
    });
}

#define FLOE_ON_RUNTIME(body)                           \
    rtc::run_sync(*impl_->rt, [&, impl = impl_.get()] { \
        auto& pc = *impl;                               \
        body;                                           \
    })

namespace {
// W3C DOMHighResTimeStamp for stats: milliseconds since the Unix epoch.
double wall_clock_ms() {
    using Ms = std::chrono::duration<double, std::milli>;
    return std::chrono::duration_cast<Ms>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Generic because PeerConnection::Impl is private to the class (the lambdas may name it).
template <class PeerConnectionImpl>
void require_open(const PeerConnectionImpl& pc) {
    if (pc.closed) throw InvalidStateError("the PeerConnection is closed");
}
}  // namespace

SessionDescription PeerConnection::create_offer() {
    return FLOE_ON_RUNTIME(require_open(pc); return pc.core.create_offer());
}

SessionDescription PeerConnection::create_answer() {
    return FLOE_ON_RUNTIME(require_open(pc); return pc.core.create_answer());
}

void PeerConnection::set_local_description(std::optional<SessionDescription> description) {
    FLOE_ON_RUNTIME(require_open(pc); pc.core.set_local_description(Clock::now(), description);
                    pc.register_ufrag(); pc.flush());
}

void PeerConnection::set_remote_description(const SessionDescription& description) {
    FLOE_ON_RUNTIME(require_open(pc); pc.core.set_remote_description(Clock::now(), description);
                    pc.flush());
}

void PeerConnection::add_ice_candidate(const std::optional<IceCandidate>& candidate) {
    FLOE_ON_RUNTIME(require_open(pc); pc.core.add_ice_candidate(Clock::now(), candidate);
                    pc.flush());
}

void PeerConnection::restart_ice() {
    // W3C webrtc §4.4.1.6: after close() it does nothing (and throws nothing).
    FLOE_ON_RUNTIME(if (pc.closed) return; pc.core.restart_ice());
}

std::optional<SessionDescription> PeerConnection::local_description() const {
    return FLOE_ON_RUNTIME(return pc.core.local_description());
}

std::optional<SessionDescription> PeerConnection::remote_description() const {
    return FLOE_ON_RUNTIME(return pc.core.remote_description());
}

SignalingState PeerConnection::signaling_state() const {
    return FLOE_ON_RUNTIME(return pc.closed ? SignalingState::closed : pc.core.signaling_state());
}

IceGatheringState PeerConnection::ice_gathering_state() const {
    return FLOE_ON_RUNTIME(return pc.core.gathering_state());
}

IceConnectionState PeerConnection::ice_connection_state() const {
    return FLOE_ON_RUNTIME(return pc.closed ? IceConnectionState::closed : pc.core.ice_state());
}

PeerConnectionState PeerConnection::connection_state() const {
    return FLOE_ON_RUNTIME(return pc.closed ? PeerConnectionState::closed
                                            : pc.core.connection_state());
}

std::shared_ptr<DataChannel> PeerConnection::create_data_channel(std::string label,
                                                                 DataChannelInit init) {
    return FLOE_ON_RUNTIME(require_open(pc); auto handle = pc.core.create_data_channel(
                                                 Clock::now(), std::move(label), init);
                           auto channel = pc.adopt_channel(handle); pc.flush(); return channel);
}

void PeerConnection::close() {
    auto released = FLOE_ON_RUNTIME(pc.close(); return pc.released_future);
    // Waits for the graceful shutdown (bounded by close_linger), except on the runtime thread,
    // which must not block: there it goes on in the background.
    if (!impl_->rt->on_loop_thread())
        released.wait_for(impl_->config.close_linger + std::chrono::seconds(1));
}

StatsReport PeerConnection::get_stats() const {
    return FLOE_ON_RUNTIME(return pc.core.stats(Clock::now(), wall_clock_ms()));
}

std::size_t PeerConnection::max_message_size() const {
    return impl_->core.remote_max_message_size();  // an atomic: no trip to the runtime thread
}

void PeerConnection::on_ice_candidate(std::function<void(std::optional<IceCandidate>)> f) {
    impl_->on_ice_candidate.set(std::move(f));
}
void PeerConnection::on_ice_gathering_state_change(std::function<void(IceGatheringState)> f) {
    impl_->on_gathering.set(std::move(f));
}
void PeerConnection::on_ice_connection_state_change(std::function<void(IceConnectionState)> f) {
    impl_->on_ice_state.set(std::move(f));
}
void PeerConnection::on_connection_state_change(std::function<void(PeerConnectionState)> f) {
    impl_->on_connection_state.set(std::move(f));
}
void PeerConnection::on_signaling_state_change(std::function<void(SignalingState)> f) {
    impl_->on_signaling.set(std::move(f));
}
void PeerConnection::on_data_channel(std::function<void(std::shared_ptr<DataChannel>)> f) {
    impl_->on_data_channel.set(std::move(f));
}
void PeerConnection::on_ice_candidate_error(std::function<void(const IceCandidateError&)> f) {
    impl_->on_candidate_error.set(std::move(f));
}

}  // namespace floe
