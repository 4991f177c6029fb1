// The W3C signaling dictionaries (floe/signaling.hpp): their JSON, and the way to their parsed
// forms.
#include <floe/signaling.hpp>

#include <floe/error.hpp>
#include <floe/json.hpp>
#include "common/text.hpp"

namespace floe {

namespace sdp {

namespace {

Failure<SignalingError> error(std::string expected) {
    return fail(SignalingError{0, std::move(expected)});
}

Result<json::Object, SignalingError> parse_object(std::string_view text) {
    auto object = json::parse_flat_object(text);
    if (!object) return fail(SignalingError{object.error().offset, object.error().expected});
    return std::move(*object);
}

// A member that may be absent or null but, when present, must have `kind`.
bool has_kind_or_null(const json::Object& object, std::string_view name, json::Kind kind) {
    const json::Member* m = object.find(name);
    return !m || m->kind == kind || m->kind == json::Kind::null;
}

}  // namespace

Result<floe::SessionDescription, SignalingError> parse_description_json(std::string_view text) {
    auto object = parse_object(text);
    if (!object) return fail(object.error());
    auto type_name = object->get("type", json::Kind::string);
    auto type = type_name ? parse_sdp_type(*type_name) : std::nullopt;
    if (!type) return error("\"type\": \"offer\", \"pranswer\", \"answer\" or \"rollback\"");
    auto sdp = object->get("sdp", json::Kind::string);
    if (!sdp && *type != SdpType::rollback) return error("\"sdp\": a string");
    return floe::SessionDescription{*type, std::string(sdp.value_or(""))};
}

Result<floe::IceCandidate, SignalingError> parse_candidate_json(std::string_view text) {
    auto object = parse_object(text);
    if (!object) return fail(object.error());
    floe::IceCandidate out;
    auto candidate = object->get("candidate", json::Kind::string);
    if (!candidate) return error("\"candidate\": a string");
    out.candidate = std::string(*candidate);
    // W3C RTCIceCandidateInit: sdpMid, sdpMLineIndex and usernameFragment are nullable; null
    // and absent both stay null (addIceCandidate treats a null differently from "0" or 0).
    if (!has_kind_or_null(*object, "sdpMid", json::Kind::string))
        return error("\"sdpMid\": a string or null");
    if (auto mid = object->get("sdpMid", json::Kind::string)) out.sdp_mid = std::string(*mid);
    if (!has_kind_or_null(*object, "sdpMLineIndex", json::Kind::number))
        return error("\"sdpMLineIndex\": a number or null");
    if (auto index = object->get("sdpMLineIndex", json::Kind::number)) {
        auto value = text::parse_uint<std::uint16_t>(*index);
        if (!value) return error("\"sdpMLineIndex\": an integer 0-65535");
        out.sdp_mline_index = *value;
    }
    if (!has_kind_or_null(*object, "usernameFragment", json::Kind::string))
        return error("\"usernameFragment\": a string or null");
    if (auto ufrag = object->get("usernameFragment", json::Kind::string))
        out.username_fragment = std::string(*ufrag);
    return out;
}

floe::IceCandidate make_ice_candidate(const ice::Candidate& candidate, std::string mid,
                                      std::uint16_t mline_index, std::string ufrag) {
    return floe::IceCandidate{candidate.to_string(), std::move(mid), mline_index, std::move(ufrag)};
}

}  // namespace sdp

namespace {

[[noreturn]] void throw_json(std::string_view what, const sdp::SignalingError& e) {
    throw InvalidArgumentError(std::string(what) + " JSON: expected " + e.expected + " at offset " +
                               std::to_string(e.offset));
}

}  // namespace

std::string SessionDescription::to_json() const {
    std::string out = "{\"type\":";
    json::append_string(out, floe::to_string(type));
    out += ",\"sdp\":";
    json::append_string(out, sdp);
    out += '}';
    return out;
}

SessionDescription SessionDescription::from_json(std::string_view json) {
    auto d = sdp::parse_description_json(json);
    if (!d) throw_json("session description", d.error());
    return std::move(*d);
}

Result<sdp::SessionDescription, sdp::ParseError> SessionDescription::parse() const {
    return sdp::parse(sdp);
}

std::string IceCandidate::to_json() const {
    std::string out = "{\"candidate\":";
    json::append_string(out, candidate);
    out += ",\"sdpMid\":";
    if (sdp_mid)
        json::append_string(out, *sdp_mid);
    else
        out += "null";
    out += ",\"sdpMLineIndex\":";
    out += sdp_mline_index ? std::to_string(*sdp_mline_index) : "null";
    if (username_fragment) {
        out += ",\"usernameFragment\":";
        json::append_string(out, *username_fragment);
    }
    out += '}';
    return out;
}

IceCandidate IceCandidate::from_json(std::string_view json) {
    auto c = sdp::parse_candidate_json(json);
    if (!c) throw_json("ICE candidate", c.error());
    return std::move(*c);
}

Result<ice::Candidate, ice::CandidateError> IceCandidate::parse() const {
    return ice::Candidate::parse(candidate);
}

}  // namespace floe
