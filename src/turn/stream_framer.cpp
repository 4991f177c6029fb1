#include "turn/stream_framer.hpp"

#include "common/byte_reader.hpp"
#include "turn/channel_data.hpp"

namespace floe::turn {

std::string_view to_string(FramingError error) {
    switch (error) {
        case FramingError::not_turn:
            return "bytes on the stream are neither STUN nor ChannelData";
        case FramingError::bad_length:
            return "a STUN length on the stream is not a multiple of 4";
        case FramingError::too_large:
            return "a message on the stream is larger than allowed";
        case FramingError::buffer_full:
            return "too many bytes buffered from the stream";
    }
    return "?";
}

bool StreamFramer::push(ByteSpan bytes) {
    if (error_) return false;
    if (buffered() + bytes.size() > 2 * max_message_) {
        error_ = FramingError::buffer_full;
        return false;
    }
    // Drop what was read before growing: the buffer stays within about two messages.
    if (start_ > 0) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return true;
}

std::optional<ByteSpan> StreamFramer::next() {
    if (error_) return std::nullopt;
    const ByteSpan unread = ByteSpan(buffer_).subspan(start_);
    ByteReader r(unread);
    const auto first = r.u16();
    const auto length = r.u16();
    if (!first || !length) return std::nullopt;
    std::size_t size = 0;     // the message as returned
    std::size_t consume = 0;  // with padding
    switch (*first >> 14) {
        case 0:  // STUN (RFC 8489 §5): the length excludes the 20-byte header
            if (*length % 4 != 0) {
                error_ = FramingError::bad_length;
                return std::nullopt;
            }
            size = consume = 20 + std::size_t{*length};
            break;
        case 1:  // ChannelData, padded to 4 on streams (RFC 8656 §12.5)
            size = channel_data_size(*length, false);
            consume = channel_data_size(*length, true);
            break;
        default:
            error_ = FramingError::not_turn;
            return std::nullopt;
    }
    if (size > max_message_) {
        error_ = FramingError::too_large;
        return std::nullopt;
    }
    if (unread.size() < consume) return std::nullopt;
    start_ += consume;
    return unread.first(size);
}

}  // namespace floe::turn
