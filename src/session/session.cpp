#include "session/session.hpp"

#include <algorithm>
#include <utility>

#include <floe/error.hpp>

#include "common/log.hpp"
#include "dtls/certificate.hpp"
#include "session/observer.hpp"

namespace floe::session {

namespace {

constexpr const char* kLog = "session";
// Remote candidates trickled for a restarting remote offer before our answer: bounded, as the
// agent bounds its own (a peer cannot grow our memory by trickling before we answer).
constexpr std::size_t kMaxWaitingCandidates = 64;

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
      signaling_(Signaling::Local{ice::random_credentials(random),
                                  dtls::identity(*config_.certificate).fingerprint,
                                  config_.max_message_size,
                                  random.next_u64() & 0x7fffffffffffffffULL, config_.ice_lite},
                 random),
      pump_(*config_.certificate, config_.observer, random),
      remote_max_message_size_(sdp::kDefaultMaxMessageSize),
      pending_errors_(std::move(config_.candidate_errors)) {
    // A lite agent gathers host candidates only (RFC 8445 §2.5): no relay either.
    if (!config_.ice_lite) pump_.set_turn_servers(config_.turn_servers);
}

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

void Session::turn_stream_failed(Instant now, ice::SocketId socket, std::string reason) {
    if (finished()) return;
    pump_.turn_stream_failed(socket, std::move(reason));
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
    c.local = signaling_.local_credentials();
    c.stun_servers = config_.stun_servers;
    c.lite = config_.ice_lite;
    c.relay_only = config_.relay_only;
    pump_.ensure_agent(std::move(c));
}

void Session::emit_signaling(SignalingState before) {
    if (signaling_.state() != before) events_.push_back(event::Signaling{signaling_.state()});
}

// Three roles meet here, and they are different facts: the ICE role (controlling: the offerer,
// RFC 8445 §6.1.1; ice::Role), the a=setup negotiation (actpass/active/passive, RFC 8842 §5;
// sdp::Setup, read by Signaling into `dtls_client`), and the DTLS role it decides (DtlsRole: the
// client sends the ClientHello, and SCTP takes even stream ids, RFC 8832 §6). The answerer is
// ICE-controlled yet usually the DTLS client (JSEP: actpass answered with active).
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
    if (applied.local_restart && pump_.gathering_started()) {
        restart_agent(now, *applied.local_restart);
    } else if (gathering_ == IceGatheringState::new_) {
        gathering_ = IceGatheringState::gathering;
        events_.push_back(event::GatheringState{gathering_});
        gathering_wait_check_ = now + kGatheringWaitReport;
        // W3C webrtc §4.8.2: icecandidateerror is an event of gathering.
        for (auto& e : std::exchange(pending_errors_, {}))
            candidate_error(std::move(e));
    }
    pump_.start_gathering(now);
    // Our answer to a restarting offer: the new generation's remote side (RFC 8445 §9).
    if (remote_waits_for_answer_ && applied.local_restart) {
        remote_waits_for_answer_ = false;
        apply_remote_ice(now, *signaling_.remote());
    }
    pump_.maybe_start_dtls(now);
    pump(now);
}

// RFC 8445 §9: new local credentials, the remote side forgotten until the new generation's
// remote description, gathering again. The selected pair, and DTLS and SCTP over it, keep going
// until checks with the new credentials select a pair (the agent's restart()).
void Session::restart_agent(Instant now, const ice::Credentials& local) {
    FLOE_LOG(LogLevel::info, kLog) << "ICE restart: local ufrag " << local.ufrag;
    pump_.agent()->restart(now, local);
    agent_remote_.reset();
    gathering_ = IceGatheringState::gathering;
    events_.push_back(event::GatheringState{gathering_});
    gathering_wait_check_ = now + kGatheringWaitReport;
}

void Session::apply_remote_ice(Instant now, const sdp::RemoteDataParameters& params) {
    auto& agent = *pump_.agent();
    ice::Credentials remote{params.ice_ufrag, params.ice_pwd};
    agent.set_remote_credentials(remote);
    agent_remote_ = std::move(remote);
    if (config_.observer)
        config_.observer->ice_passwords(signaling_.local_credentials().pwd, params.ice_pwd);
    // The relays ask for a permission for each remote candidate (RFC 8656 §9).
    for (const auto& c : params.candidates) {
        agent.add_remote_candidate(now, c);
        pump_.remote_candidate(now, c);
    }
    for (auto& c : waiting_candidates_) {
        pump_.remote_candidate(now, c);
        agent.add_remote_candidate(now, std::move(c));
    }
    waiting_candidates_.clear();
    if (params.end_of_candidates || waiting_end_of_candidates_) agent.end_of_remote_candidates(now);
    waiting_end_of_candidates_ = false;
}

void Session::set_remote_description(Instant now, const SessionDescription& description) {
    const auto before = signaling_.state();
    const auto applied = signaling_.set_remote_description(description);
    if (applied.rollback) {
        // A rolled-back restarting offer never reached the agent.
        remote_waits_for_answer_ = false;
        waiting_candidates_.clear();
        waiting_end_of_candidates_ = false;
        return emit_signaling(before);
    }
    ensure_agent(*applied.ice_controlling);
    const sdp::RemoteDataParameters& params = *signaling_.remote();
    if (params.ice_lite) pump_.agent()->set_remote_lite();
    // 0 means no limit (RFC 8841 §6); capped at 1 GiB all the same.
    remote_max_message_size_.store(params.max_message_size == 0
                                       ? std::size_t(1) << 30
                                       : std::min<std::size_t>(params.max_message_size, 1u << 30),
                                   std::memory_order_relaxed);
    pump_.set_remote_fingerprints(params.fingerprints);
    const ice::Credentials remote{params.ice_ufrag, params.ice_pwd};
    if (applied.remote_restart && description.type == SdpType::offer) {
        // RFC 8839 §4.4.1.1.1: the peer restarts ICE. The agent restarts with our answer, which
        // brings our new credentials (set_local_description); the old generation runs until then.
        FLOE_LOG(LogLevel::info, kLog) << "the remote offer restarts ICE: ufrag " << remote.ufrag;
        // (Candidates trickled for an earlier pending offer with the same credentials stay.)
        if (!remote_waits_for_answer_ || waiting_ufrag_ != remote.ufrag) {
            waiting_candidates_.clear();
            waiting_end_of_candidates_ = false;
        }
        remote_waits_for_answer_ = true;
        waiting_ufrag_ = remote.ufrag;
    } else {
        // New remote credentials in an answer to an offer that kept ours (the peer answered
        // with new ones anyway, e.g. after we rolled back a restarting offer): the agent moves
        // to a new generation with the credentials it has, so that it takes the new ones.
        if (agent_remote_ && *agent_remote_ != remote)
            restart_agent(now, signaling_.local_credentials());
        // First description, the new generation after our restart, or the same credentials
        // again (a renegotiation that changes nothing: known candidates are ignored).
        apply_remote_ice(now, params);
    }
    apply_dtls_role(applied);
    emit_signaling(before);
    pump_.maybe_start_dtls(now);
    pump(now);
}

void Session::add_ice_candidate(Instant now, const std::optional<IceCandidate>& candidate) {
    // W3C addIceCandidate: a candidate that names no section (neither sdpMid nor sdpMLineIndex)
    // is a TypeError, before anything else is looked at.
    if (candidate && !candidate->is_end_of_candidates() && !candidate->sdp_mid &&
        !candidate->sdp_mline_index)
        throw InvalidArgumentError("add_ice_candidate: sdpMid and sdpMLineIndex are both null");
    if (closed_) throw InvalidStateError("add_ice_candidate: closed");
    const sdp::RemoteDataParameters* remote = signaling_.remote();
    if (!remote) throw InvalidStateError("add_ice_candidate before set_remote_description");
    // RFC 8838 §4: a candidate, or an end-of-candidates, names its ICE generation by its ufrag.
    // One for another generation (trickled before a restart and delivered after it) is ignored,
    // as browsers do.
    if (candidate && candidate->username_fragment &&
        *candidate->username_fragment != remote->ice_ufrag)
        return;
    if (!candidate || candidate->is_end_of_candidates()) {
        if (remote_waits_for_answer_) {
            waiting_end_of_candidates_ = true;
            return;
        }
        pump_.agent()->end_of_remote_candidates(now);
        pump(now);
        return;
    }
    // W3C addIceCandidate: the mid names the section, else the m-line index does.
    if (!sdp::is_for_data_section(*remote, candidate->sdp_mid, candidate->sdp_mline_index))
        throw OperationError(
            "add_ice_candidate: " +
            (candidate->sdp_mid
                 ? "unknown sdpMid '" + *candidate->sdp_mid + "'"
                 : "unknown sdpMLineIndex " + std::to_string(*candidate->sdp_mline_index)));
    auto parsed = candidate->parse();
    if (!parsed)
        throw OperationError("add_ice_candidate: field " + std::to_string(parsed.error().field) +
                             ": " + parsed.error().reason + " (in \"" + candidate->candidate +
                             "\")");
    // The same rule for the ufrag extension of the line itself.
    if (auto ufrag = parsed->extension("ufrag"); ufrag && *ufrag != remote->ice_ufrag) return;
    if (remote_waits_for_answer_) {
        if (waiting_candidates_.size() < kMaxWaitingCandidates)
            waiting_candidates_.push_back(std::move(*parsed));
        return;
    }
    pump_.remote_candidate(now, *parsed);
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
    c.role = *pump_.dtls_role();  // the same DtlsRole: stream id parity follows it
    const auto* remote = signaling_.remote();
    c.remote_port = remote ? remote->sctp_port : 5000;
    c.local_max_message_size = config_.max_message_size;
    // The peer's limit is the session's to check (check_message_size), once per send.
    c.remote_max_message_size = 0;
    c.max_streams = config_.max_streams;
    if (const ice::Agent* agent = pump_.agent())
        c.initial_rto = sctp::initial_rto_for(agent->round_trip_time());
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
    if (gathering_wait_check_ && now >= *gathering_wait_check_) report_gathering_wait();
    if (lingering_ && now >= linger_until_) {
        // What the peer had not acknowledged is lost: say so where it shows by default.
        FLOE_LOG(LogLevel::warn, kLog)
            << "close: the peer did not complete the shutdown within close_linger; aborting "
               "the association (data it had not acknowledged is lost)";
        finish_close(now, true);
    }
}

std::optional<Instant> Session::poll_timeout() const {
    if (finished()) return std::nullopt;
    auto at = pump_.poll_timeout();
    if (lingering_ && (!at || linger_until_ < *at)) at = linger_until_;
    if (gathering_wait_check_ && gathering_ == IceGatheringState::gathering &&
        (!at || *gathering_wait_check_ < *at))
        at = gathering_wait_check_;
    return at;
}

// A user waiting for gathering (a non-trickle offer waits for all of it) hears what it waits on:
// a STUN server that does not answer retransmits for 39.5 s (RFC 8489 §6.2.1), a TURN server
// over UDP for about 6 s. Said once per gathering round, at warn so that the CLI shows it.
void Session::report_gathering_wait() {
    gathering_wait_check_.reset();
    if (gathering_ != IceGatheringState::gathering) return;
    const auto waits = pump_.gathering_waits_for(config_.stun_server_urls);
    if (waits.empty()) return;
    std::string list;
    for (const auto& w : waits)
        list += (list.empty() ? "" : ", ") + w;
    FLOE_LOG(LogLevel::warn, kLog)
        << "ICE gathering is waiting for " << list << " (no answer after "
        << std::chrono::duration_cast<std::chrono::seconds>(kGatheringWaitReport).count()
        << " s; gathering completes when each answers or gives up)";
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
