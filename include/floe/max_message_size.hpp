// a=max-message-size (RFC 8841 §6): the largest message a peer accepts, announced in its
// description.
#pragma once

#include <cstddef>

namespace floe {

// What floe announces and accepts unless configured otherwise: 256 KiB, as Chromium announces.
// Configuration::max_message_size, the SDP writer (sdp::LocalParameters) and the SCTP
// association (sctp::Config) all start from it.
inline constexpr std::size_t default_max_message_size = 262144;

}  // namespace floe
