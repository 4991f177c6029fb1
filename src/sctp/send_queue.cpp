// The send path: send() and submit() hand messages to usrsctp or queue them, the queue is flushed
// with Nagle's rule while small messages are batched (cork/uncork), and buffered_amount is kept
// from send() until each byte's first transmission.
#include <arpa/inet.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "sctp/association.hpp"
#include "sctp/packet_trace.hpp"
#include "sctp/usrsctp_global.hpp"

namespace floe::sctp {

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
    // A reply this soon after the peer's packet: its SACK can ride on replies like this one.
    if (sack_at_once_ && last_data_in_ && now_ - *last_data_in_ <= kSackDelay)
        stop_sack_at_once(now_);
    const OwnCall own(this);
    const ssize_t n = usrsctp_sendv(sock_, data.data(), data.size(), nullptr, 0, &spa, sizeof spa,
                                    SCTP_SENDV_SPA, 0);
    if (n < 0) {
        if (errno != EWOULDBLOCK && errno != EAGAIN) {
            FLOE_LOG(LogLevel::debug, "sctp") << "usrsctp_sendv failed: errno " << errno;
        }
        return 0;
    }
    // In flight from now (T3 starts when it leaves, which is no earlier): see kFineTick.
    if (n > 0 && !in_flight_) {
        in_flight_ = true;
        t3_from_ = now_;
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
    // Called after every write and poll: most calls find nothing new, and return before the lock
    // (callgrind, W5 1,200 B: this function was 2.5 % of the instructions without this check).
    if (unaccounted_.load(std::memory_order_acquire) == 0) return;
    // Parsed under the lock (conn_output adds packets from other threads), applied after it.
    thread_local std::vector<std::pair<std::uint16_t, std::size_t>> sent;
    sent.clear();
    {
        std::lock_guard lock(out_mutex_);
        const std::size_t fresh = std::min(unaccounted_.exchange(0), out_.size());
        if (fresh == 0) return;
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

// GCC 12 at -O3 reports the Event variant's move in events_.push_back below as maybe-uninitialized
// (a false positive that appeared when this function moved out of association.cpp into a smaller
// translation unit, with nothing changed in it).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
void Association::release_buffered(DataChannel& ch, std::size_t bytes) {
    bytes = std::min(bytes, ch.unsent_in_usrsctp);
    if (bytes == 0) return;
    move_back_from_usrsctp(ch, bytes);
    const std::size_t before = ch.buffered_amount;
    ch.buffered_amount -= std::min(bytes, before);
    if (before > ch.low_threshold && ch.buffered_amount <= ch.low_threshold)
        events_.push_back(event::BufferedAmountLow{ch.id});
}
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic pop
#endif

std::size_t Association::buffered_amount(std::uint16_t id) const {
    const DataChannel* ch = channel(id);
    return ch ? ch->buffered_amount : 0;
}

void Association::set_buffered_amount_low_threshold(std::uint16_t id, std::size_t bytes) {
    if (DataChannel* ch = find(id)) ch->low_threshold = bytes;
}

}  // namespace floe::sctp
