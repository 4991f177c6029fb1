// The receive path: reads what usrsctp delivers, reassembles messages that arrive in pieces,
// dispatches DCEP (RFC 8832) and user messages, and turns usrsctp's notifications into the
// association's and channels' state changes.
#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "common/byte_reader.hpp"
#include "common/log.hpp"
#include "sctp/association.hpp"
#include "sctp/usrsctp_global.hpp"

namespace floe::sctp {

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
        case SCTP_SENDER_DRY_EVENT:
            in_flight_ = false;  // every DATA chunk acknowledged (or abandoned): T3 stopped
            break;
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

}  // namespace floe::sctp
