// The data channels of a session: one record per channel, owned here from creation until its
// last event is out (docs/architecture.md, "One channel record"). The public DataChannel holds a
// shared reference to the same record and reads the published fields from any thread; only the
// session writes them, on the thread that drives it. No copy is kept in step anywhere.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <floe/data_channel.hpp>
#include <floe/peer_connection.hpp>
#include <floe/stats.hpp>

#include "session/types.hpp"

namespace floe::sctp {
class Association;
}

namespace floe::session {

struct ChannelRecord {
    ChannelRecord(std::string label, DataChannelInit init)
        : label(std::move(label)), init(std::move(init)) {}

    // Fixed at creation.
    const std::string label;
    const DataChannelInit init;  // init.protocol is the channel's protocol
    const std::string& protocol() const { return init.protocol; }

    // Published: written by the session only, read from any thread.
    std::atomic<int> id{-1};  // the SCTP stream id, -1 until known
    std::atomic<DataChannelState> state{DataChannelState::connecting};
    // Bytes sent and not yet handed to the network, as the association counted them when the
    // session last moved packets (0 once closed).
    std::atomic<std::size_t> buffered_amount{0};
    std::atomic<std::size_t> low_threshold{0};

    // The session's thread only.
    bool incoming = false;  // opened by the peer (DCEP OPEN), not yet announced
    bool was_open = false;  // reached "open" (counted in data_channels_opened)
    std::uint64_t messages_sent = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t bytes_received = 0;

    std::optional<std::uint16_t> stream() const {
        const int i = id.load(std::memory_order_relaxed);
        if (i < 0) return std::nullopt;
        return static_cast<std::uint16_t>(i);
    }
    DataChannelStats stats(ChannelHandle handle, double timestamp) const;
};

class ChannelRegistry {
  public:
    // A channel of ours (W3C createDataChannel's checks; throws and adds nothing when one fails).
    ChannelHandle create(std::string label, DataChannelInit init, std::uint16_t max_streams);
    // A channel the peer opened on stream `id`.
    ChannelHandle add_incoming(std::string label, DataChannelInit init, std::uint16_t id);

    std::shared_ptr<ChannelRecord> get(ChannelHandle handle) const;
    ChannelRecord* find(ChannelHandle handle);
    // The channel on SCTP stream `id`: {0, nullptr} when none.
    std::pair<ChannelHandle, ChannelRecord*> by_stream(std::uint16_t id);
    void bind_stream(ChannelHandle handle, std::uint16_t id);
    void unbind_stream(std::uint16_t id) { by_stream_.erase(id); }

    // Channels created before the association existed, opened in it when it does.
    void defer(ChannelHandle handle) { unopened_.push_back(handle); }
    std::vector<ChannelHandle> take_deferred() { return std::exchange(unopened_, {}); }

    // Sets the state; closing a channel zeroes its buffered amount. Returns whether it changed.
    bool set_state(ChannelRecord& record, DataChannelState state);
    // Marks every channel closed; calls closed(handle) for each that was not already.
    template <class F>
    void close_all(F&& closed) {
        for (auto& [handle, record] : channels_)
            if (set_state(*record, DataChannelState::closed)) closed(handle);
    }
    void opened(ChannelRecord& record);
    // Forgets a closed channel, keeping its counts for stats().
    void forget(ChannelHandle handle);

    // buffered_amount: a channel that sent is followed until the association transmitted it all.
    void sent(ChannelHandle handle) {
        if (std::find(sending_.begin(), sending_.end(), handle) == sending_.end())
            sending_.push_back(handle);
    }
    void refresh_buffered(const sctp::Association* association);

    // The channels' W3C stats, the peer connection's channel counts and floe's totals.
    void add_stats(StatsReport& report, double timestamp) const;

  private:
    std::map<ChannelHandle, std::shared_ptr<ChannelRecord>> channels_;
    std::map<std::uint16_t, ChannelHandle> by_stream_;
    std::vector<ChannelHandle> unopened_;
    std::vector<ChannelHandle> sending_;  // may hold a forgotten one
    ChannelHandle next_handle_ = 1;
    struct Totals {
        std::uint64_t messages_sent = 0;
        std::uint64_t bytes_sent = 0;
        std::uint64_t messages_received = 0;
        std::uint64_t bytes_received = 0;
        std::uint32_t data_channels_opened = 0;
        std::uint32_t data_channels_closed = 0;
    };
    Totals forgotten_;  // the counts of closed channels, and opened/closed totals
};

}  // namespace floe::session
