// The public description and candidate types as JSON, through the sdp layer's signaling helpers.
#include <floe/error.hpp>
#include <floe/peer_connection.hpp>
#include <floe/sdp/signaling.hpp>

namespace floe {

namespace {

[[noreturn]] void throw_json(std::string_view what, const sdp::SignalingError& e) {
    throw InvalidArgumentError(std::string(what) + " JSON: expected " + e.expected + " at offset " +
                               std::to_string(e.offset));
}

}  // namespace

std::string SessionDescription::to_json() const {
    return sdp::to_json(sdp::DescriptionInit{type, sdp});
}

SessionDescription SessionDescription::from_json(std::string_view json) {
    auto d = sdp::parse_description_json(json);
    if (!d) throw_json("session description", d.error());
    SessionDescription out;
    out.type = d->type;
    out.sdp = std::move(d->sdp);
    return out;
}

std::string IceCandidate::to_json() const {
    sdp::CandidateInit init;
    init.candidate = candidate;
    init.sdp_mid = sdp_mid;
    init.sdp_mline_index = static_cast<std::uint16_t>(sdp_mline_index);
    return sdp::to_json(init);
}

IceCandidate IceCandidate::from_json(std::string_view json) {
    auto c = sdp::parse_candidate_json(json);
    if (!c) throw_json("ICE candidate", c.error());
    IceCandidate out;
    out.candidate = std::move(c->candidate);
    if (out.candidate.starts_with("a=")) out.candidate.erase(0, 2);
    out.sdp_mid = c->sdp_mid.value_or("");
    out.sdp_mline_index = c->sdp_mline_index.value_or(0);
    return out;
}

}  // namespace floe
