// usrsctp in AF_CONN mode, wrapped as a sans-IO association: construction, socket options, the
// sans-IO verbs and the association's state (establishment, end, shutdown). Receiving is in
// receive.cpp, sending in send_queue.cpp, channel open and close in channels.cpp, and the
// process-wide usrsctp state (see the comment there) in usrsctp_global.cpp.
#include "sctp/association.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "common/log.hpp"
#include "sctp/packet_trace.hpp"
#include "sctp/tuning.hpp"
#include "sctp/usrsctp_global.hpp"

namespace floe::sctp {

namespace {

// usrsctp's clock advances in ticks, and a timer is served at the first tick at or after its
// deadline. usrsctp does not tell when its next timer is due, so the tick follows what may be
// pending, waking the association only around the moments a timer can fire:
// - a delayed SACK (RFC 9260 §6.2) is owed kSackDelay after a packet with DATA came in, until a
//   SACK that acknowledges that DATA leaves (conn_output reads its cumulative TSN: usually on the
//   reply the DATA caused): ticks at that moment and every kFineTick for kSackSlack after it
//   (usrsctp's clock may lag ours by a tick, and another association may have just advanced it);
// - while data is in flight, T3-rtx (§6.3.2) cannot expire sooner than RTO.min after it was
//   (re)started: ticks every kFineTick from then on, so that a retransmission leaves no more than
//   a millisecond late (with RTO.min at 20 ms, a 10 ms tick made one up to 50 % late). Data is
//   in flight from the write that hands it to usrsctp until usrsctp reports the sender dry
//   (SCTP_SENDER_DRY_EVENT: everything acknowledged);
// - a packet that another association's call made for this one (a timer of ours fired by its
//   tick: usrsctp's timers are global) waits in the queue: ticks within kFineTick to send it;
// - with something else in progress (handshake, a queue, a stream reset), every kTimerTick;
// - idle, only every kIdleTick, for what else may be pending (we send no heartbeats), which
//   may fire that much late.
// Without the idle tick, 2,000 idle PeerConnections woke 200,000 times a second for nothing
// (floe bench W4 --pairs 1000). Before the rules above, every packet in or out brought a tick
// every millisecond until it was acknowledged and every 10 ms for 100 ms after: a W6 server of
// 1,000 clients at 5 messages/s each spent 12 % more CPU (docs/sctp.md, "Timers"). Before the
// SACK and sender-dry rules, a message echoed by a server woke each end about five times (a
// tick after every packet out, three for a SACK already sent with the reply).
constexpr Duration kFineTick = 1ms;
constexpr Duration kSackSlack = 2ms;
constexpr Duration kTimerTick = 10ms;
constexpr Duration kIdleTick = 200ms;
// How long after the last SACK that reported a loss every packet is acknowledged.
constexpr Duration kLossyWindow = 1s;

}  // namespace

std::string_view to_string(SctpError error) {
    switch (error) {
        case SctpError::not_established:
            return "association not established";
        case SctpError::unknown_channel:
            return "unknown channel";
        case SctpError::channel_not_open:
            return "channel not open";
        case SctpError::message_too_large:
            return "message larger than the peer's max-message-size";
        case SctpError::id_in_use:
            return "stream id in use";
        case SctpError::id_out_of_range:
            return "stream id out of range";
        case SctpError::no_free_id:
            return "no free stream id";
        case SctpError::invalid_options:
            return "invalid channel options";
        case SctpError::would_block:
            return "usrsctp refused the message";
    }
    return "?";
}

std::string_view to_string(ChannelState state) {
    switch (state) {
        case ChannelState::connecting:
            return "connecting";
        case ChannelState::open:
            return "open";
        case ChannelState::closing:
            return "closing";
        case ChannelState::closed:
            return "closed";
    }
    return "?";
}

Association::Association(const Config& config)
    : config_(config), conn_id_(UsrsctpGlobal::get().next_conn_id.fetch_add(1)) {
    if (config_.max_streams == 0) config_.max_streams = 1;
    UsrsctpGlobal& g = UsrsctpGlobal::get();
    {
        std::lock_guard lock(g.registry_mutex);
        g.live.emplace(conn_id_, this);
    }
    usrsctp_register_address(conn_addr());
    sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
    if (!sock_) {
        on_ended(true, "usrsctp_socket failed");
        return;
    }
    configure_socket();

    sockaddr_conn local{};
    local.sconn_family = AF_CONN;
    local.sconn_port = htons(config_.local_port);
    local.sconn_addr = conn_addr();
    if (usrsctp_bind(sock_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        on_ended(true, "bind failed");
        return;
    }
    // Both sides connect: SCTP resolves the simultaneous INITs (WebRTC has no listener).
    sockaddr_conn remote = local;
    remote.sconn_port = htons(config_.remote_port);
    const OwnCall own(this);
    if (usrsctp_connect(sock_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
        errno != EINPROGRESS) {
        on_ended(true, "connect failed");
        return;
    }
    after_usrsctp();
}

Association::~Association() {
    release_socket(true);
    usrsctp_deregister_address(conn_addr());
    UsrsctpGlobal& g = UsrsctpGlobal::get();
    std::lock_guard lock(g.registry_mutex);
    g.live.erase(conn_id_);
}

void Association::configure_socket() {
    usrsctp_set_non_blocking(sock_, 1);
    const int sndbuf = static_cast<int>(config_.send_buffer_size);
    const int rcvbuf = static_cast<int>(config_.receive_buffer_size);
    set_option(sock_, SOL_SOCKET, SO_SNDBUF, sndbuf, "SO_SNDBUF");
    set_option(sock_, SOL_SOCKET, SO_RCVBUF, rcvbuf, "SO_RCVBUF");
    const int on = 1;
    set_option(sock_, IPPROTO_SCTP, SCTP_NODELAY, on, "SCTP_NODELAY");
    set_option(sock_, IPPROTO_SCTP, SCTP_EXPLICIT_EOR, on, "SCTP_EXPLICIT_EOR");
    set_option(sock_, IPPROTO_SCTP, SCTP_RECVRCVINFO, on, "SCTP_RECVRCVINFO");

    auto assoc_value = [](std::uint32_t v) {
        sctp_assoc_value av{};
        av.assoc_id = SCTP_FUTURE_ASSOC;
        av.assoc_value = v;
        return av;
    };
    set_option(sock_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET,
               assoc_value(SCTP_ENABLE_RESET_STREAM_REQ), "SCTP_ENABLE_STREAM_RESET");
    set_option(sock_, IPPROTO_SCTP, SCTP_RECONFIG_SUPPORTED, assoc_value(1), "RECONFIG");
    set_option(sock_, IPPROTO_SCTP, SCTP_PR_SUPPORTED, assoc_value(1), "PR_SUPPORTED");
    set_option(sock_, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, assoc_value(0), "ECN_SUPPORTED");
    // No multi-homing under DTLS, hence no ASCONF, hence no AUTH (which ASCONF needs): a smaller
    // INIT and less per-packet work. ASCONF first: AUTH cannot go while ASCONF relies on it.
    set_option(sock_, IPPROTO_SCTP, SCTP_ASCONF_SUPPORTED, assoc_value(0), "ASCONF_SUPPORTED");
    set_option(sock_, IPPROTO_SCTP, SCTP_AUTH_SUPPORTED, assoc_value(0), "AUTH_SUPPORTED");

    // SACK after every second packet or 5 ms (RFC 9260 §6.2; usrsctp's default delay is 200 ms,
    // which stalls a sender that has filled the peer's window with a lone odd packet, and must be
    // below RTO.min): see tuning.hpp and docs/sctp.md ("Under loss").
    sctp_sack_info sack{};
    sack.sack_assoc_id = SCTP_FUTURE_ASSOC;
    sack.sack_delay = static_cast<std::uint32_t>(duration_cast<milliseconds>(kSackDelay).count());
    sack.sack_freq = kSackFrequency;
    set_option(sock_, IPPROTO_SCTP, SCTP_DELAYED_SACK, sack, "SCTP_DELAYED_SACK");
    sack_frequency_ = kSackFrequency;  // every packet while losses are reported (handle_timeout)

    // RTO.initial from the path's round trip when the session knows it (tuning.hpp). usrsctp keeps
    // RTO.min <= RTO.initial; set_scheduling_lag raises both together.
    config_.initial_rto = std::clamp<Duration>(duration_cast<milliseconds>(config_.initial_rto),
                                               kRtoMin, kRtoInitial);
    if (config_.initial_rto != kRtoInitial) {
        sctp_rtoinfo rto{};
        rto.srto_assoc_id = SCTP_FUTURE_ASSOC;
        rto.srto_initial =
            static_cast<std::uint32_t>(duration_cast<milliseconds>(config_.initial_rto).count());
        set_option(sock_, IPPROTO_SCTP, SCTP_RTOINFO, rto, "SCTP_RTOINFO");
    }

    sctp_initmsg init{};
    init.sinit_num_ostreams = config_.max_streams;
    init.sinit_max_instreams = config_.max_streams;
    set_option(sock_, IPPROTO_SCTP, SCTP_INITMSG, init, "SCTP_INITMSG");

    // A fixed path MTU: DTLS below us has its own, and PMTU discovery cannot see through it.
    // For AF_CONN, usrsctp lets chunks fill the whole path MTU and adds its 12-byte common header
    // on top (measured: packets reach pathmtu + 12), so ask for 12 bytes less.
    // No HEARTBEATs of our own (we still answer the peer's, RFC 9260 §8.3): with a single path
    // under DTLS they only probe liveness, which ICE consent freshness does for the whole
    // connection (RFC 7675, RFC 8831 §5). Each association's heartbeat timer sits in the one
    // timer list usrsctp walks whole at every tick: at 1,000 idle associations, server CPU
    // 354, 370 -> 318, 314 CPU-s per million messages (floe bench W6 --clients 1000 --rate 1).
    sctp_paddrparams params{};
    params.spp_assoc_id = SCTP_FUTURE_ASSOC;
    params.spp_flags = SPP_PMTUD_DISABLE | SPP_HB_DISABLE;
    params.spp_pathmtu = static_cast<std::uint32_t>(chunk_room());
    set_option(sock_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, params, "SCTP_PEER_ADDR_PARAMS");

    // SCTP_SEND_FAILED_EVENT: a partially reliable message abandoned before it was ever sent
    // leaves buffered_amount (account_transmitted never sees it).
    // SCTP_SENDER_DRY_EVENT: no data in flight any more (see in_flight_).
    for (std::uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SHUTDOWN_EVENT,
                               SCTP_PARTIAL_DELIVERY_EVENT, SCTP_STREAM_CHANGE_EVENT,
                               SCTP_SEND_FAILED_EVENT, SCTP_SENDER_DRY_EVENT}) {
        sctp_event ev{};
        ev.se_assoc_id = SCTP_FUTURE_ASSOC;
        ev.se_type = type;
        ev.se_on = 1;
        set_option(sock_, IPPROTO_SCTP, SCTP_EVENT, ev, "SCTP_EVENT");
    }
}

void Association::release_socket(bool abort) {
    if (!sock_) return;
    if (abort) {
        linger l{};
        l.l_onoff = 1;
        l.l_linger = 0;  // close = ABORT, and usrsctp frees the association at once
        set_option(sock_, SOL_SOCKET, SO_LINGER, l, "SO_LINGER");
    }
    usrsctp_close(sock_);
    sock_ = nullptr;
}

// ---- sans-IO verbs -------------------------------------------------------------------------

void Association::handle_input(Instant now, ByteSpan packet) {
    ++stats_.packets_received;
    // After a graceful end usrsctp still needs the peer's last chunks (SHUTDOWN-ACK, -COMPLETE).
    if (!sock_ || (state_ == State::closed && !shutdown_sent_ && !peer_shut_down_)) return;
    if (packet.size() < 12) {  // shorter than SCTP's common header
        ++stats_.malformed_packets;
        return;
    }
    FLOE_LOG(LogLevel::trace, "sctp") << "in  " << describe_packet(packet);
    // An association lost while usrsctp reads a packet with an ABORT was ended by the peer
    // (usrsctp checks the tag); lost anywhere else, its retransmissions ran out.
    const ChunkTypes chunks(packet);
    input_has_abort_ = chunks.has(kAbortChunk);
    const OwnCall own(this);
    now_ = now;
    tick(now);  // the timers this packet starts count from now
    // A (delayed) SACK is owed for DATA, unless one leaves during this call or with the reply
    // (conn_output clears it). Set after the clock's advance (a SACK it sends is for earlier
    // DATA) and before the input (usrsctp may acknowledge this packet at once).
    if (const auto tsn = chunks.last_data_tsn()) {
        // A second packet so soon: a flow, not a lone packet (set before usrsctp reads this one).
        if (sack_at_once_ && last_data_in_ && now - *last_data_in_ < kSackDelay)
            stop_sack_at_once(now);
        last_data_in_ = now;
        sack_due_ = now + kSackDelay;
        std::lock_guard lock(out_mutex_);
        // Serial arithmetic (RFC 1982): the highest TSN owed (a retransmission may be older).
        if (!sack_owed_ || static_cast<std::int32_t>(*tsn - sack_owed_for_tsn_) > 0)
            sack_owed_for_tsn_ = *tsn;
        sack_owed_ = true;
    }
    usrsctp_conninput(conn_addr(), packet.data(), packet.size(), 0);
    after_usrsctp();  // (reads the notifications this packet caused: a SACK may make us dry)
    input_has_abort_ = false;
    update_sack_frequency(now);
}

void Association::advance_clock(Instant now) {
    now_ = now;
    const OwnCall own(this);
    if (sock_) tick(now);
}

void Association::tick(Instant now) {
    ticking_ = true;
    UsrsctpGlobal::get().advance(now);
    ticking_ = false;
}

void Association::handle_timeout(Instant now) {
    last_timer_ = now;
    now_ = now;
    if (send_queue_.empty()) queue_buffers_.release();  // nothing is being sent: give them back
    if (!sock_) return;
    const OwnCall own(this);
    tick(now);
    after_usrsctp();
    // Once T3 could have fired, ask usrsctp itself (a getsockopt) rather than wait for the
    // sender-dry notification alone: a bulk sender is never dry, and this is where it ticks.
    if (in_flight_ && now + kFineTick >= t3_from_ + rto_min_)
        in_flight_ = state_ == State::established && has_data_in_flight();
    update_sack_frequency(now);
}

// While our SACKs report losses, and for a while after, acknowledge every packet: a lost SACK then
// costs nothing and the sender's recovery after a timeout is not paced by the delay. For a peer
// whose packets come alone, every packet too (kLoneSacksForAtOnce). Otherwise every second
// packet: one SACK fewer per round trip for W3's ping-pong (it rides on the reply).
void Association::update_sack_frequency(Instant now) {
    if (loss_seen_.exchange(false)) lossy_until_ = now + kLossyWindow;
    if (!sack_at_once_ && lone_sacks_.load(std::memory_order_relaxed) >= kLoneSacksForAtOnce) {
        sack_at_once_ = true;
        FLOE_LOG(LogLevel::debug, "sctp") << "the peer's packets come alone: SACK each at once";
    }
    set_sack_frequency(now < lossy_until_ || sack_at_once_ ? 1 : kSackFrequency);
}

void Association::stop_sack_at_once(Instant now) {
    sack_at_once_ = false;
    lone_sacks_.store(0, std::memory_order_relaxed);
    update_sack_frequency(now);
}

void Association::set_sack_frequency(std::uint32_t frequency) {
    if (frequency == sack_frequency_ || !sock_) return;
    sack_frequency_ = frequency;
    sctp_sack_info sack{};
    sack.sack_assoc_id = SCTP_CURRENT_ASSOC;
    sack.sack_delay = static_cast<std::uint32_t>(duration_cast<milliseconds>(kSackDelay).count());
    sack.sack_freq = frequency;
    set_option(sock_, IPPROTO_SCTP, SCTP_DELAYED_SACK, sack, "SCTP_DELAYED_SACK");
}

void Association::set_scheduling_lag(Duration lag) {
    // usrsctp counts milliseconds.
    const Duration wanted = duration_cast<milliseconds>(rto_min_for_lag(lag));
    const Duration change = wanted > rto_min_ ? wanted - rto_min_ : rto_min_ - wanted;
    if (change < std::max<Duration>(2ms, rto_min_ / 4)) return;
    if (sock_) {
        // One-to-one socket: its association, or, before it exists, the one it will have.
        sctp_rtoinfo info{};
        info.srto_assoc_id = SCTP_FUTURE_ASSOC;
        info.srto_min = static_cast<std::uint32_t>(duration_cast<milliseconds>(wanted).count());
        // usrsctp refuses an RTO.min above RTO.initial (which matters only before the first round
        // trip is measured): a lowered RTO.initial follows it up.
        info.srto_initial = static_cast<std::uint32_t>(
            duration_cast<milliseconds>(std::max(wanted, config_.initial_rto)).count());
        if (usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RTOINFO, &info, sizeof info) != 0) {
            FLOE_LOG(LogLevel::warn, "sctp") << "setsockopt SCTP_RTOINFO failed: errno " << errno;
            return;
        }
    }
    FLOE_LOG(LogLevel::debug, "sctp")
        << "RTO.min " << duration_cast<milliseconds>(rto_min_).count() << " -> "
        << duration_cast<milliseconds>(wanted).count() << " ms (runtime lag "
        << duration_cast<microseconds>(lag).count() << " us)";
    rto_min_ = wanted;
}

bool Association::has_data_in_flight() const {
    sctp_status status{};
    socklen_t length = sizeof status;
    if (usrsctp_getsockopt(sock_, IPPROTO_SCTP, SCTP_STATUS, &status, &length) != 0) return true;
    return status.sstat_unackdata > 0 || status.sstat_penddata > 0;
}

std::optional<Instant> Association::poll_timeout() const {
    if (!sock_) return std::nullopt;
    if (!last_timer_) return Instant{};  // due now: start the clock
    // See kFineTick: the earliest moment one of the timers that may be running can fire.
    const Instant next_tick = *last_timer_ + kFineTick;
    std::optional<Instant> at;
    const auto no_later_than = [&at](Instant t) { at = at ? std::min(*at, t) : t; };
    if (state_ == State::established) {
        if (activity_) no_later_than(next_tick);
        if (in_flight_) no_later_than(std::max(next_tick, t3_from_ + rto_min_ - kFineTick));
        if (sack_owed_.load(std::memory_order_relaxed) && *last_timer_ < sack_due_ + kSackSlack)
            no_later_than(std::max(next_tick, sack_due_));
    }
    const bool active = state_ != State::established || !send_queue_.empty() || resets_pending_;
    no_later_than(*last_timer_ + (active ? kTimerTick : kIdleTick));
    return at;
}

std::optional<Bytes> Association::poll_transmit() {
    account_transmitted();  // packets another thread's timers made since our last call
    std::lock_guard lock(out_mutex_);
    if (out_.empty()) {
        activity_ = false;  // whatever another association's call queued has been taken
        return std::nullopt;
    }
    Bytes packet = std::move(out_.front());
    out_.pop_front();
    ++stats_.packets_sent;
    FLOE_LOG(LogLevel::trace, "sctp") << "out " << describe_packet(packet);
    return packet;
}

void Association::recycle(Bytes packet) {
    std::lock_guard lock(out_mutex_);
    packet_buffers_.give(std::move(packet));
}

std::optional<Event> Association::poll_event() {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

void Association::after_usrsctp() {
    receive_all();
    retry_resets();
    flush_sends();
}

// ---- association state ---------------------------------------------------------------------

void Association::on_established() {
    if (state_ != State::connecting) return;
    state_ = State::established;
    sctp_status status{};
    socklen_t length = sizeof status;
    out_streams_ = config_.max_streams;
    if (usrsctp_getsockopt(sock_, IPPROTO_SCTP, SCTP_STATUS, &status, &length) == 0)
        out_streams_ = std::min(out_streams_, status.sstat_outstrms);
    events_.push_back(event::AssociationEstablished{});
    for (auto it = channels_.begin(); it != channels_.end();) {
        DataChannel& ch = it->second;
        ++it;
        if (ch.state != ChannelState::connecting) continue;
        if (ch.id >= out_streams_) {  // the peer allows fewer streams than this id needs
            ch.state = ChannelState::closed;
            events_.push_back(event::ChannelClosed{ch.id});
            channels_.erase(ch.id);
            continue;
        }
        if (!ch.negotiated) send_open(ch);
        set_open(ch);
    }
}

void Association::on_ended(bool failed, std::string reason) {
    if (state_ == State::closed) return;
    state_ = State::closed;
    for (auto& [id, ch] : channels_)
        if (!ch.refused) events_.push_back(event::ChannelClosed{id});
    channels_.clear();
    remote_channel_text_ = 0;
    unsent_total_ = 0;
    send_queue_.clear();
    queue_buffers_.release();
    partial_.clear();
    FLOE_LOG(LogLevel::info, "sctp") << "association ended: " << reason;
    if (failed)
        events_.push_back(event::AssociationFailed{std::move(reason)});
    else
        events_.push_back(event::AssociationClosed{std::move(reason)});
}

void Association::close() {
    const OwnCall own(this);
    release_socket(true);  // the ABORT goes out through conn_output into our queue
    on_ended(false, "closed locally");
}

void Association::shutdown() {
    if (state_ != State::established) return close();
    shutdown_wanted_ = true;
    maybe_send_shutdown();
}

// usrsctp sends SHUTDOWN once its own queue is acknowledged (RFC 9260 §9.2); ours must be handed
// over first. And usrsctp_shutdown waits only until every DATA chunk is acknowledged: from the
// call on, its T5 shutdown-guard timer (5 × RTO.max, 5 s with kRtoMax) aborts the association, so
// a transfer still under way on a lossy path was cut short (tests/sim full-stack close: 1 MiB at
// 6 % loss, aborted after 5 s). The caller's linger bounds the wait instead.
void Association::maybe_send_shutdown() {
    if (!shutdown_wanted_ || shutdown_sent_ || !send_queue_.empty() || !sock_ ||
        state_ != State::established || has_data_in_flight())
        return;
    shutdown_sent_ = true;
    const OwnCall own(this);
    if (usrsctp_shutdown(sock_, SHUT_WR) != 0) {
        FLOE_LOG(LogLevel::debug, "sctp") << "usrsctp_shutdown failed: errno " << errno;
        close();
        return;
    }
    account_transmitted();
}

}  // namespace floe::sctp
