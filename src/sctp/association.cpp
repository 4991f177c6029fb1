// usrsctp in AF_CONN mode, wrapped as a sans-IO association.
//
// Process-global usrsctp state, and what we do about it:
// - Initialisation happens once per process (std::call_once) with usrsctp_init_nothreads(0, ...):
//   no threads, no UDP encapsulation port. It is never undone: usrsctp_finish() fails while any
//   socket is alive and usrsctp does not support initialising again, so the global state is leaked
//   deliberately. It stays reachable from usrsctp's globals, so LeakSanitizer does not report it.
// - Checksums: usrsctp_enable_crc32c_offload() turns usrsctp's CRC32c off in both directions. We
//   compute it on output (common/crc32c, hardware-accelerated) because peers check it; on input
//   we do not verify: DTLS's authenticated encryption already guarantees integrity (RFC 9653).
// - Timers are global too: usrsctp_handle_timers(elapsed) advances every association's timers.
//   Each handle_timeout(now) feeds the time since the last advance *by any association*, so N
//   associations on one clock do not make usrsctp's time run N times too fast. A `now` more than a
//   second behind the last one is taken as another clock (a test's virtual clock) and restarts the
//   count. usrsctp still reads the real clock for RTT measurement (hence RTO) and, when a
//   retransmission timer expires, to decide which chunks are old enough to resend; only timer
//   expiry follows `now`. On a virtual clock faster than real time a timeout may resend nothing.
//   Timers are served within 1 ms while data is in flight, else at 10 or 200 ms ticks
//   (poll_timeout); usrsctp's settings (RTO, SACK) are in tuning.hpp.
// - conn_output is called synchronously from inside usrsctp calls, and timers of one association
//   may fire from another's handle_timeout (possibly another thread), so each association's
//   outgoing packet queue has a mutex, and a registry of live associations makes packets for a
//   destroyed one go nowhere.
// - Debian's build also tries raw SCTP sockets at init, which fail harmlessly without kernel SCTP;
//   usrsctp's debug output goes to our log at trace level, so nothing prints by default.
#include "sctp/association.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "common/byte_reader.hpp"
#include "common/crc32c.hpp"
#include "common/log.hpp"
#include "sctp/packet_trace.hpp"
#include "sctp/tuning.hpp"
#include "sctp/usrsctp.hpp"

namespace floe::sctp {

namespace {

// usrsctp's clock advances in ticks, and a timer is served at the first tick at or after its
// deadline. usrsctp does not tell when its next timer is due, so the tick follows what may be
// pending: while data is in flight (T3-rtx, RFC 9260 §6.3.2) or a delayed SACK may be owed
// (§6.2), every kFineTick, so that neither leaves more than a millisecond late (with RTO.min at
// 20 ms, a 10 ms tick made a retransmission up to 50 % late); with something else in progress
// (handshake, a queue, a stream reset), every kTimerTick; idle, only every kIdleTick, for
// heartbeats and the like, which may fire that much late. Without the idle tick, 2,000 idle
// PeerConnections woke 200,000 times a second for nothing (floe bench W4 --pairs 1000).
constexpr Duration kFineTick = 1ms;
constexpr Duration kTimerTick = 10ms;
constexpr Duration kIdleTick = 200ms;
// How long after the last SACK that reported a loss every packet is acknowledged.
constexpr Duration kLossyWindow = 1s;
// SCTP's common header (RFC 9260 §3.1) and a DATA chunk's header (§3.3.1).
constexpr std::size_t kCommonHeaderSize = 12;
constexpr std::size_t kDataChunkHeaderSize = 16;
// How long after the last packet in or out an association counts as active: longer than the
// delayed-SACK timer (20 ms, configure_socket), so the SACK it owes leaves on time.
constexpr Duration kActiveWindow = 100ms;

// usrsctp sizes its global association table at 31 times sctp_hashtblsize buckets (rounded down to
// a power of two) and its endpoint tables at sctp_hashtblsize: with the default 1,024 that is
// 144 KB, zero-filled at init. The association table is keyed by association id; 64 gives 1,024
// buckets, one or two associations per bucket at 1,000 PeerConnection pairs. The endpoint tables
// are keyed by local port, and every WebRTC association here binds port 5000, so their size does
// not change a lookup.
constexpr std::uint32_t kHashTableSize = 64;
// Each socket's table of its associations (sctp_pcbtblsize, default 256 buckets, 2 KB per socket):
// a WebRTC socket has exactly one association.
constexpr std::uint32_t kPerSocketHashTableSize = 4;

void usrsctp_debug(const char* format, ...) {
    if (!log_enabled(LogLevel::trace)) return;
    char line[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    std::string_view text(line);
    while (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    FLOE_LOG(LogLevel::trace, "usrsctp") << text;
}

template <class T>
void set_option(struct socket* sock, int level, int name, const T& value, const char* what) {
    if (usrsctp_setsockopt(sock, level, name, &value, sizeof value) != 0) {
        FLOE_LOG(LogLevel::warn, "sctp") << "setsockopt " << what << " failed: errno " << errno;
    }
}

// The SCTP common header's checksum field (bytes 8..11), stored little-endian as RFC 9260
// Appendix A's reflected CRC32c requires.
void stamp_checksum(MutableByteSpan packet) {
    if (packet.size() < 12) return;
    std::fill_n(packet.begin() + 8, 4, std::uint8_t{0});
    const std::uint32_t crc = crc32c(packet);
    for (std::size_t i = 0; i < 4; ++i)
        packet[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

// Whether an outgoing packet starts with a SACK that reports gaps (RFC 9260 §3.3.4: 16-byte
// header, the number of gap blocks at bytes 12..13 of the chunk): we are receiving over a lossy
// path. Duplicates are not counted: they come from the sender's spurious timeouts (a busy
// thread), not from losses.
bool reports_loss(ByteSpan packet) {
    constexpr std::size_t chunk = kCommonHeaderSize;
    if (packet.size() < chunk + 16 || packet[chunk] != 3) return false;
    return (packet[chunk + 12] | packet[chunk + 13]) != 0;
}

}  // namespace

struct UsrsctpGlobal {
    std::mutex registry_mutex;
    std::unordered_set<const Association*> live;
    std::mutex timer_mutex;
    std::optional<Instant> last_advance;

    static UsrsctpGlobal& get() {
        static UsrsctpGlobal* global = [] {
            auto* g = new UsrsctpGlobal;  // leaked deliberately, with usrsctp's own state
            // Smaller lookup tables than usrsctp's defaults, which suit a kernel with many
            // sockets: init zero-fills them, and each page touched is a page fault (the first
            // connection of a process pays for it) and resident memory. See kHashTableSize.
            usrsctp_tunable_set_sctp_hashtblsize(kHashTableSize);
            usrsctp_tunable_set_sctp_pcbtblsize(kPerSocketHashTableSize);
            usrsctp_init_nothreads(0, &Association::on_conn_output, &usrsctp_debug);
            usrsctp_enable_crc32c_offload();
            apply_usrsctp_defaults();
            return g;
        }();
        return *global;
    }

    // Brings usrsctp's clock to `now`, firing what is due. Also called before input and sends:
    // a timer started while usrsctp's clock lags behind `now` would fire early by the lag.
    void advance(Instant now) {
        std::uint32_t elapsed = 0;
        {
            std::lock_guard lock(timer_mutex);
            if (!last_advance || *last_advance - now > 1s) {
                last_advance = now;
                return;
            }
            if (now <= *last_advance) return;
            // At most one advance per millisecond (usrsctp's tick) for the whole process, however
            // many associations ask: usrsctp_handle_timers walks every timer of every
            // association, so calling it on every association's wake-up made N associations cost
            // O(N^2) (1,000 pairs: 44 % of the CPU in sctp_handle_tick).
            const auto ms = duration_cast<milliseconds>(now - *last_advance);
            if (ms < 1ms) return;
            *last_advance += ms;  // keep the sub-millisecond remainder for next time
            elapsed = static_cast<std::uint32_t>(std::min<std::int64_t>(ms.count(), 1 << 30));
        }
        usrsctp_handle_timers(elapsed);  // never under our locks: it calls conn_output
    }
};

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

int Association::on_conn_output(void* addr, void* buffer, std::size_t length, std::uint8_t,
                                std::uint8_t) {
    UsrsctpGlobal& g = UsrsctpGlobal::get();
    std::lock_guard lock(g.registry_mutex);
    auto* self = static_cast<Association*>(addr);
    if (!g.live.contains(self)) return 0;
    const auto* bytes = static_cast<const std::uint8_t*>(buffer);
    std::lock_guard out_lock(self->out_mutex_);
    self->activity_ = true;
    if (reports_loss(ByteSpan(bytes, length))) self->loss_seen_ = true;
    Bytes packet = self->packet_buffers_.take();
    packet.assign(bytes, bytes + length);
    stamp_checksum(packet);
    self->out_.push_back(std::move(packet));
    ++self->unaccounted_;
    return 0;
}

Association::Association(const Config& config) : config_(config) {
    if (config_.max_streams == 0) config_.max_streams = 1;
    UsrsctpGlobal& g = UsrsctpGlobal::get();
    {
        std::lock_guard lock(g.registry_mutex);
        g.live.insert(this);
    }
    usrsctp_register_address(this);
    sock_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
    if (!sock_) {
        on_ended(true, "usrsctp_socket failed");
        return;
    }
    configure_socket();

    sockaddr_conn local{};
    local.sconn_family = AF_CONN;
    local.sconn_port = htons(config_.local_port);
    local.sconn_addr = this;
    if (usrsctp_bind(sock_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        on_ended(true, "bind failed");
        return;
    }
    // Both sides connect: SCTP resolves the simultaneous INITs (WebRTC has no listener).
    sockaddr_conn remote = local;
    remote.sconn_port = htons(config_.remote_port);
    if (usrsctp_connect(sock_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
        errno != EINPROGRESS) {
        on_ended(true, "connect failed");
        return;
    }
    after_usrsctp();
}

Association::~Association() {
    release_socket(true);
    usrsctp_deregister_address(this);
    UsrsctpGlobal& g = UsrsctpGlobal::get();
    std::lock_guard lock(g.registry_mutex);
    g.live.erase(this);
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

    sctp_initmsg init{};
    init.sinit_num_ostreams = config_.max_streams;
    init.sinit_max_instreams = config_.max_streams;
    set_option(sock_, IPPROTO_SCTP, SCTP_INITMSG, init, "SCTP_INITMSG");

    // A fixed path MTU: DTLS below us has its own, and PMTU discovery cannot see through it.
    // For AF_CONN, usrsctp lets chunks fill the whole path MTU and adds its 12-byte common header
    // on top (measured: packets reach pathmtu + 12), so ask for 12 bytes less.
    sctp_paddrparams params{};
    params.spp_assoc_id = SCTP_FUTURE_ASSOC;
    params.spp_flags = SPP_PMTUD_DISABLE;
    params.spp_pathmtu = static_cast<std::uint32_t>(chunk_room());
    set_option(sock_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, params, "SCTP_PEER_ADDR_PARAMS");

    // SCTP_SEND_FAILED_EVENT: a partially reliable message abandoned before it was ever sent
    // leaves buffered_amount (account_transmitted never sees it).
    for (std::uint16_t type :
         {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SHUTDOWN_EVENT,
          SCTP_PARTIAL_DELIVERY_EVENT, SCTP_STREAM_CHANGE_EVENT, SCTP_SEND_FAILED_EVENT}) {
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
    input_has_abort_ = has_chunk(packet, kAbortChunk);
    UsrsctpGlobal::get().advance(now);  // the timers this packet starts count from now
    usrsctp_conninput(this, packet.data(), packet.size(), 0);
    after_usrsctp();  // (reads the notifications this packet caused)
    input_has_abort_ = false;
    active_until_ = now + kActiveWindow;
    fine_until_ = now + kSackDelay + kFineTick;  // a (delayed) SACK may be owed until then
    activity_ = false;
}

void Association::advance_clock(Instant now) {
    if (sock_) UsrsctpGlobal::get().advance(now);
}

void Association::handle_timeout(Instant now) {
    last_timer_ = now;
    if (send_queue_.empty()) queue_buffers_.release();  // nothing is being sent: give them back
    if (!sock_) return;
    UsrsctpGlobal::get().advance(now);
    after_usrsctp();
    in_flight_ = state_ == State::established && has_data_in_flight();
    if (activity_.exchange(false) || in_flight_) active_until_ = now + kActiveWindow;
    // While our SACKs report losses, and for a while after, acknowledge every packet: a lost SACK
    // then costs nothing and the sender's recovery after a timeout is not paced by the delay.
    // On a clean path every second packet (one SACK fewer per round trip for W3's ping-pong).
    if (loss_seen_.exchange(false)) {
        lossy_until_ = now + kLossyWindow;
        set_sack_frequency(1);
    } else if (now >= lossy_until_) {
        set_sack_frequency(kSackFrequency);
    }
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

bool Association::has_data_in_flight() const {
    sctp_status status{};
    socklen_t length = sizeof status;
    if (usrsctp_getsockopt(sock_, IPPROTO_SCTP, SCTP_STATUS, &status, &length) != 0) return true;
    return status.sstat_unackdata > 0 || status.sstat_penddata > 0;
}

std::optional<Instant> Association::poll_timeout() const {
    if (!sock_) return std::nullopt;
    if (!last_timer_) return Instant{};  // due now: start the clock
    // Something was sent since the last tick (data, maybe: its T3 is running), data is in flight,
    // or a packet came in less than the SACK delay ago: a timer may be due any millisecond.
    if (state_ == State::established && (activity_ || in_flight_ || *last_timer_ < fine_until_))
        return *last_timer_ + kFineTick;
    const bool active = state_ != State::established || !send_queue_.empty() || resets_pending_ ||
                        *last_timer_ < active_until_;
    return *last_timer_ + (active ? kTimerTick : kIdleTick);
}

std::optional<Bytes> Association::poll_transmit() {
    account_transmitted();  // packets another thread's timers made since our last call
    std::lock_guard lock(out_mutex_);
    if (out_.empty()) return std::nullopt;
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

// ---- receiving -----------------------------------------------------------------------------

void Association::receive_all() {
    // One scratch buffer per thread: an idle association holds no receive memory of its own.
    thread_local Bytes scratch(64 * 1024);
    while (sock_) {
        sctp_rcvinfo info{};
        socklen_t info_length = sizeof info;
        unsigned int info_type = 0;
        int flags = 0;
        sockaddr_conn from{};
        socklen_t from_length = sizeof from;
        const ssize_t n =
            usrsctp_recvv(sock_, scratch.data(), scratch.size(), reinterpret_cast<sockaddr*>(&from),
                          &from_length, &info, &info_length, &info_type, &flags);
        if (n <= 0) break;  // EWOULDBLOCK, not connected, or end of stream
        const ByteSpan data = ByteSpan(scratch).first(static_cast<std::size_t>(n));
        if (flags & MSG_NOTIFICATION) {
            // A notification larger than the buffer (a send failure carries the message) comes in
            // pieces: the header is in the first.
            if (!notification_continues_) handle_notification(data);
            notification_continues_ = (flags & MSG_EOR) == 0;
            continue;
        }
        if (info_type != SCTP_RECVV_RCVINFO) continue;
        handle_fragment(info.rcv_sid, ntohl(info.rcv_ppid), data, (flags & MSG_EOR) != 0);
    }
}

void Association::handle_fragment(std::uint16_t id, std::uint32_t ppid, ByteSpan data, bool end) {
    auto it = partial_.find(id);
    if (end && it == partial_.end()) {  // the common case: a whole message in one read
        handle_message(id, ppid, data);
        return;
    }
    if (it == partial_.end()) it = partial_.emplace(id, Reassembly{{}, ppid, false}).first;
    Reassembly& r = it->second;
    const std::size_t limit = config_.local_max_message_size;
    if (!r.discarding && limit != 0 && r.data.size() + data.size() > limit) {
        r.discarding = true;
        r.data = Bytes();
    }
    if (!r.discarding) r.data.insert(r.data.end(), data.begin(), data.end());
    if (!end) return;
    if (r.discarding) {
        ++stats_.dropped_messages;
        ++stats_.oversized_messages;
        FLOE_LOG(LogLevel::debug, "sctp") << "stream " << id << ": message over max-message-size";
    } else {
        Bytes whole = std::move(r.data);
        const std::uint32_t whole_ppid = r.ppid;
        partial_.erase(it);
        handle_message(id, whole_ppid, whole, &whole);  // reassembled: moved, not copied
        return;
    }
    partial_.erase(it);
}

void Association::handle_message(std::uint16_t id, std::uint32_t ppid, ByteSpan data,
                                 Bytes* owned) {
    if (ppid == static_cast<std::uint32_t>(Ppid::dcep)) {
        handle_dcep(id, data);
        return;
    }
    DataChannel* ch = find(id);
    const bool receiving = ch && !ch->refused &&
                           (ch->state == ChannelState::open ||
                            (ch->state == ChannelState::closing && !ch->incoming_reset));
    bool binary = false;
    bool empty = false;
    switch (static_cast<Ppid>(ppid)) {
        case Ppid::string:
            break;
        case Ppid::binary:
            binary = true;
            break;
        case Ppid::string_empty:
            empty = true;
            break;
        case Ppid::binary_empty:
            binary = empty = true;
            break;
        default:
            ppid = 0;
            break;
    }
    if (!receiving || ppid == 0) {
        ++stats_.dropped_messages;
        FLOE_LOG(LogLevel::debug, "sctp") << "stream " << id << ": dropped a message ("
                                          << (ppid ? "no open channel" : "PPID") << ")";
        return;
    }
    if (config_.local_max_message_size != 0 && data.size() > config_.local_max_message_size) {
        ++stats_.dropped_messages;
        ++stats_.oversized_messages;
        return;
    }
    ++stats_.messages_received;
    Bytes payload;
    if (!empty) payload = owned ? std::move(*owned) : Bytes(data.begin(), data.end());
    events_.push_back(event::Message{id, binary, std::move(payload)});
}

void Association::handle_dcep(std::uint16_t id, ByteSpan data) {
    auto parsed = parse_dcep(data);
    if (!parsed) {
        ++stats_.malformed_dcep;
        FLOE_LOG(LogLevel::debug, "sctp")
            << "stream " << id << ": bad DCEP message: " << to_string(parsed.error());
        return;
    }
    if (std::holds_alternative<DataChannelAck>(*parsed)) {
        DataChannel* ch = find(id);
        if (!ch || !ch->awaiting_ack) {
            ++stats_.malformed_dcep;
            return;
        }
        ch->awaiting_ack = false;
        return;
    }
    auto& open = std::get<DataChannelOpen>(*parsed);
    if (find(id) || id >= config_.max_streams) {
        ++stats_.malformed_dcep;  // an OPEN for a stream already in use: keep the existing one
        FLOE_LOG(LogLevel::debug, "sctp")
            << "stream " << id << ": DATA_CHANNEL_OPEN for an id in use";
        return;
    }
    // RFC 8832 §6: the DTLS client opens even stream ids, the server odd ones. An OPEN on ours
    // would collide with the ids we allocate.
    const bool our_parity = (id % 2 == 0) == (config_.role == Role::client);
    if (our_parity) return refuse_channel(id, "an id of our parity (RFC 8832 §6)");
    const std::size_t text = open.label.size() + open.protocol.size();
    if (remote_channel_text_ + text > config_.max_remote_channel_text)
        return refuse_channel(id, "label and protocol over max_remote_channel_text");
    remote_channel_text_ += text;
    DataChannel& ch = channels_[id];
    ch.id = id;
    ch.label = std::move(open.label);
    ch.protocol = std::move(open.protocol);
    ch.reliability = open.reliability;
    ch.priority = open.priority;
    events_.push_back(
        event::ChannelRequested{id, ch.label, ch.protocol, ch.reliability, ch.priority});
    const Bytes ack = encode_dcep_ack();
    set_open(ch);
    submit(ch, Ppid::dcep, false, ack, false);
}

// Refused: never reported, no ACK; our outgoing stream of that id is reset so the peer's channel
// closes instead of sending into nothing (RFC 8831 §6.7), and its messages are dropped meanwhile.
void Association::refuse_channel(std::uint16_t id, const char* why) {
    ++stats_.refused_channels;
    FLOE_LOG(LogLevel::debug, "sctp") << "stream " << id << ": DATA_CHANNEL_OPEN refused: " << why;
    DataChannel& ch = channels_[id];
    ch.id = id;
    ch.refused = true;
    ch.state = ChannelState::closing;
    ch.reset_wanted = true;
    if (state_ == State::established && id < out_streams_) request_reset(ch);
}

void Association::handle_notification(ByteSpan data) {
    sctp_notification::sctp_tlv header{};
    if (data.size() < sizeof header) return;
    std::memcpy(&header, data.data(), sizeof header);
    switch (header.sn_type) {
        case SCTP_ASSOC_CHANGE: {
            sctp_assoc_change change{};
            if (data.size() < sizeof change) return;
            std::memcpy(&change, data.data(), sizeof change);
            switch (change.sac_state) {
                case SCTP_COMM_UP:
                    on_established();
                    break;
                case SCTP_COMM_LOST:
                    if (input_has_abort_ && state_ == State::established)
                        on_ended(false, "aborted by the peer");
                    else if (input_has_abort_)
                        on_ended(true, "refused by the peer (ABORT)");
                    else
                        on_ended(true, "association lost (retransmissions exhausted)");
                    break;
                case SCTP_CANT_STR_ASSOC:
                    on_ended(true, "association could not start");
                    break;
                case SCTP_SHUTDOWN_COMP:
                    on_ended(false, "shutdown complete");
                    break;
                default:
                    break;
            }
            break;
        }
        case SCTP_SHUTDOWN_EVENT:
            peer_shut_down_ = true;
            on_ended(false, "peer shut down");
            break;
        case SCTP_SEND_FAILED_EVENT: {
            sctp_send_failed_event failed{};
            if (data.size() < sizeof failed) return;
            std::memcpy(&failed, data.data(), sizeof failed);
            const std::uint32_t ppid = ntohl(failed.ssfe_info.snd_ppid);
            if (!(failed.ssfe_flags & SCTP_DATA_UNSENT) || ppid == std::uint32_t(Ppid::dcep) ||
                failed.ssfe_length < sizeof failed)
                break;  // sent at least once: already counted by account_transmitted
            if (DataChannel* ch = find(failed.ssfe_info.snd_sid))
                release_buffered(*ch, failed.ssfe_length - sizeof failed);
            break;
        }
        case SCTP_PARTIAL_DELIVERY_EVENT: {
            sctp_pdapi_event pd{};
            if (data.size() < sizeof pd) return;
            std::memcpy(&pd, data.data(), sizeof pd);
            if (pd.pdapi_indication == SCTP_PARTIAL_DELIVERY_ABORTED)
                partial_.erase(static_cast<std::uint16_t>(pd.pdapi_stream));
            break;
        }
        case SCTP_STREAM_RESET_EVENT: {
            const std::size_t head = offsetof(sctp_stream_reset_event, strreset_stream_list);
            ByteReader r(data);
            if (!r.skip(head)) return;
            const std::uint16_t flags = header.sn_flags;
            const bool incoming = flags & SCTP_STREAM_RESET_INCOMING_SSN;
            const bool outgoing = flags & SCTP_STREAM_RESET_OUTGOING_SSN;
            std::vector<std::uint16_t> ids;
            while (auto two = r.bytes(2)) {
                std::uint16_t sid;
                std::memcpy(&sid, two->data(), 2);  // host order: usrsctp's struct, not the wire
                ids.push_back(sid);
            }
            if (ids.empty())  // all streams
                for (const auto& [id, ch] : channels_)
                    ids.push_back(id);
            for (std::uint16_t id : ids)
                on_stream_reset(id, incoming, outgoing);
            break;
        }
        default:
            break;
    }
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
    if (usrsctp_shutdown(sock_, SHUT_WR) != 0) {
        FLOE_LOG(LogLevel::debug, "sctp") << "usrsctp_shutdown failed: errno " << errno;
        close();
        return;
    }
    account_transmitted();
}

// ---- channels ------------------------------------------------------------------------------

DataChannel* Association::find(std::uint16_t id) {
    auto it = channels_.find(id);
    return it == channels_.end() ? nullptr : &it->second;
}

const DataChannel* Association::channel(std::uint16_t id) const {
    auto it = channels_.find(id);
    return it == channels_.end() ? nullptr : &it->second;
}

std::optional<std::uint16_t> Association::allocate_id() const {
    const std::uint32_t limit = state_ == State::established ? out_streams_ : config_.max_streams;
    for (std::uint32_t id = config_.role == Role::client ? 0 : 1; id < limit; id += 2)
        if (!channels_.contains(static_cast<std::uint16_t>(id)))
            return static_cast<std::uint16_t>(id);
    return std::nullopt;
}

Result<std::uint16_t, SctpError> Association::open_channel(std::string_view label,
                                                           std::string_view protocol,
                                                           const ChannelOptions& options) {
    if (state_ == State::closed) return fail(SctpError::not_established);
    const Reliability& rel = options.reliability;
    if ((rel.max_retransmits && rel.max_packet_life_time) || label.size() > 65535 ||
        protocol.size() > 65535)
        return fail(SctpError::invalid_options);
    std::uint16_t id;
    if (options.negotiated_id) {
        id = *options.negotiated_id;
        const std::uint32_t limit =
            state_ == State::established ? out_streams_ : config_.max_streams;
        if (id >= limit) return fail(SctpError::id_out_of_range);
        if (channels_.contains(id)) return fail(SctpError::id_in_use);
    } else {
        auto free = allocate_id();
        if (!free) return fail(SctpError::no_free_id);
        id = *free;
    }
    DataChannel& ch = channels_[id];
    ch.id = id;
    ch.label = label;
    ch.protocol = protocol;
    ch.reliability = rel;
    ch.priority = options.priority;
    ch.negotiated = options.negotiated_id.has_value();
    ch.opened_locally = true;
    if (state_ == State::established) {
        if (!ch.negotiated) send_open(ch);
        set_open(ch);
    }
    return id;
}

void Association::send_open(DataChannel& ch) {
    DataChannelOpen open{ch.reliability, ch.priority, ch.label, ch.protocol};
    auto encoded = encode_dcep(open);
    if (!encoded) return;  // validated in open_channel
    ch.awaiting_ack = true;
    submit(ch, Ppid::dcep, false, *encoded, false);
}

void Association::set_open(DataChannel& ch) {
    ch.state = ChannelState::open;
    events_.push_back(event::ChannelOpened{ch.id});
}

Result<Ok, SctpError> Association::send(std::uint16_t id, bool binary, ByteSpan data) {
    if (state_ != State::established || shutdown_wanted_) return fail(SctpError::not_established);
    DataChannel* ch = find(id);
    if (!ch) return fail(SctpError::unknown_channel);
    if (ch->state != ChannelState::open) return fail(SctpError::channel_not_open);
    if (config_.remote_max_message_size != 0 && data.size() > config_.remote_max_message_size)
        return fail(SctpError::message_too_large);
    // RFC 8832 §6: until the ACK arrives, user messages go ordered so they follow the OPEN.
    const bool unordered = !ch->reliability.ordered && !ch->awaiting_ack;
    if (data.empty()) {
        static constexpr std::uint8_t zero[1] = {0};
        submit(*ch, binary ? Ppid::binary_empty : Ppid::string_empty, unordered, zero, false);
    } else {
        submit(*ch, binary ? Ppid::binary : Ppid::string, unordered, data, true);
    }
    return Ok{};
}

Result<Ok, SctpError> Association::send_with_ppid(std::uint16_t id, std::uint32_t ppid,
                                                  ByteSpan data) {
    if (state_ != State::established) return fail(SctpError::not_established);
    DataChannel* ch = find(id);
    if (!ch) return fail(SctpError::unknown_channel);
    if (ch->state != ChannelState::open) return fail(SctpError::channel_not_open);
    // Counted in buffered_amount like what send() counts (account_transmitted skips the rest).
    const bool user_data = ppid != std::uint32_t(Ppid::dcep) &&
                           ppid != std::uint32_t(Ppid::string_empty) &&
                           ppid != std::uint32_t(Ppid::binary_empty);
    submit(*ch, static_cast<Ppid>(ppid), !ch->reliability.ordered && !ch->awaiting_ack, data,
           user_data);
    return Ok{};
}

std::size_t Association::piece_size() const {
    return std::clamp<std::size_t>(config_.send_buffer_size / 4, 1024, 64 * 1024);
}

std::size_t Association::write(const DataChannel& ch, Ppid ppid, bool unordered, ByteSpan data,
                               bool last) {
    sctp_sendv_spa spa{};
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = ch.id;
    spa.sendv_sndinfo.snd_flags =
        static_cast<std::uint16_t>((unordered ? SCTP_UNORDERED : 0) | (last ? SCTP_EOR : 0));
    spa.sendv_sndinfo.snd_ppid = htonl(static_cast<std::uint32_t>(ppid));
    if (ppid != Ppid::dcep) {
        if (ch.reliability.max_retransmits) {
            spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
            spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
            spa.sendv_prinfo.pr_value = *ch.reliability.max_retransmits;
        } else if (ch.reliability.max_packet_life_time) {
            spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
            spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
            spa.sendv_prinfo.pr_value = *ch.reliability.max_packet_life_time;
        }
    }
    const ssize_t n = usrsctp_sendv(sock_, data.data(), data.size(), nullptr, 0, &spa, sizeof spa,
                                    SCTP_SENDV_SPA, 0);
    if (n < 0) {
        if (errno != EWOULDBLOCK && errno != EAGAIN) {
            FLOE_LOG(LogLevel::debug, "sctp") << "usrsctp_sendv failed: errno " << errno;
        }
        return 0;
    }
    return static_cast<std::size_t>(n);
}

void Association::submit(DataChannel& ch, Ppid ppid, bool unordered, ByteSpan data,
                         bool user_data) {
    std::size_t offset = 0;
    // Nothing ahead of us and no batch being gathered: straight into usrsctp.
    const bool batched = corked_ && packs_with_others(data.size());
    if (send_queue_.empty() && sock_ && !batched) {
        const std::size_t piece = piece_size();
        while (offset < data.size()) {
            const std::size_t n = std::min(piece, data.size() - offset);
            if (user_data) hand_over(ch, n);  // before the write: it may transmit at once
            const std::size_t sent =
                write(ch, ppid, unordered, data.subspan(offset, n), offset + n == data.size());
            if (user_data && sent < n) take_back(ch, n - sent);
            offset += sent;
            if (sent < n) break;
        }
        account_transmitted();
        if (offset == data.size()) {
            ++stats_.messages_sent;
            return;
        }
    }
    Bytes copy = queue_buffers_.take();
    copy.assign(data.begin() + static_cast<std::ptrdiff_t>(offset), data.end());
    Outgoing out{ch.id, ppid, unordered, std::move(copy)};
    out.user_data = user_data;
    if (user_data) ch.buffered_amount += out.data.size();
    ++ch.queued_messages;
    send_queue_.push_back(std::move(out));
}

// usrsctp cuts a message into chunks from its start and never splits one to fill the room left
// in a packet (sctp_move_to_outqueue), so only a message whose chunk fits twice into a packet can
// share one: up to 559 bytes with the default 1,163-byte packets. A 1,200-byte message is a full
// packet and a 65-byte one however it is handed over.
bool Association::packs_with_others(std::size_t message_size) const {
    return 2 * (message_size + kDataChunkHeaderSize) <= chunk_room();
}

std::size_t Association::chunk_room() const {
    return std::max<std::size_t>(config_.mtu, 524) - kCommonHeaderSize;
}

bool Association::uncork() {
    corked_ = false;
    return flush_sends() > 0;
}

// usrsctp sends at every write while SCTP_NODELAY is on, so small messages written one after
// another each leave in a packet of their own. While small messages are handed over, Nagle's rule
// is switched on (usrsctp then sends only full packets while data is in flight, the messages
// bundled: RFC 9260 §6.10), and off again for the last write, whose output call sends the rest.
// Stopped early by a full send buffer, usrsctp sends what it holds as SACKs make room.
std::size_t Association::flush_sends() {
    const std::size_t piece = piece_size();
    std::size_t handed = 0;
    while (!send_queue_.empty() && sock_ && state_ == State::established) {
        Outgoing& out = send_queue_.front();
        DataChannel* ch = find(out.id);
        if (!ch) {
            send_queue_.pop_front();
            continue;
        }
        while (out.offset < out.data.size()) {
            const std::size_t n = std::min(piece, out.data.size() - out.offset);
            const bool last = out.offset + n == out.data.size();
            // Only a small message gains from waiting for the next one (see packs_with_others).
            set_nagle(!(last && send_queue_.size() == 1) && packs_with_others(out.data.size()));
            if (out.user_data) move_to_usrsctp(*ch, n);
            const std::size_t sent = write(*ch, out.ppid, out.unordered,
                                           ByteSpan(out.data).subspan(out.offset, n), last);
            if (out.user_data && sent < n) move_back_from_usrsctp(*ch, n - sent);
            out.offset += sent;
            handed += sent;
            if (sent < n) {  // usrsctp is full; SACKs will make room (and send what it holds)
                set_nagle(false);
                account_transmitted();
                return handed;
            }
        }
        queue_buffers_.give(std::move(out.data));
        send_queue_.pop_front();
        ++stats_.messages_sent;
        --ch->queued_messages;
        if (ch->reset_wanted && ch->queued_messages == 0) request_reset(*ch);
    }
    set_nagle(false);
    account_transmitted();
    maybe_send_shutdown();
    return handed;
}

void Association::set_nagle(bool on) {
    if (on == nagle_ || !sock_) return;
    nagle_ = on;
    const int nodelay = on ? 0 : 1;
    set_option(sock_, IPPROTO_SCTP, SCTP_NODELAY, nodelay, "SCTP_NODELAY");
}

// buffered_amount counts a user message from send() until usrsctp puts its bytes into a packet
// for the first time. Handed to usrsctp, the bytes move from floe's queue to unsent_in_usrsctp;
// each DATA chunk usrsctp transmits for the first time (a TSN above every one sent before: new
// data leaves in TSN order, RFC 9260 §6.1) takes its payload off, and so does a message abandoned
// unsent (SCTP_SEND_FAILED_EVENT).
void Association::hand_over(DataChannel& ch, std::size_t bytes) {
    ch.buffered_amount += bytes;
    move_to_usrsctp(ch, bytes);
}

void Association::take_back(DataChannel& ch, std::size_t bytes) {
    move_back_from_usrsctp(ch, bytes);
    ch.buffered_amount -= std::min(bytes, ch.buffered_amount);
}

void Association::move_to_usrsctp(DataChannel& ch, std::size_t bytes) {
    ch.unsent_in_usrsctp += bytes;
    unsent_total_ += bytes;
}

void Association::move_back_from_usrsctp(DataChannel& ch, std::size_t bytes) {
    bytes = std::min(bytes, ch.unsent_in_usrsctp);
    ch.unsent_in_usrsctp -= bytes;
    unsent_total_ -= std::min(bytes, unsent_total_);
}

void Association::account_transmitted() {
    // Parsed under the lock (conn_output adds packets from other threads), applied after it.
    thread_local std::vector<std::pair<std::uint16_t, std::size_t>> sent;
    sent.clear();
    {
        std::lock_guard lock(out_mutex_);
        if (unaccounted_ == 0) return;
        const std::size_t fresh = std::min(unaccounted_, out_.size());
        unaccounted_ = 0;
        if (unsent_total_ == 0) {
            // Nothing to take off; TSNs sent now belong to DCEP or empty messages. (Any user
            // chunk's first transmission happens while its bytes are counted, so the TSN mark
            // stays above every user chunk sent.)
            return;
        }
        for (std::size_t i = out_.size() - fresh; i < out_.size(); ++i) {
            for_each_chunk(out_[i], [&](const ChunkInfo& c) {
                if (c.type != 0) return true;  // DATA only (no I-DATA: interleaving is off)
                if (highest_tsn_sent_ && static_cast<std::int32_t>(c.tsn - *highest_tsn_sent_) <= 0)
                    return true;  // a retransmission (serial arithmetic, RFC 1982)
                highest_tsn_sent_ = c.tsn;
                if (c.ppid == static_cast<std::uint32_t>(Ppid::dcep) ||
                    c.ppid == static_cast<std::uint32_t>(Ppid::string_empty) ||
                    c.ppid == static_cast<std::uint32_t>(Ppid::binary_empty))
                    return true;
                sent.emplace_back(c.stream, c.payload.size());
                return true;
            });
        }
    }
    for (const auto& [id, bytes] : sent)
        if (DataChannel* ch = find(id)) release_buffered(*ch, bytes);
}

void Association::release_buffered(DataChannel& ch, std::size_t bytes) {
    bytes = std::min(bytes, ch.unsent_in_usrsctp);
    if (bytes == 0) return;
    move_back_from_usrsctp(ch, bytes);
    const std::size_t before = ch.buffered_amount;
    ch.buffered_amount -= std::min(bytes, before);
    if (before > ch.low_threshold && ch.buffered_amount <= ch.low_threshold)
        events_.push_back(event::BufferedAmountLow{ch.id});
}

std::size_t Association::buffered_amount(std::uint16_t id) const {
    const DataChannel* ch = channel(id);
    return ch ? ch->buffered_amount : 0;
}

void Association::set_buffered_amount_low_threshold(std::uint16_t id, std::size_t bytes) {
    if (DataChannel* ch = find(id)) ch->low_threshold = bytes;
}

// ---- closing -------------------------------------------------------------------------------

void Association::close_channel(std::uint16_t id) {
    DataChannel* ch = find(id);
    if (!ch || ch->state == ChannelState::closing || ch->state == ChannelState::closed) return;
    if (state_ != State::established) {  // never reached the wire
        events_.push_back(event::ChannelClosed{id});
        channels_.erase(id);
        return;
    }
    ch->state = ChannelState::closing;
    ch->reset_wanted = true;
    if (ch->queued_messages == 0) request_reset(*ch);
}

// Only once floe's queue for the channel is empty. What usrsctp holds is safe: it sends the
// request after the stream's queued data got its TSNs (RFC 6525 §5.2.2: the peer resets after
// the request's last assigned TSN; test_closing.cpp closes right after a 1 MiB send under loss).
void Association::request_reset(DataChannel& ch) {
    if (ch.reset_requested || !sock_ || ch.queued_messages != 0) return;
    sctp_reset_streams head{};
    head.srs_assoc_id = SCTP_ALL_ASSOC;
    head.srs_flags = SCTP_STREAM_RESET_OUTGOING;
    head.srs_number_streams = 1;
    constexpr std::size_t list = offsetof(sctp_reset_streams, srs_stream_list);
    alignas(sctp_reset_streams) std::array<std::uint8_t, list + sizeof(std::uint16_t)> buffer{};
    std::memcpy(buffer.data(), &head, list);
    std::memcpy(buffer.data() + list, &ch.id, sizeof ch.id);
    if (usrsctp_setsockopt(sock_, IPPROTO_SCTP, SCTP_RESET_STREAMS, buffer.data(),
                           static_cast<socklen_t>(buffer.size())) == 0) {
        ch.reset_requested = true;
    } else {
        FLOE_LOG(LogLevel::debug, "sctp")
            << "stream " << ch.id << ": reset deferred (errno " << errno << ")";
        resets_pending_ = true;  // another reset is in flight: try again after the next input
    }
}

void Association::retry_resets() {
    if (!resets_pending_ || state_ != State::established) return;
    resets_pending_ = false;
    for (auto& [id, ch] : channels_)
        if (ch.reset_wanted && !ch.reset_requested && ch.queued_messages == 0) request_reset(ch);
}

void Association::on_stream_reset(std::uint16_t id, bool incoming, bool outgoing) {
    DataChannel* ch = find(id);
    if (!ch) return;
    if (outgoing) ch->outgoing_reset = true;
    if (incoming) {
        ch->incoming_reset = true;
        partial_.erase(id);
        if (!ch->reset_wanted) {  // the peer closed: close our side too (RFC 8831 §6.7)
            ch->state = ChannelState::closing;
            ch->reset_wanted = true;
            if (ch->queued_messages == 0) request_reset(*ch);
        }
    }
    maybe_closed(*ch);
}

void Association::maybe_closed(DataChannel& ch) {
    if (!ch.incoming_reset || !ch.outgoing_reset) return;
    const std::uint16_t id = ch.id;
    if (!ch.refused) events_.push_back(event::ChannelClosed{id});
    forget_channel(id);
}

void Association::forget_channel(std::uint16_t id) {
    auto it = channels_.find(id);
    if (it == channels_.end()) return;
    const DataChannel& ch = it->second;
    if (!ch.opened_locally && !ch.refused)
        remote_channel_text_ -=
            std::min(remote_channel_text_, ch.label.size() + ch.protocol.size());
    unsent_total_ -= std::min(unsent_total_, ch.unsent_in_usrsctp);
    channels_.erase(it);
}

}  // namespace floe::sctp
