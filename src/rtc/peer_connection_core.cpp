#include "rtc/peer_connection_core.hpp"

#include <algorithm>
#include <fstream>

#include <floe/error.hpp>
#include <floe/sdp/jsep.hpp>
#include <floe/stun/message.hpp>

#include "common/buffer_pool.hpp"
#include "common/log.hpp"
#include "dtls/transport.hpp"
#include "sctp/association.hpp"

namespace floe::rtc {

namespace {

constexpr const char* kLog = "rtc";

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

IceCandidate to_public(const ice::Candidate& c,
                       const std::optional<sdp::RemoteDataParameters>& remote) {
    // The offerer's data section is "0" at index 0; an answerer uses the offer's.
    if (remote && !remote->mid.empty())
        return IceCandidate{c.to_string(), remote->mid, static_cast<int>(remote->media_index)};
    return IceCandidate{c.to_string(), "0", 0};
}

std::string describe(const ice::Candidate& c) {
    return c.address + ":" + std::to_string(c.port) + " typ " +
           std::string(ice::to_string(c.type)) + " " + std::string(ice::to_string(c.transport));
}

sctp::Reliability reliability_of(const DataChannelInit& init) {
    sctp::Reliability r;
    r.ordered = init.ordered;
    if (init.max_retransmits) r.max_retransmits = *init.max_retransmits;
    if (init.max_packet_life_time) r.max_packet_life_time = *init.max_packet_life_time;
    return r;
}

DataChannelInit init_of(const sctp::Reliability& r, bool negotiated, std::uint16_t id) {
    DataChannelInit init;
    init.ordered = r.ordered;
    if (r.max_retransmits) init.max_retransmits = static_cast<std::uint16_t>(*r.max_retransmits);
    if (r.max_packet_life_time)
        init.max_packet_life_time = static_cast<std::uint16_t>(*r.max_packet_life_time);
    init.negotiated = negotiated;
    init.id = id;
    return init;
}

}  // namespace

std::string describe_datagram(ByteSpan data) {
    if (data.empty()) return "empty datagram";
    const std::uint8_t first = data[0];
    if (first <= 3 && data.size() >= 20)
        return "STUN " +
               stun::describe(stun::MessageType::from_wire(
                   static_cast<std::uint16_t>((data[0] << 8) | data[1]))) +
               ", " + std::to_string(data.size()) + " bytes";
    if (first >= 20 && first <= 63) {
        // DTLS records (RFC 6347 §4.1): type, version, epoch, sequence, length, fragment.
        std::string out = "DTLS";
        for (std::size_t at = 0; at + 13 <= data.size();) {
            const std::size_t length = (std::size_t(data[at + 11]) << 8) | data[at + 12];
            const std::uint8_t type = data[at];
            const char* name = type == 20   ? "change_cipher_spec"
                               : type == 21 ? "alert"
                               : type == 22 ? "handshake"
                               : type == 23 ? "application_data"
                                            : "record";
            out += std::string(" ") + name + "(epoch " +
                   std::to_string((data[at + 3] << 8) | data[at + 4]) + ", " +
                   std::to_string(length) + " B)";
            at += 13 + length;
        }
        return out;
    }
    return "unknown datagram, first byte " + std::to_string(first);
}

struct PeerConnectionCore::Impl {
    Impl(const CoreConfig& config, Random& random)
        : credentials(ice::random_credentials(random)),
          dtls(*config.certificate, dtls_config(config)) {
        session_id = random.next_u64() & 0x7fffffffffffffffULL;
    }

    static dtls::Config dtls_config(const CoreConfig& config) {
        dtls::Config c;
        if (!config.keylog_file.empty()) {
            auto file = std::make_shared<std::ofstream>(config.keylog_file, std::ios::app);
            c.keylog = [file](std::string_view line) { *file << line << "\n" << std::flush; };
        }
        return c;
    }

    ice::Credentials credentials;
    std::uint64_t session_id = 0;
    std::uint64_t session_version = 1;
    std::optional<ice::Agent> agent;
    dtls::Transport dtls;
    std::optional<sctp::Association> sctp;
    std::optional<dtls::Role> dtls_role;
    std::vector<std::string> remote_fingerprints;  // every a=fingerprint, for dtls to choose
    bool dtls_started = false;
    bool dtls_connected = false;
    bool dtls_failed = false;
    std::string cipher;
    std::optional<ice::SelectedPair> pair;
    // Where a DTLS server answers before ICE selected a pair: the validated address the peer's
    // first handshake datagram came from (handle_datagram).
    struct Path {
        ice::SocketId socket;
        SocketAddress remote;
    };
    std::optional<Path> dtls_path;

    struct PendingSocket {
        ice::SocketId id;
        SocketAddress address;
    };
    std::vector<PendingSocket> sockets;
    bool sockets_done = false;
    bool gathering_started = false;
    std::vector<ice::Candidate> local_candidates;
    bool local_end_of_candidates = false;

    // Descriptions: current and pending (for rollback) as JSEP keeps them.
    std::optional<SessionDescription> local;
    std::optional<SessionDescription> remote;
    std::optional<sdp::RemoteDataParameters> remote_params;
    std::optional<sdp::SessionDescription> remote_offer;  // what create_answer answers
    std::vector<ice::Candidate> remote_candidates_added;  // trickled ones, kept for the SDP
    bool remote_end_of_candidates = false;

    std::map<ChannelHandle, ChannelInfo> channels;
    std::map<std::uint16_t, ChannelHandle> by_id;
    std::vector<ChannelHandle> unopened;  // created before the association existed
    ChannelHandle next_handle = 1;

    std::deque<Transmit> out;
    BufferPool datagram_buffers{64, 2048};  // recycle()d Transmit buffers
    bool closed = false;                    // for the application: close() was called
    bool lingering = false;                 // closed, and the association is still shutting down
    Instant linger_until{};
    // Closed channels are forgotten; their counts live on here (stats()).
    PeerConnectionStats closed_channels;
};

PeerConnectionCore::PeerConnectionCore(CoreConfig config, Random& random)
    : config_(std::move(config)), random_(random) {
    if (!config_.certificate) config_.certificate = Certificate::generate();
    impl_ = std::make_unique<Impl>(config_, random_);
}

PeerConnectionCore::~PeerConnectionCore() = default;

// ---- sockets and gathering ---------------------------------------------------------------------

void PeerConnectionCore::add_local_socket(Instant now, ice::SocketId socket, SocketAddress bound) {
    impl_->sockets.push_back({socket, bound});
    if (impl_->gathering_started) impl_->agent->add_local_socket(now, socket, bound);
    pump(now);
}

void PeerConnectionCore::end_of_local_sockets(Instant now) {
    impl_->sockets_done = true;
    if (impl_->gathering_started) impl_->agent->end_of_local_sockets(now);
    pump(now);
}

void PeerConnectionCore::ensure_agent(bool controlling) {
    if (impl_->agent) return;
    ice::AgentConfig c;
    c.controlling = controlling;
    c.local = impl_->credentials;
    c.stun_servers = config_.stun_servers;
    c.lite = config_.ice_lite;
    c.relay_only = config_.relay_only;
    impl_->agent.emplace(std::move(c), random_);
}

void PeerConnectionCore::start_gathering(Instant now) {
    if (impl_->gathering_started) return;
    impl_->gathering_started = true;
    for (const auto& s : impl_->sockets)
        impl_->agent->add_local_socket(now, s.id, s.address);
    if (impl_->sockets_done) impl_->agent->end_of_local_sockets(now);
}

// ---- JSEP
// ----------------------------------------------------------------------------------------

std::string PeerConnectionCore::describe_local(SdpType type) const {
    sdp::LocalParameters p;
    p.ice_ufrag = impl_->credentials.ufrag;
    p.ice_pwd = impl_->credentials.pwd;
    p.fingerprint = *sdp::Fingerprint::parse(config_.certificate->fingerprint());
    p.setup = type == SdpType::offer ? sdp::Setup::actpass : sdp::Setup::active;
    p.max_message_size = config_.max_message_size;
    p.candidates = impl_->local_candidates;
    p.end_of_candidates = impl_->local_end_of_candidates;
    p.session_id = impl_->session_id;
    p.session_version = impl_->session_version;
    p.ice_lite = config_.ice_lite;  // RFC 8839 §5.3: session-level a=ice-lite
    auto d =
        type == SdpType::offer ? sdp::create_offer(p) : sdp::create_answer(*impl_->remote_offer, p);
    if (!d) throw sdp::SdpError(d.error());
    return sdp::write(*d);
}

SessionDescription PeerConnectionCore::create_offer() {
    if (impl_->closed) throw InvalidStateError("create_offer: the PeerConnection is closed");
    if (signaling_ != SignalingState::stable && signaling_ != SignalingState::have_local_offer)
        throw InvalidStateError("create_offer in signaling state " +
                                std::string(to_string(signaling_)));
    return {SdpType::offer, describe_local(SdpType::offer)};
}

SessionDescription PeerConnectionCore::create_answer() {
    if (impl_->closed) throw InvalidStateError("create_answer: the PeerConnection is closed");
    if (signaling_ != SignalingState::have_remote_offer &&
        signaling_ != SignalingState::have_local_pranswer)
        throw InvalidStateError("create_answer needs a remote offer (signaling state " +
                                std::string(to_string(signaling_)) + ")");
    return {SdpType::answer, describe_local(SdpType::answer)};
}

void PeerConnectionCore::set_local_description(Instant now,
                                               std::optional<SessionDescription> description) {
    if (impl_->closed) throw InvalidStateError("set_local_description: closed");
    if (!description) {
        description = signaling_ == SignalingState::have_remote_offer ||
                              signaling_ == SignalingState::have_local_pranswer
                          ? create_answer()
                          : create_offer();
    }
    switch (description->type) {
        case SdpType::offer:
            if (signaling_ != SignalingState::stable &&
                signaling_ != SignalingState::have_local_offer)
                throw InvalidStateError("set_local_description(offer) in signaling state " +
                                        std::string(to_string(signaling_)));
            ensure_agent(true);
            impl_->local = SessionDescription{SdpType::offer, {}};
            set_signaling(SignalingState::have_local_offer);
            break;
        case SdpType::answer:
        case SdpType::pranswer:
            if (signaling_ != SignalingState::have_remote_offer &&
                signaling_ != SignalingState::have_local_pranswer)
                throw InvalidStateError("set_local_description(answer) in signaling state " +
                                        std::string(to_string(signaling_)));
            impl_->local = SessionDescription{description->type, {}};
            if (description->type == SdpType::answer) {
                const auto remote_setup = impl_->remote_params->setup;
                const auto local_setup =
                    sdp::answer_setup(remote_setup).value_or(sdp::Setup::active);
                impl_->dtls_role = sdp::is_dtls_client(local_setup, remote_setup)
                                       ? dtls::Role::client
                                       : dtls::Role::server;
                set_signaling(SignalingState::stable);
            } else {
                set_signaling(SignalingState::have_local_pranswer);
            }
            break;
        case SdpType::rollback:
            if (signaling_ == SignalingState::have_local_offer) {
                impl_->local.reset();
                set_signaling(SignalingState::stable);
            } else if (signaling_ != SignalingState::stable) {
                throw InvalidStateError("rollback of a local description in signaling state " +
                                        std::string(to_string(signaling_)));
            }
            return;
    }
    if (gathering_ == IceGatheringState::new_) {
        gathering_ = IceGatheringState::gathering;
        events_.push_back(core_event::GatheringState{gathering_});
    }
    start_gathering(now);
    maybe_start_transport(now);
    pump(now);
}

void PeerConnectionCore::set_remote_description(Instant now,
                                                const SessionDescription& description) {
    if (impl_->closed) throw InvalidStateError("set_remote_description: closed");
    if (description.type == SdpType::rollback) {
        if (signaling_ == SignalingState::have_remote_offer) {
            impl_->remote.reset();
            impl_->remote_params.reset();
            set_signaling(SignalingState::stable);
        } else if (signaling_ != SignalingState::stable) {
            throw InvalidStateError("rollback of a remote description in signaling state " +
                                    std::string(to_string(signaling_)));
        }
        return;
    }
    const bool offer = description.type == SdpType::offer;
    if (offer && signaling_ != SignalingState::stable &&
        signaling_ != SignalingState::have_remote_offer)
        throw InvalidStateError("set_remote_description(offer) in signaling state " +
                                std::string(to_string(signaling_)));
    if (!offer && signaling_ != SignalingState::have_local_offer &&
        signaling_ != SignalingState::have_remote_pranswer)
        throw InvalidStateError("set_remote_description(answer) in signaling state " +
                                std::string(to_string(signaling_)));
    if (impl_->remote_params && impl_->agent && signaling_ == SignalingState::stable)
        throw InvalidStateError("renegotiation is not supported yet");
    // Parses and checks everything before changing any state (throws sdp::SdpError, an
    // OperationError naming the line).
    const auto type = description.type == SdpType::offer      ? sdp::SdpType::offer
                      : description.type == SdpType::pranswer ? sdp::SdpType::pranswer
                                                              : sdp::SdpType::answer;
    auto read = sdp::read_remote(description.sdp, type);
    if (!read) throw sdp::SdpError(read.error());
    sdp::RemoteDataParameters params = std::move(*read);
    std::optional<sdp::SessionDescription> parsed_offer;
    if (offer) {
        auto parsed = sdp::parse(description.sdp);
        if (!parsed) throw sdp::SdpError(sdp::to_description_error(parsed.error()));
        parsed_offer = std::move(*parsed);
    }

    // RFC 8445 §6.1.1: one lite and one full agent is fine (the full one controls); two lite
    // agents would both wait for checks that never come.
    if (params.ice_lite && config_.ice_lite)
        throw OperationError(
            "set_remote_description: both sides are ICE-lite (a=ice-lite); one must be a full "
            "ICE agent (RFC 8445 §6.1.1)");

    // The answerer is controlled, unless the offerer is lite (§6.1.1: the full agent controls).
    ensure_agent(!offer || params.ice_lite);
    if (params.ice_lite) impl_->agent->set_remote_lite();
    impl_->remote = description;
    if (parsed_offer) impl_->remote_offer = std::move(parsed_offer);
    // 0 means no limit (RFC 8841 §6); capped at 1 GiB all the same.
    remote_max_message_size_ = params.max_message_size == 0
                                   ? std::size_t(1) << 30
                                   : std::min<std::size_t>(params.max_message_size, 1u << 30);
    impl_->remote_fingerprints.clear();
    for (const auto& f : params.fingerprints)
        impl_->remote_fingerprints.push_back(f.to_string());
    auto& agent = *impl_->agent;
    agent.set_remote_credentials(ice::Credentials{params.ice_ufrag, params.ice_pwd});
    for (const auto& c : params.candidates)
        agent.add_remote_candidate(now, c);
    if (params.end_of_candidates) {
        agent.end_of_remote_candidates(now);
        impl_->remote_end_of_candidates = true;
    }
    if (offer) {
        set_signaling(SignalingState::have_remote_offer);
    } else {
        // Our offer said actpass: the answerer's choice decides.
        impl_->dtls_role = sdp::is_dtls_client(sdp::Setup::actpass, params.setup)
                               ? dtls::Role::client
                               : dtls::Role::server;
        set_signaling(description.type == SdpType::answer ? SignalingState::stable
                                                          : SignalingState::have_remote_pranswer);
    }
    impl_->remote_params = std::move(params);
    if (impl_->sctp) impl_->sctp->set_remote_max_message_size(remote_max_message_size_);
    maybe_start_transport(now);
    pump(now);
}

void PeerConnectionCore::add_ice_candidate(Instant now,
                                           const std::optional<IceCandidate>& candidate) {
    if (impl_->closed) throw InvalidStateError("add_ice_candidate: closed");
    if (!impl_->remote_params)
        throw InvalidStateError("add_ice_candidate before set_remote_description");
    if (!candidate || candidate->candidate.empty()) {
        impl_->agent->end_of_remote_candidates(now);
        impl_->remote_end_of_candidates = true;
        pump(now);
        return;
    }
    if (!candidate->sdp_mid.empty() && candidate->sdp_mid != impl_->remote_params->mid)
        throw OperationError("add_ice_candidate: unknown sdpMid '" + candidate->sdp_mid + "'");
    auto parsed = ice::Candidate::parse(candidate->candidate);
    if (!parsed)
        throw OperationError("add_ice_candidate: field " + std::to_string(parsed.error().field) +
                             ": " + parsed.error().reason + " (in \"" + candidate->candidate +
                             "\")");
    if (auto ufrag = parsed->extension("ufrag"); ufrag && *ufrag != impl_->remote_params->ice_ufrag)
        return;  // for another ICE generation: ignored, as browsers do
    impl_->remote_candidates_added.push_back(*parsed);
    impl_->agent->add_remote_candidate(now, std::move(*parsed));
    pump(now);
}

std::optional<SessionDescription> PeerConnectionCore::local_description() const {
    if (!impl_->local) return std::nullopt;
    return SessionDescription{impl_->local->type, describe_local(impl_->local->type)};
}

std::optional<SessionDescription> PeerConnectionCore::remote_description() const {
    return impl_->remote;
}

void PeerConnectionCore::set_signaling(SignalingState state) {
    if (signaling_ == state) return;
    signaling_ = state;
    events_.push_back(core_event::Signaling{state});
}

// ---- transport -------------------------------------------------------------------------------

void PeerConnectionCore::maybe_start_transport(Instant now) {
    // DTLS starts once the role is known and ICE has a pair to send on (a ClientHello sent into
    // the void would wait a whole retransmission timeout).
    if (impl_->dtls_started || !impl_->dtls_role || (!impl_->pair && !impl_->dtls_path)) return;
    impl_->dtls_started = true;
    // The first retransmission wait follows the path's round trip, as browsers do (docs/dtls.md).
    const auto rtt = impl_->agent->round_trip_time();
    impl_->dtls.set_initial_retransmit(dtls::initial_retransmit_for(rtt));
    FLOE_LOG(LogLevel::debug, kLog)
        << "DTLS " << (*impl_->dtls_role == dtls::Role::client ? "client" : "server")
        << ", first retransmission after " << to_ms(dtls::initial_retransmit_for(rtt))
        << " ms, expecting " << impl_->remote_fingerprints.size() << " fingerprint(s)";
    impl_->dtls.start(now, *impl_->dtls_role, impl_->remote_fingerprints);
}

void PeerConnectionCore::start_sctp(Instant now) {
    if (impl_->sctp) return;
    sctp::Config c;
    c.role = *impl_->dtls_role == dtls::Role::client ? sctp::Role::client : sctp::Role::server;
    c.remote_port = impl_->remote_params ? impl_->remote_params->sctp_port : 5000;
    c.local_max_message_size = config_.max_message_size;
    c.remote_max_message_size = remote_max_message_size_;
    c.max_streams = config_.max_streams;
    // SCTP packets must fit one DTLS record: ask DTLS what fits after the negotiated cipher.
    if (const std::size_t fit = impl_->dtls.max_payload(); fit > 0 && fit < c.mtu) {
        FLOE_LOG(LogLevel::debug, kLog) << "SCTP MTU " << fit << " (DTLS payload limit)";
        c.mtu = fit;
    }
    impl_->sctp.emplace(c);
    for (ChannelHandle h : impl_->unopened)
        open_in_sctp(h);
    impl_->unopened.clear();
    (void)now;
}

void PeerConnectionCore::open_in_sctp(ChannelHandle handle) {
    auto& info = impl_->channels.at(handle);
    sctp::ChannelOptions options;
    options.reliability = reliability_of(info.init);
    if (info.init.negotiated) options.negotiated_id = info.init.id;
    auto id = impl_->sctp->open_channel(info.label, info.protocol, options);
    if (!id) {
        info.state = DataChannelState::closed;
        events_.push_back(core_event::ChannelError{
            handle, "cannot open channel: " + std::string(sctp::to_string(id.error()))});
        events_.push_back(core_event::ChannelClosed{handle});
        return;
    }
    info.id = *id;
    impl_->by_id[*id] = handle;
}

void PeerConnectionCore::handle_datagram(Instant now, ice::SocketId socket, SocketAddress from,
                                         ByteSpan data) {
    if (finished() || data.empty()) return;
    FLOE_LOG(LogLevel::trace, "rtc")
        << "in  " << from.to_string() << " " << describe_datagram(data);
    const std::uint8_t first = data[0];
    if (first <= 3) {
        if (impl_->agent) impl_->agent->handle_input(now, socket, from, data);
    } else if (first >= 20 && first <= 63) {
        // DTLS (and the SCTP inside it) only from a remote address ICE validated for this
        // session, on the socket it arrived on, as libwebrtc does: otherwise one spoofed
        // plaintext alert, before the handshake too, ends the transport. The agent counts drops.
        if (!impl_->agent || !impl_->agent->accept_data(now, socket, from)) {
            if (!impl_->agent) {
                FLOE_LOG(LogLevel::debug, "rtc")
                    << "DTLS from " << from.to_string() << " before ICE started: dropped";
            }
            return;
        }
        // The DTLS server answers on the validated path the peer's handshake arrived on, even
        // before its own nomination completed: the peer sends DTLS only once it selected a pair,
        // and a controlling agent whose nominating check answers are lost would otherwise leave
        // the ClientHellos unanswered until the client gives up (tests/sim, seed 0xf100005a).
        if (!impl_->pair && !impl_->dtls_path && impl_->dtls_role == dtls::Role::server) {
            impl_->dtls_path = Impl::Path{socket, from};
            maybe_start_transport(now);
        }
        impl_->dtls.handle_input(now, data);
    } else {
        return;  // RFC 7983: not ours (no SRTP, TURN channels or ZRTP here)
    }
    pump(now);
}

void PeerConnectionCore::handle_timeout(Instant now) {
    if (finished()) return;
    if (impl_->agent) impl_->agent->handle_timeout(now);
    if (impl_->dtls_started) impl_->dtls.handle_timeout(now);
    if (impl_->sctp) impl_->sctp->handle_timeout(now);
    pump(now);
    if (impl_->lingering && now >= impl_->linger_until) {
        FLOE_LOG(LogLevel::info, kLog) << "close: the peer did not complete the shutdown in time";
        finish_close(now, true);
    }
}

std::optional<Instant> PeerConnectionCore::poll_timeout() const {
    if (finished()) return std::nullopt;
    std::optional<Instant> at;
    const auto merge = [&](std::optional<Instant> t) {
        if (t && (!at || *t < *at)) at = t;
    };
    if (impl_->agent) merge(impl_->agent->poll_timeout());
    if (impl_->dtls_started) merge(impl_->dtls.poll_timeout());
    if (impl_->sctp) merge(impl_->sctp->poll_timeout());
    if (impl_->lingering) merge(impl_->linger_until);
    return at;
}

std::optional<Transmit> PeerConnectionCore::poll_transmit() {
    if (impl_->out.empty()) return std::nullopt;
    Transmit t = std::move(impl_->out.front());
    impl_->out.pop_front();
    return t;
}

void PeerConnectionCore::recycle(Bytes buffer) {
    impl_->datagram_buffers.give(std::move(buffer));
}

std::optional<CoreEvent> PeerConnectionCore::poll_event() {
    if (events_.empty()) return std::nullopt;
    CoreEvent e = std::move(events_.front());
    events_.pop_front();
    // A closed channel is forgotten once its last event is out (events before it still find
    // its record): a peer opening and closing channels in a loop must not grow our memory.
    if (auto* closed = std::get_if<core_event::ChannelClosed>(&e)) {
        auto it = impl_->channels.find(closed->channel);
        if (it != impl_->channels.end() && it->second.state == DataChannelState::closed) {
            const DataChannelStats& c = it->second.stats;
            auto& total = impl_->closed_channels;
            total.messages_sent += c.messages_sent;
            total.bytes_sent += c.bytes_sent;
            total.messages_received += c.messages_received;
            total.bytes_received += c.bytes_received;
            if (it->second.was_open) ++total.data_channels_closed;
            std::erase(remote_opened_, closed->channel);
            std::erase(impl_->unopened, closed->channel);
            impl_->channels.erase(it);
        }
    }
    return e;
}

void PeerConnectionCore::send_dtls_datagrams() {
    while (auto d = impl_->dtls.poll_transmit()) {
        // The selected pair, or until there is one the path the peer's handshake came on.
        if (!impl_->pair && !impl_->dtls_path) continue;  // nowhere to send yet: DTLS retransmits
        const auto socket = impl_->pair ? impl_->pair->socket : impl_->dtls_path->socket;
        const SocketAddress& to =
            impl_->pair ? impl_->pair->remote_address : impl_->dtls_path->remote;
        Bytes datagram = impl_->datagram_buffers.take();
        datagram.assign(d->begin(), d->end());
        impl_->out.push_back(Transmit{socket, to, std::move(datagram)});
    }
}

// Moves everything the layers produced one step further, until nothing moves. Flat loop: each
// layer is drained in turn, lower layers first.
void PeerConnectionCore::pump(Instant now) {
    for (bool moved = true; moved && !finished();) {
        moved = false;
        if (impl_->agent) {
            while (auto t = impl_->agent->poll_transmit()) {
                impl_->out.push_back(Transmit{t->socket, t->destination, std::move(t->data)});
            }
            while (auto e = impl_->agent->poll_event()) {
                moved = true;
                handle_ice_event(now, *e);
            }
        }
        if (impl_->dtls_started) {
            while (auto e = impl_->dtls.poll_event()) {
                moved = true;
                handle_dtls_event(now, *e);
            }
        }
        if (impl_->sctp) {
            while (auto p = impl_->sctp->poll_transmit()) {
                if (!impl_->dtls.send(*p)) {
                    // Once DTLS has closed (the peer's close_notify), SCTP's last packets (its
                    // ABORT) have nowhere to go: expected. A refusal while connected is a bug.
                    if (impl_->dtls.state() == dtls::State::connected) {
                        FLOE_LOG(LogLevel::warn, kLog)
                            << "DTLS refused an SCTP packet of " << p->size() << " bytes (limit "
                            << impl_->dtls.max_payload() << ")";
                    } else {
                        FLOE_LOG(LogLevel::debug, kLog)
                            << "SCTP packet of " << p->size() << " bytes dropped: DTLS is "
                            << dtls::to_string(impl_->dtls.state());
                    }
                }
                // One application-data record per datagram: dtls::Transport packs every record
                // that fits into one datagram, and aiortc (1.4) reads only the first record of
                // each datagram, so the others would stall until SCTP retransmits them.
                send_dtls_datagrams();
                impl_->sctp->recycle(std::move(*p));
            }
            while (auto e = impl_->sctp->poll_event()) {
                moved = true;
                handle_sctp_event(now, *e);
            }
        }
        send_dtls_datagrams();
    }
}

void PeerConnectionCore::handle_ice_event(Instant now, ice::Event& event) {
    if (auto* c = std::get_if<ice::event::LocalCandidate>(&event)) {
        FLOE_LOG(LogLevel::info, "ice") << "local candidate " << c->candidate.to_string();
        impl_->local_candidates.push_back(c->candidate);
        events_.push_back(
            core_event::LocalCandidate{to_public(c->candidate, impl_->remote_params)});
    } else if (std::holds_alternative<ice::event::GatheringComplete>(event)) {
        FLOE_LOG(LogLevel::info, "ice") << "gathering complete";
        impl_->local_end_of_candidates = true;
        gathering_ = IceGatheringState::complete;
        events_.push_back(core_event::GatheringState{gathering_});
        events_.push_back(core_event::LocalCandidate{std::nullopt});
    } else if (auto* s = std::get_if<ice::event::StateChanged>(&event)) {
        FLOE_LOG(LogLevel::info, "ice") << "state " << ice::to_string(s->state);
        if (impl_->closed) {  // the application saw "closed"; a lost path ends the shutdown
            if (impl_->lingering && s->state == ice::IceState::failed) finish_close(now, true);
            return;
        }
        ice_state_ = to_public(s->state);
        events_.push_back(core_event::IceState{ice_state_});
        update_connection_state();
    } else if (auto* p = std::get_if<ice::event::SelectedPairChanged>(&event)) {
        FLOE_LOG(LogLevel::info, "ice") << "selected pair local " << describe(p->pair.local)
                                        << " <-> remote " << describe(p->pair.remote);
        impl_->pair = p->pair;
        maybe_start_transport(now);
    } else if (auto* r = std::get_if<ice::event::RoleChanged>(&event)) {
        FLOE_LOG(LogLevel::info, "ice") << "role now " << ice::to_string(r->role);
    }
}

void PeerConnectionCore::handle_dtls_event(Instant now, dtls::Event& event) {
    if (auto* c = std::get_if<dtls::event::Connected>(&event)) {
        FLOE_LOG(LogLevel::info, "dtls")
            << "connected, " << c->cipher << ", peer " << c->peer_fingerprint;
        impl_->dtls_connected = true;
        impl_->cipher = c->cipher;
        // The handshake's last flight leaves in datagrams of its own before the first SCTP
        // packet (see pump(): aiortc reads one record per datagram).
        send_dtls_datagrams();
        start_sctp(now);
        update_connection_state();
    } else if (auto* d = std::get_if<dtls::event::DataReceived>(&event)) {
        if (!impl_->sctp) start_sctp(now);  // the peer's INIT came first
        impl_->sctp->handle_input(now, d->data);
        impl_->dtls.recycle(std::move(d->data));
    } else if (auto* cl = std::get_if<dtls::event::Closed>(&event)) {
        FLOE_LOG(LogLevel::info, "dtls") << "closed: " << cl->reason;
        if (impl_->lingering) return finish_close(now, true);
        impl_->dtls_connected = false;
        if (impl_->sctp) impl_->sctp->close();
        close_all_channels();
        connection_closed_by_peer_ = true;
        update_connection_state();
    } else if (auto* f = std::get_if<dtls::event::Failed>(&event)) {
        FLOE_LOG(LogLevel::warn, "dtls") << "failed: " << f->reason;
        if (impl_->lingering) return finish_close(now, true);
        impl_->dtls_failed = true;
        close_all_channels();
        update_connection_state();
    }
}

void PeerConnectionCore::close_all_channels() {
    for (auto& [handle, info] : impl_->channels) {
        if (info.state == DataChannelState::closed) continue;
        info.state = DataChannelState::closed;
        events_.push_back(core_event::ChannelClosed{handle});
    }
}

void PeerConnectionCore::handle_sctp_event(Instant now, sctp::Event& event) {
    namespace se = sctp::event;
    const auto find = [&](std::uint16_t id) -> std::pair<ChannelHandle, ChannelInfo*> {
        auto it = impl_->by_id.find(id);
        if (it == impl_->by_id.end()) return {0, nullptr};
        auto ch = impl_->channels.find(it->second);
        if (ch == impl_->channels.end()) return {0, nullptr};
        return {it->second, &ch->second};
    };
    if (std::holds_alternative<se::AssociationEstablished>(event)) {
        FLOE_LOG(LogLevel::info, "sctp") << "association established";
        sctp_up_ = true;
        update_connection_state();
    } else if (auto* c = std::get_if<se::AssociationClosed>(&event)) {
        FLOE_LOG(LogLevel::info, "sctp") << "association closed: " << c->reason;
        if (impl_->lingering) return finish_close(now, false);
        close_all_channels();
        connection_closed_by_peer_ = true;
        update_connection_state();
    } else if (auto* f = std::get_if<se::AssociationFailed>(&event)) {
        if (impl_->lingering) return finish_close(now, false);
        close_all_channels();
        if (sctp_up_) {
            // An ABORT after the association was up: the peer closed (its close() aborts).
            FLOE_LOG(LogLevel::info, "sctp") << "association ended: " << f->reason;
            connection_closed_by_peer_ = true;
        } else {
            FLOE_LOG(LogLevel::warn, "sctp") << "association failed: " << f->reason;
            sctp_failed_ = true;
        }
        update_connection_state();
    } else if (auto* r = std::get_if<se::ChannelRequested>(&event)) {
        FLOE_LOG(LogLevel::info, "sctp") << "peer opened channel '" << r->label << "' id " << r->id;
        const ChannelHandle h = impl_->next_handle++;
        ChannelInfo info;
        info.label = r->label;
        info.protocol = r->protocol;
        info.init = init_of(r->reliability, false, r->id);
        info.id = r->id;
        info.stats.label = r->label;
        info.stats.id = r->id;
        impl_->channels.emplace(h, std::move(info));
        impl_->by_id[r->id] = h;
        remote_opened_.push_back(h);
    } else if (auto* o = std::get_if<se::ChannelOpened>(&event)) {
        auto [h, info] = find(o->id);
        if (!info) return;
        info->state = DataChannelState::open;
        info->was_open = true;
        ++impl_->closed_channels.data_channels_opened;
        auto it = std::find(remote_opened_.begin(), remote_opened_.end(), h);
        if (it != remote_opened_.end()) {
            remote_opened_.erase(it);
            events_.push_back(core_event::ChannelIncoming{h});
        }
        events_.push_back(core_event::ChannelOpen{h});
    } else if (auto* m = std::get_if<se::Message>(&event)) {
        auto [h, info] = find(m->id);
        if (!info) return;
        info->stats.messages_received++;
        info->stats.bytes_received += m->data.size();
        events_.push_back(core_event::ChannelMessage{h, Message{m->binary, std::move(m->data)}});
    } else if (auto* b = std::get_if<se::BufferedAmountLow>(&event)) {
        auto [h, info] = find(b->id);
        if (info) events_.push_back(core_event::ChannelBufferedAmountLow{h});
    } else if (auto* cc = std::get_if<se::ChannelClosed>(&event)) {
        auto [h, info] = find(cc->id);
        if (!info) return;
        impl_->by_id.erase(cc->id);
        if (info->state != DataChannelState::closed) {
            info->state = DataChannelState::closed;
            events_.push_back(core_event::ChannelClosed{h});
        }
    }
}

void PeerConnectionCore::update_connection_state() {
    PeerConnectionState next = connection_;
    if (impl_->closed) {
        next = PeerConnectionState::closed;
    } else if (ice_state_ == IceConnectionState::failed || impl_->dtls_failed || sctp_failed_) {
        next = PeerConnectionState::failed;
    } else if (connection_closed_by_peer_) {
        next = PeerConnectionState::closed;
    } else if (ice_state_ == IceConnectionState::disconnected) {
        next = PeerConnectionState::disconnected;
    } else if (impl_->dtls_connected && (ice_state_ == IceConnectionState::connected ||
                                         ice_state_ == IceConnectionState::completed ||
                                         (impl_->dtls_path && !impl_->pair))) {
        // (DTLS up on the validated path the peer chose while our nomination is still retried:
        // usable, as a browser calls a pair with a successful check.)
        next = PeerConnectionState::connected;
    } else if (ice_state_ != IceConnectionState::new_ || impl_->dtls_started) {
        next = PeerConnectionState::connecting;
    }
    if (next == connection_) return;
    connection_ = next;
    events_.push_back(core_event::ConnectionState{next});
}

// ---- channels ----------------------------------------------------------------------------------

ChannelHandle PeerConnectionCore::create_data_channel(Instant now, std::string label,
                                                      DataChannelInit init) {
    if (impl_->closed) throw InvalidStateError("create_data_channel: closed");
    if (label.size() > 65535)
        throw InvalidArgumentError("data channel label longer than 65535 bytes");
    if (init.protocol.size() > 65535)
        throw InvalidArgumentError("data channel protocol longer than 65535 bytes");
    if (init.max_retransmits && init.max_packet_life_time)
        throw InvalidArgumentError(
            "max_retransmits and max_packet_life_time cannot both be set (W3C TypeError)");
    if (init.negotiated && !init.id)
        throw InvalidArgumentError("a negotiated data channel needs an id");
    if (init.id && *init.id >= config_.max_streams)
        throw InvalidArgumentError("data channel id " + std::to_string(*init.id) +
                                   " is out of range (0-" +
                                   std::to_string(config_.max_streams - 1) + ")");
    if (init.negotiated) {
        for (const auto& [h, c] : impl_->channels)
            if (c.id == init.id && c.state != DataChannelState::closed)
                throw OperationError("data channel id " + std::to_string(*init.id) +
                                     " is already in use");
    }
    if (!init.negotiated) init.id.reset();  // DCEP channels take the next id of our parity
    const ChannelHandle h = impl_->next_handle++;
    ChannelInfo info;
    info.label = std::move(label);
    info.protocol = init.protocol;
    info.init = init;
    info.stats.label = info.label;
    impl_->channels.emplace(h, std::move(info));
    if (impl_->sctp)
        open_in_sctp(h);
    else
        impl_->unopened.push_back(h);
    pump(now);
    return h;
}

void PeerConnectionCore::send(Instant now, ChannelHandle handle, bool binary, ByteSpan data) {
    auto it = impl_->channels.find(handle);
    if (it == impl_->channels.end() || it->second.state != DataChannelState::open || !impl_->sctp ||
        !it->second.id)
        throw InvalidStateError("send: the data channel is not open");
    if (data.size() > remote_max_message_size_)
        throw InvalidArgumentError("message of " + std::to_string(data.size()) +
                                   " bytes exceeds the peer's max-message-size " +
                                   std::to_string(remote_max_message_size_));
    impl_->sctp->advance_clock(now);  // its retransmission timer starts now, not at the last tick
    auto r = impl_->sctp->send(*it->second.id, binary, data);
    if (!r) {
        const auto e = r.error();
        if (e == sctp::SctpError::message_too_large)
            throw InvalidArgumentError("message too large for the peer");
        throw InvalidStateError(std::string("send: ") + std::string(sctp::to_string(e)));
    }
    it->second.stats.messages_sent++;
    it->second.stats.bytes_sent += data.size();
    pump(now);
}

void PeerConnectionCore::cork() {
    if (impl_->sctp) impl_->sctp->cork();
}

bool PeerConnectionCore::uncork(Instant now) {
    if (!impl_->sctp) return false;
    impl_->sctp->advance_clock(now);
    if (!impl_->sctp->uncork()) return false;
    pump(now);
    return true;
}

void PeerConnectionCore::close_channel(Instant now, ChannelHandle handle) {
    auto it = impl_->channels.find(handle);
    if (it == impl_->channels.end()) return;
    auto& info = it->second;
    if (info.state == DataChannelState::closed || info.state == DataChannelState::closing) return;
    if (impl_->sctp && info.id) {
        info.state = DataChannelState::closing;
        impl_->sctp->close_channel(*info.id);
    } else {
        // Never reached the association: closed at once.
        std::erase(impl_->unopened, handle);
        info.state = DataChannelState::closed;
        events_.push_back(core_event::ChannelClosed{handle});
    }
    pump(now);
}

void PeerConnectionCore::set_buffered_amount_low_threshold(ChannelHandle handle,
                                                           std::size_t bytes) {
    auto it = impl_->channels.find(handle);
    if (it == impl_->channels.end()) return;
    it->second.low_threshold = bytes;
    if (impl_->sctp && it->second.id)
        impl_->sctp->set_buffered_amount_low_threshold(*it->second.id, bytes);
}

const ChannelInfo* PeerConnectionCore::channel(ChannelHandle handle) const {
    auto it = impl_->channels.find(handle);
    if (it == impl_->channels.end()) return nullptr;
    auto& info = it->second;
    info.buffered_amount = impl_->sctp && info.id && info.state != DataChannelState::closed
                               ? impl_->sctp->buffered_amount(*info.id)
                               : 0;
    info.stats.state = info.state;
    info.stats.id = info.id;
    return &info;
}

void PeerConnectionCore::close(Instant now, Duration linger) {
    if (impl_->closed) return;
    impl_->closed = true;
    close_all_channels();
    set_signaling(SignalingState::closed);
    ice_state_ = IceConnectionState::closed;
    update_connection_state();
    const bool connected = impl_->sctp && impl_->sctp->established() && impl_->dtls_connected &&
                           impl_->pair && linger > Duration::zero();
    if (!connected) return finish_close(now, true);
    // The association ends on its own time: floe's queue is handed over, every DATA chunk
    // acknowledged, SHUTDOWN (RFC 9260 §9.2). ICE keeps answering checks meanwhile.
    impl_->lingering = true;
    impl_->linger_until = now + linger;
    impl_->sctp->shutdown();
    pump(now);
}

bool PeerConnectionCore::finished() const {
    return impl_->closed && !impl_->lingering;
}

// The last step of close(): the association is aborted unless it already ended, DTLS says
// close_notify, ICE stops.
void PeerConnectionCore::finish_close(Instant now, bool abort) {
    impl_->lingering = false;
    if (impl_->sctp && abort) {
        impl_->sctp->close();
        while (auto p = impl_->sctp->poll_transmit())
            impl_->dtls.send(*p);
    }
    if (impl_->dtls_started) impl_->dtls.close(now);
    send_dtls_datagrams();
    if (impl_->agent) impl_->agent->close();
}

PeerConnectionStats PeerConnectionCore::stats() const {
    PeerConnectionStats s = impl_->closed_channels;
    for (const auto& [h, info] : impl_->channels) {
        auto c = info.stats;
        c.state = info.state;
        c.id = info.id;
        s.messages_sent += c.messages_sent;
        s.bytes_sent += c.bytes_sent;
        s.messages_received += c.messages_received;
        s.bytes_received += c.bytes_received;
        s.channels.push_back(std::move(c));
    }
    if (impl_->pair)
        s.selected_candidate_pair = "local " + describe(impl_->pair->local) + " <-> remote " +
                                    describe(impl_->pair->remote);
    if (impl_->agent) {
        if (auto rtt = impl_->agent->round_trip_time()) s.round_trip_time_ms = to_ms(*rtt);
        const ice::AgentStats& a = impl_->agent->stats();
        s.datagrams_refused = a.data_refused;
        s.stun_dropped = a.malformed + a.unknown_transaction + a.unauthenticated + a.misdirected;
    }
    if (impl_->sctp) s.data_channels_refused = impl_->sctp->stats().refused_channels;
    s.dtls_cipher = impl_->cipher;
    s.local_fingerprint = config_.certificate->fingerprint();
    s.remote_fingerprint = impl_->dtls.peer_fingerprint();
    return s;
}

}  // namespace floe::rtc
