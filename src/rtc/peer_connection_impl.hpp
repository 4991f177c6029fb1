// The runtime side of a PeerConnection: the UDP sockets and the timer on the Runtime's
// io_context, the core they feed, and the dispatch of core events to user callbacks.
//
// Every member is touched on the runtime thread only, except the callback slots (a mutex) and the
// channel records' published fields (atomics, written by the session only). User callbacks run from
// flush(), after the core call returned, with no lock held; a public method called from inside a
// callback runs at once (we are on the runtime thread) and leaves its events to the flush already
// in progress.
#pragma once

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <asio/steady_timer.hpp>

#include <floe/data_channel.hpp>
#include <floe/peer_connection.hpp>

#include "common/fifo.hpp"
#include "rtc/runtime.hpp"
#include "rtc/shared_port.hpp"
#include "rtc/turn_stream.hpp"
#include "rtc/udp_socket.hpp"
#include "session/observer.hpp"
#include "session/session.hpp"

namespace floe {

// A callback slot settable from any thread; the runtime thread takes a reference-counted copy
// and calls it outside the lock.
template <class... A>
class CallbackSlot {
  public:
    void set(std::function<void(A...)> f) {
        auto p = f ? std::make_shared<const std::function<void(A...)>>(std::move(f)) : nullptr;
        std::lock_guard lock(mutex_);
        f_ = std::move(p);
    }
    std::shared_ptr<const std::function<void(A...)>> get() const {
        std::lock_guard lock(mutex_);
        return f_;
    }
    template <class... B>
    void operator()(B&&... args) const {
        if (auto f = get()) (*f)(std::forward<B>(args)...);
    }
    void reset() { set(nullptr); }

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const std::function<void(A...)>> f_;
};

// The public side of a channel: its callbacks, and the session's record of it (label, id, state,
// buffered amount: session::ChannelRecord), read directly, never copied.
struct DataChannel::Impl {
    std::weak_ptr<PeerConnection::Impl> pc;
    session::ChannelHandle handle = 0;
    std::shared_ptr<session::ChannelRecord> record;
    // Messages send() accepted on another thread, in the order of those calls, until the runtime
    // thread hands them to the session (data_channel.cpp, "Sending from any thread").
    struct Posted {
        bool binary = false;
        Bytes data;
    };
    std::mutex posted_mutex;
    Fifo<Posted> posted;  // guarded by posted_mutex
    // Counted in buffered_amount until the session has them.
    std::atomic<std::size_t> posted_bytes{0};
    std::atomic<bool> close_requested{false};  // close() was called: send() refuses

    CallbackSlot<> on_open;
    CallbackSlot<Message> on_message;
    CallbackSlot<> on_close;
    CallbackSlot<std::string> on_error;
    CallbackSlot<> on_buffered_amount_low;

    // Runtime thread only: messages that came before on_message was set.
    Fifo<Message> backlog;
    // The open event came before on_open was set (a channel created on an association already
    // up opens inside create_data_channel): on_open(f) delivers it, as browsers queue it.
    std::atomic<bool> open_missed{false};

    void clear_callbacks() {
        on_open.reset();
        on_message.reset();
        on_close.reset();
        on_error.reset();
        on_buffered_amount_low.reset();
    }
};

struct PeerConnection::Impl : std::enable_shared_from_this<PeerConnection::Impl> {
    Impl(Configuration configuration, std::shared_ptr<Runtime> runtime,
         std::shared_ptr<rtc::Loop> loop);
    ~Impl();

    // Runtime thread only from here on.
    void start();  // opens the sockets (or joins the Runtime's shared ones)
    void flush();  // sends, dispatches events, re-arms the timer
    // notify: run each open channel's on_close (close()); the destructor runs no callback.
    // The association may go on shutting down (Configuration::close_linger): the sockets and
    // the timer stay until the core has finished, then finish_linger() releases them.
    void close(bool notify = true);
    void finish_linger();
    void deliver_backlog(const std::shared_ptr<DataChannel::Impl>& channel);
    void send(DataChannel::Impl& channel, bool binary, ByteSpan data);
    std::shared_ptr<DataChannel> adopt_channel(session::ChannelHandle handle);

    // A socket of its own, or its registration on one of the Runtime's shared sockets
    // (RuntimeOptions::shared_udp_port): the core sees either as an ordinary local socket.
    struct Socket {
        std::unique_ptr<rtc::UdpSocket> socket;
        std::unique_ptr<rtc::SharedPort::Lease> shared;
        ice::SocketId id = 0;
        const SocketAddress& local_address() const {
            return socket ? socket->local_address() : shared->local_address();
        }
    };
    // A TCP or TLS connection to a TURN server (RFC 8656 §3.1): the session sees it as a socket
    // whose datagrams are the framed messages (docs/turn.md, "Relay candidates").
    struct TurnStream {
        ice::SocketId id = 0;
        SocketAddress server;
        std::unique_ptr<rtc::TurnLink> link;
        bool ready = false;
        std::deque<Bytes> queued;  // written once connected
        std::unique_ptr<asio::steady_timer> deadline;
    };
    void open_turn_streams();
    void turn_stream_failed(ice::SocketId id, std::string reason);
    void open_own_sockets();
    void register_ufrag();
    void join_shared_ports(const std::vector<std::shared_ptr<rtc::SharedPort>>& ports);
    // Sends everything the core has to send, in one batch per socket (see UdpSocket::send_batch).
    void send_pending();
    void arm_timer();

    Configuration config;
    // The Runtime, held while the application holds this PeerConnection (released when the
    // destructor hands a lingering one to the Runtime); `rt`, its loop (thread), held always.
    std::shared_ptr<Runtime> runtime;
    std::shared_ptr<rtc::Loop> rt;
    asio::io_context& io;
    // Sees the session's traffic for --trace and the key log; null when neither is wanted.
    std::unique_ptr<session::PacketObserver> observer;
    session::Session core;
    std::vector<Socket> sockets;
    std::vector<TurnStream> turn_streams;
    std::unique_ptr<asio::ssl::context> turn_tls;
    std::vector<session::Transmit> pending;    // send_pending's, kept for their capacity
    std::vector<rtc::OutgoingDatagram> batch;  // likewise
    asio::steady_timer timer;
    std::optional<Instant> timer_at;
    std::map<session::ChannelHandle, std::shared_ptr<DataChannel>> channels;
    bool flushing = false;
    bool closed = false;
    bool released = false;  // sockets closed: nothing left on the wire
    std::promise<void> released_promise;
    std::shared_future<void> released_future = released_promise.get_future().share();
    // Held by the Runtime (rtc::keep_until_released) after the destructor: the shutdown goes on.
    bool kept_by_runtime = false;

    CallbackSlot<std::optional<IceCandidate>> on_ice_candidate;
    CallbackSlot<IceGatheringState> on_gathering;
    CallbackSlot<IceConnectionState> on_ice_state;
    CallbackSlot<PeerConnectionState> on_connection_state;
    CallbackSlot<SignalingState> on_signaling;
    CallbackSlot<std::shared_ptr<DataChannel>> on_data_channel;
    CallbackSlot<const IceCandidateError&> on_candidate_error;
};

}  // namespace floe
