#include "session/channel_registry.hpp"

#include <algorithm>

#include <floe/error.hpp>

#include "sctp/association.hpp"

namespace floe::session {

DataChannelStats ChannelRecord::stats(ChannelHandle handle, double timestamp) const {
    DataChannelStats s;
    s.id = "D" + std::to_string(handle);
    s.timestamp = timestamp;
    s.label = label;
    s.protocol = protocol();
    s.data_channel_identifier = stream();
    s.state = state.load(std::memory_order_relaxed);
    s.messages_sent = messages_sent;
    s.bytes_sent = bytes_sent;
    s.messages_received = messages_received;
    s.bytes_received = bytes_received;
    return s;
}

ChannelHandle ChannelRegistry::create(std::string label, DataChannelInit init,
                                      std::uint16_t max_streams) {
    // W3C webrtc §6.2 createDataChannel: the checks, in its order.
    if (label.size() > 65535)
        throw InvalidArgumentError("data channel label longer than 65535 bytes");
    if (init.protocol.size() > 65535)
        throw InvalidArgumentError("data channel protocol longer than 65535 bytes");
    if (init.max_retransmits && init.max_packet_life_time)
        throw InvalidArgumentError(
            "max_retransmits and max_packet_life_time cannot both be set (W3C TypeError)");
    if (init.negotiated && !init.id)
        throw InvalidArgumentError("a negotiated data channel needs an id");
    if (init.id && *init.id >= max_streams)
        throw InvalidArgumentError("data channel id " + std::to_string(*init.id) +
                                   " is out of range (0-" + std::to_string(max_streams - 1) + ")");
    if (init.negotiated) {
        for (const auto& [h, c] : channels_)
            if (c->stream() == init.id &&
                c->state.load(std::memory_order_relaxed) != DataChannelState::closed)
                throw OperationError("data channel id " + std::to_string(*init.id) +
                                     " is already in use");
    }
    if (!init.negotiated) init.id.reset();  // DCEP channels take the next id of our parity
    const ChannelHandle h = next_handle_++;
    channels_.emplace(h, std::make_shared<ChannelRecord>(std::move(label), std::move(init)));
    return h;
}

ChannelHandle ChannelRegistry::add_incoming(std::string label, DataChannelInit init,
                                            std::uint16_t id) {
    const ChannelHandle h = next_handle_++;
    auto record = std::make_shared<ChannelRecord>(std::move(label), std::move(init));
    record->incoming = true;
    channels_.emplace(h, std::move(record));
    bind_stream(h, id);
    return h;
}

std::shared_ptr<ChannelRecord> ChannelRegistry::get(ChannelHandle handle) const {
    auto it = channels_.find(handle);
    return it == channels_.end() ? nullptr : it->second;
}

ChannelRecord* ChannelRegistry::find(ChannelHandle handle) {
    auto it = channels_.find(handle);
    return it == channels_.end() ? nullptr : it->second.get();
}

std::pair<ChannelHandle, ChannelRecord*> ChannelRegistry::by_stream(std::uint16_t id) {
    auto it = by_stream_.find(id);
    if (it == by_stream_.end()) return {0, nullptr};
    return {it->second, find(it->second)};
}

void ChannelRegistry::bind_stream(ChannelHandle handle, std::uint16_t id) {
    if (auto* record = find(handle)) record->id.store(id, std::memory_order_relaxed);
    by_stream_[id] = handle;
}

bool ChannelRegistry::set_state(ChannelRecord& record, DataChannelState state) {
    if (record.state.load(std::memory_order_relaxed) == state) return false;
    if (state == DataChannelState::closed)
        record.buffered_amount.store(0, std::memory_order_relaxed);
    record.state.store(state, std::memory_order_release);
    return true;
}

void ChannelRegistry::opened(ChannelRecord& record) {
    set_state(record, DataChannelState::open);
    record.was_open = true;
    ++forgotten_.data_channels_opened;
}

void ChannelRegistry::forget(ChannelHandle handle) {
    auto it = channels_.find(handle);
    if (it == channels_.end()) return;
    const ChannelRecord& c = *it->second;
    forgotten_.messages_sent += c.messages_sent;
    forgotten_.bytes_sent += c.bytes_sent;
    forgotten_.messages_received += c.messages_received;
    forgotten_.bytes_received += c.bytes_received;
    if (c.was_open) ++forgotten_.data_channels_closed;
    std::erase(unopened_, handle);
    channels_.erase(it);
}

void ChannelRegistry::refresh_buffered(const sctp::Association* association) {
    std::erase_if(sending_, [&](ChannelHandle handle) {
        auto* record = find(handle);
        if (!record) return true;
        const auto id = record->stream();
        const std::size_t bytes =
            association && id &&
                    record->state.load(std::memory_order_relaxed) != DataChannelState::closed
                ? association->buffered_amount(*id)
                : 0;
        record->buffered_amount.store(bytes, std::memory_order_relaxed);
        return bytes == 0;
    });
}

void ChannelRegistry::add_stats(StatsReport& r, double timestamp) const {
    FloeStats& f = r.floe;
    f.messages_sent += forgotten_.messages_sent;
    f.bytes_sent += forgotten_.bytes_sent;
    f.messages_received += forgotten_.messages_received;
    f.bytes_received += forgotten_.bytes_received;
    r.peer_connection.data_channels_opened += forgotten_.data_channels_opened;
    r.peer_connection.data_channels_closed += forgotten_.data_channels_closed;
    for (const auto& [h, record] : channels_) {
        auto c = record->stats(h, timestamp);
        f.messages_sent += c.messages_sent;
        f.bytes_sent += c.bytes_sent;
        f.messages_received += c.messages_received;
        f.bytes_received += c.bytes_received;
        r.data_channels.push_back(std::move(c));
    }
}

}  // namespace floe::session
