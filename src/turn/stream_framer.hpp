// Splits a TCP or TLS byte stream to a TURN server into messages (RFC 8656 §12.5): STUN
// messages (first two bits 00, 20 + Length bytes) and ChannelData messages (first two bits 01,
// 4 + Length bytes padded to a multiple of 4). Anything else means the stream is out of step
// and cannot be resynchronised: the framer stops with an error and the caller closes the
// connection.
//
//   StreamFramer framer;
//   on bytes: if (!framer.push(bytes)) close;  while (auto m = framer.next()) handle(*m);
//
// Memory is bounded: a message above `max_message` (the length field is read before the body
// arrives) and a buffer above two messages' worth are errors, not allocations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <floe/bytes.hpp>

namespace floe::turn {

enum class FramingError : std::uint8_t {
    not_turn,     // the first two bits are 10 or 11: neither STUN nor ChannelData
    bad_length,   // a STUN length that is not a multiple of 4
    too_large,    // a message above max_message
    buffer_full,  // more than 2 · max_message bytes pushed without next() draining them
};
std::string_view to_string(FramingError error);

class StreamFramer {
  public:
    // The largest STUN message: 20 + 65535 rounded down to a multiple of 4.
    static constexpr std::size_t default_max_message = 20 + 65532;

    explicit StreamFramer(std::size_t max_message = default_max_message)
        : max_message_(max_message) {}

    // Appends bytes read from the stream. False once the stream is broken (see error()).
    bool push(ByteSpan bytes);
    // The next whole message: a STUN message, or a ChannelData message without its padding.
    // Valid until the next push() or next(). nullopt when more bytes are needed or on error.
    std::optional<ByteSpan> next();

    std::optional<FramingError> error() const { return error_; }
    std::size_t buffered() const { return buffer_.size() - start_; }

  private:
    std::size_t max_message_;
    Bytes buffer_;
    std::size_t start_ = 0;  // where the unread bytes begin
    std::optional<FramingError> error_;
};

}  // namespace floe::turn
