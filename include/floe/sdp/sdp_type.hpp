// The type of a session description (JSEP §4.1.8, W3C RTCSdpType): one enum for the façade
// (floe::SessionDescription) and the SDP codec (floe::sdp, which names it too).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

enum class SdpType : std::uint8_t { offer, pranswer, answer, rollback };
std::string_view to_string(SdpType type);  // "offer", "pranswer", "answer", "rollback"
std::optional<SdpType> parse_sdp_type(std::string_view name);

namespace sdp {
using floe::parse_sdp_type;
using floe::SdpType;
}  // namespace sdp

}  // namespace floe

#pragma GCC visibility pop
