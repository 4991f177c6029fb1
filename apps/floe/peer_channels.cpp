// `floe peer`: the PeerConnection's callbacks and the channels, the echo side (every channel the
// other peer opens echoes what it receives) and the active side (the one channel a workload uses).
#include <fstream>

#include <floe/error.hpp>

#include "peer.hpp"

namespace floe::cli::peer {

void Peer::setup_callbacks() {
    pc_->on_ice_candidate([this](std::optional<IceCandidate> c) {
        if (c) {
            ++local_candidates_;
            say("local candidate: " + c->candidate);
        } else {
            mark("gathering_complete");
        }
        if (o_.trickle) {
            const fs::path file = o_.signal / (o_.role + ".candidates");
            std::ofstream out(file, std::ios::app);
            out << (c ? c->to_json() : std::string(R"({"done":true})")) << "\n";
        }
        if (!c) {
            std::lock_guard lock(mutex_);
            gathered_ = true;
            cv_.notify_all();
        }
    });
    pc_->on_ice_connection_state_change(
        [](IceConnectionState s) { say("ice state " + std::string(to_string(s))); });
    pc_->on_connection_state_change([this](PeerConnectionState s) {
        say("state conn=" + std::string(to_string(s)));
        if (s == PeerConnectionState::connected) {
            mark("connected");
            std::lock_guard lock(mutex_);
            connected_ = true;
            cv_.notify_all();
        }
        if (s == PeerConnectionState::failed) fail("connection failed");
        if ((s == PeerConnectionState::closed || s == PeerConnectionState::disconnected) &&
            mark_of("connected")) {
            std::lock_guard lock(mutex_);
            if (passive_done_.empty()) passive_done_ = "connection " + std::string(to_string(s));
            cv_.notify_all();
        }
    });
    pc_->on_data_channel([this](std::shared_ptr<DataChannel> dc) {
        say("remote opened channel: " + dc->label() +
            " id=" + std::to_string(dc->id().value_or(0)));
        if (active_ && o_.role == "offer" && dc->label() == label_) return;
        attach_echo(dc);
        if (dc->ready_state() == DataChannelState::open) mark("dc_open");
        if (active_ && o_.role == "answer") open_answerer_channel();
    });
}

void Peer::attach_echo(const std::shared_ptr<DataChannel>& dc) {
    {
        std::lock_guard lock(mutex_);
        ++channels_seen_;
        echo_channels_.push_back(dc);
    }
    const bool is_bulk = dc->label() == "bulk";
    DataChannel* raw = dc.get();  // the channel outlives its callbacks (cleared on close)
    dc->on_open([this, raw] {
        mark("dc_open");
        say("echo channel open: " + raw->label() + " id=" + std::to_string(raw->id().value_or(0)));
    });
    auto bulk_bytes = std::make_shared<std::uint64_t>(0);
    dc->on_message([this, raw, is_bulk, bulk_bytes](Message m) {
        try {
            if (is_bulk) {
                if (m.binary) {
                    *bulk_bytes += m.size();
                } else {
                    say("bulk text \"" + std::string(m.text()) + "\" after " +
                        std::to_string(*bulk_bytes) + " B");
                    raw->send(std::string(m.text()) + " " + std::to_string(*bulk_bytes));
                }
                return;
            }
            if (echoed_++ < 100)
                say("echo #" + std::to_string(echoed_ - 1) + " " + message_kind(m));
            if (m.binary)
                raw->send(m.data);
            else
                raw->send(m.text());
        } catch (const Error& e) {
            say(std::string("echo failed: ") + e.what());
        }
    });
    dc->on_close([this, raw] {
        say("channel closed: " + raw->label());
        std::lock_guard lock(mutex_);
        if (passive_done_.empty()) passive_done_ = "channel closed";
        cv_.notify_all();
    });
}

void Peer::setup_active(const std::shared_ptr<DataChannel>& dc) {
    {
        std::lock_guard lock(mutex_);
        active_dc_ = dc;
    }
    DataChannel* raw = dc.get();
    dc->on_open([this, raw] {
        mark("dc_open");
        say("channel open: " + raw->label() + " id=" + std::to_string(raw->id().value_or(0)));
        std::lock_guard lock(mutex_);
        active_open_ = true;
        cv_.notify_all();
    });
    dc->on_message([this](Message m) {
        std::lock_guard lock(mutex_);
        inbox_.push_back(std::move(m));
        cv_.notify_all();
    });
    dc->on_buffered_amount_low([this] { cv_.notify_all(); });
    dc->on_close([this] {
        std::lock_guard lock(mutex_);
        if (passive_done_.empty()) passive_done_ = "channel closed";
        cv_.notify_all();
    });
    if (dc->ready_state() == DataChannelState::open) {
        mark("dc_open");
        std::lock_guard lock(mutex_);
        active_open_ = true;
    }
}

void Peer::open_answerer_channel() {
    if (answerer_channel_opened_.exchange(true)) return;
    say("answerer is the active side: opening channel " + label_);
    setup_active(pc_->create_data_channel(label_));
}

void Peer::report_pair() {
    if (!selected_pair_.empty()) return;
    const auto stats = pc_->get_stats();
    if (const auto* pair = stats.selected_candidate_pair()) {
        selected_pair_ = stats.describe(*pair);
        say("SELECTED PAIR: " + selected_pair_);
        say("DTLS cipher " + stats.transport->dtls_cipher);
    }
}

std::optional<Message> Peer::next_message() {
    std::optional<Message> out;
    wait_for([&] { return !inbox_.empty(); }, [this] { read_remote_candidates(); });
    std::lock_guard lock(mutex_);
    if (!inbox_.empty()) {
        out = std::move(inbox_.front());
        inbox_.pop_front();
    }
    return out;
}

void Peer::drain_to(std::size_t limit) {
    auto dc = active_dc_;
    wait_for([&] { return dc->buffered_amount() <= limit; });
}

}  // namespace floe::cli::peer
