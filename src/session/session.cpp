#include "session/session.hpp"

#include <algorithm>
#include <utility>

#include <floe/error.hpp>

#include "common/log.hpp"
#include "session/observer.hpp"

namespace floe::session {

namespace {

constexpr const char* kLog = "session";

Config with_certificate(Config config) {
    if (!config.certificate) config.certificate = Certificate::generate();
    return config;
}

sctp::Reliability reliability_of(const DataChannelInit& init) {
    sctp::Reliability r;
    r.ordered = init.ordered;
    if (init.max_retransmits) r.max_retransmits = *init.max_retransmits;
    if (init.max_packet_life_time) r.max_packet_life_time = *init.max_packet_life_time;
    return r;
}

}  // namespace

Session::Session(Config config, Random& random)
    : config_(with_certificate(std::move(config))),
      credentials_(ice::random_credentials(random)),
      signaling_(Signaling::Local{credentials_, config_.certificate->fingerprint(),
                                  config_.max_message_size,
                                  random.next_u64() & 0x7fffffffffffffffULL, config_.ice_lite}),
      pump_(*config_.certificate, config_.observer, random),
      remote_max_message_size_(sdp::kDefaultMaxMessageSize),
      pending_errors_(std::move(config_.candidate_errors)) {}

Session::~Session() = default;

void Session::report_candidate_error(IceCandidateError error) {
    if (gathering_ == IceGatheringState::new_)
        pending_errors_.push_back(std::move(error));
    else
        candidate_error(std::move(error));
}

void Session::candidate_error(IceCandidateError error) {
    if (closed_) return;
    FLOE_LOG(LogLevel::warn, "ice")
        << "ICE candidate error " << error.error_code << " ("
        << (error.url.empty() ? "configuration" : error.url) << "): " << error.error_text;
    ++ice_candidate_errors_;
    events_.push_back(event::CandidateError{std::move(error)});
}

// ---- sockets and signaling ---------------------------------------------------------------------

void Session::add_local_socket(Instant now, ice::SocketId socket, SocketAddress bound) {
    pump_.add_local_socket(now, socket, bound);
    pump(now);
}

void Session::end_of_local_sockets(Instant now) {
    pump_.end_of_local_sockets(now);
    pump(now);
}

void Session::ensure_agent(bool controlling) {
    if (pump_.agent()) return;
    ice::AgentConfig c;
    c.controlling = controlling;
    c.local = credentials_;
    c.stun_servers = config_.stun_servers;
    c.lite = config_.ice_lite;
    c.relay_only = config_.relay_only;
    pump_.ensure_agent(std::move(c));
}

void Session::emit_signaling(SignalingState before) {
    if (signaling_.state() != before) events_.push_back(event::Signaling{signaling_.state()});
}

void Session::apply_dtls_role(const Signaling::Applied& applied) {
    if (applied.dtls_client)
        pump_.set_dtls_role(*applied.dtls_client ? dtls::Role::client : dtls::Role::server);
}

void Session::set_local_description(Instant now, std::optional<SessionDescription> description) {
    const auto before = signaling_.state();
    const auto applied = signaling_.set_local_description(std::move(description));
    if (applied.ice_controlling) ensure_agent(*applied.ice_controlling);
    apply_dtls_role(applied);
    emit_signaling(before);
    if (applied.rollback) return;
    if (gathering_ == IceGatheringState::new_) {
        gathering_ = IceGatheringState::gathering;
        events_.push_back(event::GatheringState{gathering_});
        // W3C webrtc §4.8.2: icecandidateerror is an event of gathering.
        for (auto& e : std::exchange(pending_errors_, {}))
            candidate_error(std::move(e));
    }
    pump_.start_gathering(now);
    pump_.maybe_start_dtls(now);
    pump(now);
}

void Session::set_remote_description(Instant now, const SessionDescription& description) {
    const auto before = signaling_.state();
    const auto applied = signaling_.set_remote_description(description);
    if (applied.rollback) return emit_signaling(before);
    ensure_agent(*applied.ice_controlling);
    const sdp::RemoteDataParameters& params = *signaling_.remote();
    if (params.ice_lite) pump_.agent()->set_remote_lite();
    // 0 means no limit (RFC 8841 §6); capped at 1 GiB all the same.
    remote_max_message_size_.store(params.max_message_size == 0
                                       ? std::size_t(1) << 30
                                       : std::min<std::size_t>(params.max_message_size, 1u << 30),
                                   std::memory_order_relaxed);
    std::vector<std::string> fingerprints;
    for (const auto& f : params.fingerprints)
        fingerprints.push_back(f.to_string());
    pump_.set_remote_fingerprints(std::move(fingerprints));
    auto& agent = *pump_.agent();
    agent.set_remote_credentials(ice::Credentials{params.ice_ufrag, params.ice_pwd});
    if (config_.observer) config_.observer->ice_passwords(credentials_.pwd, params.ice_pwd);
    for (const auto& c : params.candidates)
        agent.add_remote_candidate(now, c);
    if (params.end_of_candidates) agent.end_of_remote_candidates(now);
    apply_dtls_role(applied);
    emit_signaling(before);
    pump_.maybe_start_dtls(now);
    pump(now);
}

void Session::add_ice_candidate(Instant now, const std::optional<IceCandidate>& candidate) {
    if (closed_) throw InvalidStateError("add_ice_candidate: closed");
    const sdp::RemoteDataParameters* remote = signaling_.remote();
    if (!remote) throw InvalidStateError("add_ice_candidate before set_remote_description");
    if (!candidate || candidate->candidate.empty()) {
        pump_.agent()->end_of_remote_candidates(now);
        pump(now);
        return;
    }
    if (!candidate->sdp_mid.empty() && candidate->sdp_mid != remote->mid)
        throw OperationError("add_ice_candidate: unknown sdpMid '" + candidate->sdp_mid + "'");
    auto parsed = ice::Candidate::parse(candidate->candidate);
    if (!parsed)
        throw OperationError("add_ice_candidate: field " + std::to_string(parsed.error().field) +
                             ": " + parsed.error().reason + " (in \"" + candidate->candidate +
                             "\")");
    if (auto ufrag = parsed->extension("ufrag"); ufrag && *ufrag != remote->ice_ufrag)
        return;  // for another ICE generation: ignored, as browsers do
    pump_.agent()->add_remote_candidate(now, std::move(*parsed));
    pump(now);
}

// ---- channels ----------------------------------------------------------------------------------

ChannelHandle Session::create_data_channel(Instant now, std::string label, DataChannelInit init) {
    if (closed_) throw InvalidStateError("create_data_channel: closed");
    const ChannelHandle h =
        channels_.create(std::move(label), std::move(init), config_.max_streams);
    if (pump_.sctp())
        open_in_sctp(h);
    else
        channels_.defer(h);
    pump(now);
    return h;
}

void Session::start_sctp() {
    if (pump_.sctp()) return;
    sctp::Config c;
    c.role = *pump_.dtls_role() == dtls::Role::client ? sctp::Role::client : sctp::Role::server;
    const auto* remote = signaling_.remote();
    c.remote_port = remote ? remote->sctp_port : 5000;
    c.local_max_message_size = config_.max_message_size;
    // The peer's limit is the session's to check (check_message_size), once per send.
    c.remote_max_message_size = 0;
    c.max_streams = config_.max_streams;
    // SCTP packets must fit one DTLS record: ask DTLS what fits after the negotiated cipher.
    if (const std::size_t fit = pump_.dtls().max_payload(); fit > 0 && fit < c.mtu) {
        FLOE_LOG(LogLevel::debug, kLog) << "SCTP MTU " << fit << " (DTLS payload limit)";
        c.mtu = fit;
    }
    pump_.start_sctp(c);
    for (ChannelHandle h : channels_.take_deferred())
        open_in_sctp(h);
}

void Session::open_in_sctp(ChannelHandle handle) {
    auto& record = *channels_.find(handle);
    sctp::ChannelOptions options;
    options.reliability = reliability_of(record.init);
    if (record.init.negotiated) options.negotiated_id = record.init.id;
    auto id = pump_.sctp()->open_channel(record.label, record.protocol(), options);
    if (!id) {
        channels_.set_state(record, DataChannelState::closed);
        events_.push_back(event::ChannelError{
            handle, "cannot open channel: " + std::string(sctp::to_string(id.error()))});
        events_.push_back(event::ChannelClosed{handle});
        return;
    }
    channels_.bind_stream(handle, *id);
}

void Session::check_message_size(std::size_t bytes) const {
    // RFC 8831 §6.6: never send a message larger than the peer said it accepts.
    const std::size_t limit = remote_max_message_size();
    if (bytes > limit)
        throw InvalidArgumentError("message of " + std::to_string(bytes) +
                                   " bytes exceeds the peer's max-message-size " +
                                   std::to_string(limit));
}

void Session::send(Instant now, ChannelHandle handle, bool binary, ByteSpan data) {
    auto* record = channels_.find(handle);
    auto* sctp = pump_.sctp();
    const auto id = record ? record->stream() : std::nullopt;
    if (!record || record->state.load(std::memory_order_relaxed) != DataChannelState::open ||
        !sctp || !id)
        throw InvalidStateError("send: the data channel is not open");
    check_message_size(data.size());
    sctp->advance_clock(now);  // its retransmission timer starts now, not at the last tick
    auto r = sctp->send(*id, binary, data);
    if (!r)
        throw InvalidStateError(std::string("send: ") + std::string(sctp::to_string(r.error())));
    record->messages_sent++;
    record->bytes_sent += data.size();
    channels_.sent(handle);
    pump_.pump(now, *this);
    refresh_buffered(true);  // the message counts at once, packets or not
}

void Session::cork() {
    if (auto* sctp = pump_.sctp()) sctp->cork();
}

bool Session::uncork(Instant now) {
    auto* sctp = pump_.sctp();
    if (!sctp) return false;
    sctp->advance_clock(now);
    if (!sctp->uncork()) return false;
    pump(now);
    return true;
}

void Session::close_channel(Instant now, ChannelHandle handle) {
    auto* record = channels_.find(handle);
    if (!record) return;
    const auto state = record->state.load(std::memory_order_relaxed);
    if (state == DataChannelState::closed || state == DataChannelState::closing) return;
    if (pump_.sctp() && record->stream()) {
        channels_.set_state(*record, DataChannelState::closing);
        pump_.sctp()->close_channel(*record->stream());
    } else {
        // Never reached the association: closed at once.
        channels_.set_state(*record, DataChannelState::closed);
        events_.push_back(event::ChannelClosed{handle});
    }
    pump(now);
}

void Session::set_buffered_amount_low_threshold(ChannelHandle handle, std::size_t bytes) {
    auto* record = channels_.find(handle);
    if (!record) return;
    record->low_threshold.store(bytes, std::memory_order_relaxed);
    if (pump_.sctp() && record->stream())
        pump_.sctp()->set_buffered_amount_low_threshold(*record->stream(), bytes);
}

// ---- closing -----------------------------------------------------------------------------------

void Session::close(Instant now, Duration linger) {
    if (closed_) return;
    closed_ = true;
    close_all_channels();
    const auto before = signaling_.state();
    signaling_.close();
    emit_signaling(before);
    ice_state_ = IceConnectionState::closed;
    update_connection_state();
    auto* sctp = pump_.sctp();
    // A path to send on: the selected pair, or, before ICE selected one, the validated address
    // DTLS runs on (TransportPump::on_peer_path). Without the second a close() while the
    // nomination was still unanswered aborted the association and lost what send() accepted
    // (seen at 5 % loss against Chromium: the channel closed with none of 1 MiB delivered).
    const bool has_path = pump_.pair() || pump_.on_peer_path();
    const bool connected =
        sctp && sctp->established() && dtls_connected_ && has_path && linger > Duration::zero();
    if (!connected) return finish_close(now, true);
    // The association ends on its own time: floe's queue is handed over, every DATA chunk
    // acknowledged, SHUTDOWN (RFC 9260 §9.2). ICE keeps answering checks meanwhile.
    lingering_ = true;
    linger_until_ = now + linger;
    sctp->shutdown();
    pump(now);
}

// The last step of close(): the association is aborted unless it already ended, DTLS says
// close_notify, ICE stops.
void Session::finish_close(Instant now, bool abort) {
    lingering_ = false;
    pump_.close(now, abort);
}

// ---- sans-IO verbs -----------------------------------------------------------------------------

void Session::pump(Instant now) {
    pump_.pump(now, *this);
    refresh_buffered(false);
    if (config_.observer) watch_pairs(now);
}

void Session::refresh_buffered(bool force) {
    const std::uint64_t out = pump_.sctp_packets_out();
    if (!force && !buffered_fell_ && out == buffered_seen_) return;
    buffered_seen_ = out;
    buffered_fell_ = false;
    channels_.refresh_buffered(pump_.sctp());
}

void Session::handle_datagram(Instant now, ice::SocketId socket, SocketAddress from,
                              ByteSpan data) {
    if (finished() || data.empty()) return;
    pump_.handle_datagram(now, socket, from, data, *this);
    refresh_buffered(false);
    if (config_.observer) watch_pairs(now);
}

void Session::handle_timeout(Instant now) {
    if (finished()) return;
    pump_.handle_timeout(now);
    pump(now);
    if (lingering_ && now >= linger_until_) {
        FLOE_LOG(LogLevel::info, kLog) << "close: the peer did not complete the shutdown in time";
        finish_close(now, true);
    }
}

std::optional<Instant> Session::poll_timeout() const {
    if (finished()) return std::nullopt;
    auto at = pump_.poll_timeout();
    if (lingering_ && (!at || linger_until_ < *at)) at = linger_until_;
    return at;
}

std::optional<Event> Session::poll_event() {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    // A closed channel is forgotten once its last event is out (events before it still find
    // its record): a peer opening and closing channels in a loop must not grow our memory.
    if (auto* closed = std::get_if<event::ChannelClosed>(&e)) {
        const auto* record = channels_.find(closed->channel);
        if (record && record->state.load(std::memory_order_relaxed) == DataChannelState::closed)
            channels_.forget(closed->channel);
    }
    return e;
}

}  // namespace floe::session
