// The JSON a browser hands to its signaling channel, read and written:
//   RTCSessionDescriptionInit  {"type":"offer","sdp":"v=0\r\n..."}
//   RTCIceCandidateInit        {"candidate":"candidate:...","sdpMid":"0","sdpMLineIndex":0}
// An empty "candidate" is the browser's end-of-candidates marker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <floe/ice/candidate.hpp>
#include <floe/result.hpp>
#include <floe/sdp/jsep.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::sdp {

struct SignalingError {
    std::size_t offset = 0;  // into the JSON text
    std::string expected;
};

struct DescriptionInit {
    SdpType type = SdpType::offer;
    std::string sdp;

    friend bool operator==(const DescriptionInit&, const DescriptionInit&) = default;
};

struct CandidateInit {
    std::string candidate;  // "candidate:..." or "" (end of candidates)
    std::optional<std::string> sdp_mid;
    std::optional<std::uint16_t> sdp_mline_index;
    std::optional<std::string> username_fragment;

    bool is_end_of_candidates() const { return candidate.empty(); }
    // The candidate line parsed (an error for "" too).
    Result<ice::Candidate, ice::CandidateError> parse_candidate() const;

    friend bool operator==(const CandidateInit&, const CandidateInit&) = default;
};

std::string to_json(const DescriptionInit& description);
Result<DescriptionInit, SignalingError> parse_description_json(std::string_view json);

std::string to_json(const CandidateInit& candidate);
Result<CandidateInit, SignalingError> parse_candidate_json(std::string_view json);

// A local candidate ready to trickle: its line, the mid and the m-line index of its section.
CandidateInit make_candidate_init(const ice::Candidate& candidate, std::string mid,
                                  std::uint16_t mline_index);

}  // namespace floe::sdp

#pragma GCC visibility pop
