// A channel's life in the association: the registry of channels by stream id, opening (id
// allocation, DATA_CHANNEL_OPEN, RFC 8832), and closing by an outgoing stream reset answered by the
// peer's (RFC 8831 §6.7, RFC 6525).
#include <algorithm>
#include <array>
#include <cstring>

#include "common/log.hpp"
#include "sctp/association.hpp"
#include "sctp/usrsctp_global.hpp"

namespace floe::sctp {

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
    const OwnCall own(this);
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
