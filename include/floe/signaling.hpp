// What a signaling channel carries, as the W3C dictionaries a browser hands to it:
//   floe::SessionDescription, RTCSessionDescriptionInit: {"type":"offer","sdp":"v=0\r\n..."}
//   floe::IceCandidate, RTCIceCandidateInit: {"candidate":"candidate:...","sdpMid":"0",
//       "sdpMLineIndex":0,"usernameFragment":"..."}
// These are text, exactly as signaled. Their parsed forms (the RFC grammars) belong to the codec
// API: sdp::SessionDescription (RFC 8866, floe/sdp/session_description.hpp) and ice::Candidate
// (RFC 8839 §5.1, floe/ice/candidate.hpp); parse() leads from one to the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <floe/ice/candidate.hpp>
#include <floe/result.hpp>
#include <floe/sdp/sdp_type.hpp>
#include <floe/sdp/session_description.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

// RTCSessionDescriptionInit: a description as signaled. Its parsed form is sdp::SessionDescription.
struct SessionDescription {
    SdpType type = SdpType::offer;
    std::string sdp;  // "" for a rollback

    // {"type":"offer","sdp":"..."}, exactly as a browser's JSON.stringify writes it.
    std::string to_json() const;
    // Throws InvalidArgumentError naming what is wrong (sdp::parse_description_json does not).
    static SessionDescription from_json(std::string_view json);
    // The RFC 8866 parse of `sdp`; an error names its line.
    Result<sdp::SessionDescription, sdp::ParseError> parse() const;

    friend bool operator==(const SessionDescription&, const SessionDescription&) = default;
};

// RTCIceCandidateInit: a trickled candidate as signaled; null members stay null. Its parsed form
// is ice::Candidate. An empty `candidate` is the end-of-candidates marker.
struct IceCandidate {
    std::string candidate;  // "candidate:..." (a leading "a=" is accepted by parse())
    std::optional<std::string> sdp_mid;
    std::optional<std::uint16_t> sdp_mline_index;
    // The ICE generation's ufrag (RFC 8838 §4); null means the current one.
    std::optional<std::string> username_fragment;

    bool is_end_of_candidates() const { return candidate.empty(); }
    // {"candidate":"candidate:...","sdpMid":"0","sdpMLineIndex":0}, null for a null member;
    // "usernameFragment" only when there is one.
    std::string to_json() const;
    // Throws InvalidArgumentError naming what is wrong (sdp::parse_candidate_json does not).
    static IceCandidate from_json(std::string_view json);
    // The candidate line parsed (an error for the end-of-candidates marker too).
    Result<ice::Candidate, ice::CandidateError> parse() const;

    friend bool operator==(const IceCandidate&, const IceCandidate&) = default;
};

namespace sdp {

// Where and why the signaling JSON was refused.
struct SignalingError {
    std::size_t offset = 0;  // into the JSON text
    std::string expected;
};

// The non-throwing readers behind from_json, for input that may be anything (fuzz/).
Result<floe::SessionDescription, SignalingError> parse_description_json(std::string_view json);
Result<floe::IceCandidate, SignalingError> parse_candidate_json(std::string_view json);

// A local candidate ready to trickle: its line, the mid and m-line index of its section, and
// the ufrag of the ICE generation that gathered it (RFC 8838 §4).
floe::IceCandidate make_ice_candidate(const ice::Candidate& candidate, std::string mid,
                                      std::uint16_t mline_index, std::string ufrag);

}  // namespace sdp

}  // namespace floe

#pragma GCC visibility pop
