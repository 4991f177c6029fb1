// RTCDataChannel in C++ style. Created by PeerConnection::create_data_channel or announced by
// PeerConnection::on_data_channel; shared between the application and the PeerConnection.
//
// Thread safety: every method may be called from any thread. Callbacks run on the runtime thread,
// never under a floe lock, after the protocol core has returned: calling send() or close() (or
// PeerConnection::close()) from inside a callback is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <floe/bytes.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

enum class DataChannelState { connecting, open, closing, closed };
std::string_view to_string(DataChannelState state);

struct DataChannelInit {
    bool ordered = true;
    // Partial reliability: at most one of the two (W3C: TypeError otherwise).
    std::optional<std::uint16_t> max_retransmits;
    std::optional<std::uint16_t> max_packet_life_time;  // milliseconds
    std::string protocol;
    // Negotiated out of band: both sides create the channel with the same id, no DCEP.
    bool negotiated = false;
    std::optional<std::uint16_t> id;  // required when negotiated
};

// A received message: text (UTF-8, as sent) or binary.
struct Message {
    bool binary = false;
    Bytes data;

    std::string_view text() const { return as_string(data); }
    std::size_t size() const { return data.size(); }
};

class PeerConnection;

class DataChannel {
  public:
    ~DataChannel();
    DataChannel(const DataChannel&) = delete;
    DataChannel& operator=(const DataChannel&) = delete;

    const std::string& label() const;
    const std::string& protocol() const;
    // The SCTP stream id; empty until the DTLS role is known (W3C: null).
    std::optional<std::uint16_t> id() const;
    bool ordered() const;
    std::optional<std::uint16_t> max_retransmits() const;
    std::optional<std::uint16_t> max_packet_life_time() const;
    bool negotiated() const;
    DataChannelState ready_state() const;

    // Bytes queued by send() and not yet handed to the network.
    std::size_t buffered_amount() const;
    std::size_t buffered_amount_low_threshold() const;
    void set_buffered_amount_low_threshold(std::size_t bytes);

    // The same rule from every thread: throws, in the caller, InvalidStateError unless open (or
    // once close() was called), InvalidArgumentError above the peer's max-message-size (W3C:
    // InvalidStateError, TypeError). Otherwise the message is accepted (buffered_amount counts it)
    // and never makes send() throw later: should the SCTP association refuse it, on_error says so.
    // Never blocks: from another thread it is queued for the runtime thread, ahead of a later
    // close(). Empty messages are allowed.
    void send(std::string_view text);
    void send(ByteSpan binary);
    void send(const Bytes& binary) { send(ByteSpan(binary)); }
    void send(const char* text) { send(std::string_view(text)); }
    // Resets the stream; on_close follows when both directions are closed. Idempotent.
    void close();

    // Setting a callback replaces the previous one. Messages that arrive before on_message is set
    // are kept and delivered, in order, when it is.
    void on_open(std::function<void()> callback);
    void on_message(std::function<void(Message)> callback);
    void on_close(std::function<void()> callback);
    void on_error(std::function<void(std::string)> callback);
    void on_buffered_amount_low(std::function<void()> callback);

  private:
    // Made by its PeerConnection only; the state shared with it is defined in src/rtc.
    friend class PeerConnection;
    struct Impl;
    explicit DataChannel(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;
};

}  // namespace floe

#pragma GCC visibility pop
