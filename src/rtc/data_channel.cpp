#include <floe/data_channel.hpp>
#include <floe/error.hpp>

#include "rtc/peer_connection_impl.hpp"

namespace floe {

std::string_view to_string(DataChannelState state) {
    switch (state) {
        case DataChannelState::connecting:
            return "connecting";
        case DataChannelState::open:
            return "open";
        case DataChannelState::closing:
            return "closing";
        case DataChannelState::closed:
            return "closed";
    }
    return "?";
}

DataChannel::DataChannel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataChannel::~DataChannel() = default;

// The getters read the session's record of the channel (session::ChannelRecord).
const std::string& DataChannel::label() const {
    return impl_->record->label;
}
const std::string& DataChannel::protocol() const {
    return impl_->record->protocol();
}
std::optional<std::uint16_t> DataChannel::id() const {
    return impl_->record->stream();
}
bool DataChannel::ordered() const {
    return impl_->record->init.ordered;
}
std::optional<std::uint16_t> DataChannel::max_retransmits() const {
    return impl_->record->init.max_retransmits;
}
std::optional<std::uint16_t> DataChannel::max_packet_life_time() const {
    return impl_->record->init.max_packet_life_time;
}
bool DataChannel::negotiated() const {
    return impl_->record->init.negotiated;
}
DataChannelState DataChannel::ready_state() const {
    return impl_->record->state.load();
}

std::size_t DataChannel::buffered_amount() const {
    return impl_->record->buffered_amount.load(std::memory_order_relaxed) +
           impl_->posted_bytes.load(std::memory_order_relaxed);
}
std::size_t DataChannel::buffered_amount_low_threshold() const {
    return impl_->record->low_threshold.load();
}

void DataChannel::set_buffered_amount_low_threshold(std::size_t bytes) {
    // Also when the session no longer runs (the getter reads it back).
    impl_->record->low_threshold.store(bytes);
    auto pc = impl_->pc.lock();
    if (!pc) return;
    rtc::run_sync(*pc->rt, [&] {
        if (!pc->closed) pc->core.set_buffered_amount_low_threshold(impl_->handle, bytes);
    });
}

namespace {

// One rule on every thread (docs/peer_connection.md, "Sending"). What the caller can fix throws
// here, on the caller's thread, before anything is queued, as W3C send() does: InvalidStateError
// unless the channel is open (and not being closed), InvalidArgumentError (W3C: TypeError) above
// the peer's max-message-size. A message past these checks is accepted: from another thread it is
// posted to the runtime loop and buffered_amount counts it at once. What befalls an accepted
// message later (the SCTP association refuses it) is not an exception of send() on any thread: it
// reaches on_error, from the runtime loop.
// Generic because DataChannel::Impl is private to the class.
template <class PeerConnectionImpl, class ChannelImpl>
void report_refusal(PeerConnectionImpl& pc, const std::shared_ptr<ChannelImpl>& c, const Error& e) {
    asio::post(pc.io, [c, what = std::string(e.what())] { c->on_error(what); });
}

// Sending from any thread. send() on the runtime thread hands the message to the session at once;
// from another thread it is queued on the channel (a copy) and a drain is posted to the runtime
// loop. A send() on the runtime thread first drains that queue: a message another thread's send()
// accepted before this call (ordered before it by the application's own synchronisation, say a
// mutex both threads take) must not be overtaken by it, and the loop may not have run the posted
// drain yet. Every message thus reaches the session in the order of the send() calls.

// Runtime thread: hands every queued message to the session, oldest first.
template <class PeerConnectionImpl, class ChannelImpl>
void drain_posted(PeerConnectionImpl& pc, const std::shared_ptr<ChannelImpl>& c) {
    for (;;) {
        typename ChannelImpl::Posted message;
        {
            std::lock_guard lock(c->posted_mutex);
            if (c->posted.empty()) return;
            message = std::move(c->posted.front());
            c->posted.pop_front();
        }
        c->posted_bytes.fetch_sub(message.data.size());
        if (pc.closed) continue;  // PeerConnection::close() after the message was accepted
        try {
            pc.send(*c, message.binary, message.data);
        } catch (const Error& e) {
            report_refusal(pc, c, e);
        }
    }
}

template <class ChannelImpl>
void send_message(const std::shared_ptr<ChannelImpl>& c, bool binary, ByteSpan data) {
    const auto state = c->record->state.load();
    if (state != DataChannelState::open)
        throw InvalidStateError("data channel '" + c->record->label + "' is " +
                                std::string(to_string(state)) + ", not open");
    if (c->close_requested.load())
        throw InvalidStateError("data channel '" + c->record->label + "' is closing, not open");
    auto pc = c->pc.lock();
    if (!pc) throw InvalidStateError("the PeerConnection is gone");
    if (pc->rt->on_loop_thread()) {
        if (pc->closed) throw InvalidStateError("the PeerConnection is closed");
        drain_posted(*pc, c);  // mostly an uncontended lock and an empty queue
        // The session checks the peer's max-message-size (RFC 8831 §6.6) before it takes the
        // message and throws InvalidArgumentError: that reaches the caller. Anything else it
        // refuses goes to on_error, as for a message posted from another thread.
        try {
            pc->send(*c, binary, data);
        } catch (const InvalidArgumentError&) {
            throw;
        } catch (const Error& e) {
            report_refusal(*pc, c, e);
        }
        return;
    }
    // From another thread the caller learns it here, before the message is queued; the session
    // checks again when it arrives (a renegotiation in between may have lowered the limit: then
    // on_error says so).
    pc->core.check_message_size(data.size());
    bool first = false;
    {
        std::lock_guard lock(c->posted_mutex);
        first = c->posted.empty();
        c->posted.push_back(typename ChannelImpl::Posted{binary, Bytes(data.begin(), data.end())});
        // Counted under the lock: the drain, which subtracts, cannot have taken it yet.
        c->posted_bytes.fetch_add(data.size());
    }
    // One drain per queue that was empty: it takes what arrives meanwhile too.
    if (first) asio::post(pc->io, [pc, c] { drain_posted(*pc, c); });
}

}  // namespace

void DataChannel::send(std::string_view text) {
    send_message(impl_, false, as_bytes(text));
}
void DataChannel::send(ByteSpan binary) {
    send_message(impl_, true, binary);
}

void DataChannel::close() {
    auto pc = impl_->pc.lock();
    if (!pc) return;
    // W3C closing procedure: what send() accepted before close() goes out first. Messages that
    // other threads' send() queued may not have reached the session yet: they are handed over
    // first (on the runtime thread, in order), and send() refuses from now on.
    impl_->close_requested.store(true);
    rtc::run_sync(*pc->rt, [pc, c = impl_] {
        drain_posted(*pc, c);
        if (pc->closed) return;
        pc->core.close_channel(Clock::now(), c->handle);
        pc->flush();
    });
}

void DataChannel::on_open(std::function<void()> f) {
    const bool set = static_cast<bool>(f);
    impl_->on_open.set(std::move(f));
    if (!set) return;
    auto pc = impl_->pc.lock();
    if (!pc) return;
    // Delivered from the runtime loop, like a message that came before on_message.
    asio::post(pc->io, [c = impl_] {
        if (c->record->state.load() == DataChannelState::open && c->open_missed.exchange(false))
            c->on_open();
    });
}
void DataChannel::on_close(std::function<void()> f) {
    impl_->on_close.set(std::move(f));
}
void DataChannel::on_error(std::function<void(std::string)> f) {
    impl_->on_error.set(std::move(f));
}
void DataChannel::on_buffered_amount_low(std::function<void()> f) {
    impl_->on_buffered_amount_low.set(std::move(f));
}

void DataChannel::on_message(std::function<void(Message)> f) {
    const bool set = static_cast<bool>(f);
    impl_->on_message.set(std::move(f));
    if (!set) return;
    auto pc = impl_->pc.lock();
    if (!pc) return;
    // Delivered from the runtime loop, after whatever is running now, in arrival order.
    asio::post(pc->io, [pc, c = impl_] { pc->deliver_backlog(c); });
}

}  // namespace floe
