// The core side of one data channel (RFC 8831): what the association knows about a stream pair.
// The user-facing DataChannel object (include/floe, src/rtc) wraps an id and asks the
// association; this struct is the association's record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sctp/dcep.hpp"

namespace floe::sctp {

enum class ChannelState { connecting, open, closing, closed };
std::string_view to_string(ChannelState state);

// RFC 8831 §6.4 priorities as carried by DCEP.
namespace priority {
inline constexpr std::uint16_t below_normal = 128;
inline constexpr std::uint16_t normal = 256;
inline constexpr std::uint16_t high = 512;
inline constexpr std::uint16_t extra_high = 1024;
}  // namespace priority

struct ChannelOptions {
    Reliability reliability;
    // Set: a negotiated channel on this stream id, agreed out of band; no DCEP is sent.
    std::optional<std::uint16_t> negotiated_id;
    std::uint16_t priority = priority::normal;
};

struct DataChannel {
    std::uint16_t id = 0;
    std::string label;
    std::string protocol;
    Reliability reliability;
    std::uint16_t priority = priority::normal;
    bool negotiated = false;
    bool opened_locally = false;  // we sent DATA_CHANNEL_OPEN (or created it negotiated)
    bool refused = false;         // the peer's OPEN was refused: closing, never reported
    ChannelState state = ChannelState::connecting;

    // Sending: bytes of user data not yet transmitted (queued in floe, or held by usrsctp and not
    // yet put into a packet), and of those the ones usrsctp holds.
    std::size_t buffered_amount = 0;
    std::size_t unsent_in_usrsctp = 0;
    std::size_t low_threshold = 0;
    std::size_t queued_messages = 0;  // entries of the association's send queue for this channel
    bool awaiting_ack = false;        // RFC 8832 §6: send ordered until DATA_CHANNEL_ACK

    // Closing (RFC 8831 §6.7): each direction's stream is reset once; closed when both are.
    bool reset_wanted = false;     // close requested; reset our outgoing stream once drained
    bool reset_requested = false;  // SCTP_RESET_STREAMS accepted by usrsctp
    bool outgoing_reset = false;   // our outgoing stream reset completed
    bool incoming_reset = false;   // the peer reset its outgoing stream
};

}  // namespace floe::sctp
