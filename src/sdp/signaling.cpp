#include <floe/sdp/signaling.hpp>

#include <floe/json.hpp>
#include "common/text.hpp"

namespace floe::sdp {

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

Result<ice::Candidate, ice::CandidateError> CandidateInit::parse_candidate() const {
    return ice::Candidate::parse(candidate);
}

std::string to_json(const DescriptionInit& description) {
    std::string out = "{\"type\":";
    json::append_string(out, to_string(description.type));
    out += ",\"sdp\":";
    json::append_string(out, description.sdp);
    out += '}';
    return out;
}

Result<DescriptionInit, SignalingError> parse_description_json(std::string_view text) {
    auto object = parse_object(text);
    if (!object) return fail(object.error());
    auto type_name = object->get("type", json::Kind::string);
    auto type = type_name ? parse_sdp_type(*type_name) : std::nullopt;
    if (!type) return error("\"type\": \"offer\", \"pranswer\", \"answer\" or \"rollback\"");
    auto sdp = object->get("sdp", json::Kind::string);
    if (!sdp && *type != SdpType::rollback) return error("\"sdp\": a string");
    return DescriptionInit{*type, std::string(sdp.value_or(""))};
}

std::string to_json(const CandidateInit& c) {
    std::string out = "{\"candidate\":";
    json::append_string(out, c.candidate);
    out += ",\"sdpMid\":";
    if (c.sdp_mid)
        json::append_string(out, *c.sdp_mid);
    else
        out += "null";
    out += ",\"sdpMLineIndex\":";
    out += c.sdp_mline_index ? std::to_string(*c.sdp_mline_index) : "null";
    if (c.username_fragment) {
        out += ",\"usernameFragment\":";
        json::append_string(out, *c.username_fragment);
    }
    out += '}';
    return out;
}

Result<CandidateInit, SignalingError> parse_candidate_json(std::string_view text) {
    auto object = parse_object(text);
    if (!object) return fail(object.error());
    CandidateInit out;
    auto candidate = object->get("candidate", json::Kind::string);
    if (!candidate) return error("\"candidate\": a string");
    out.candidate = std::string(*candidate);
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

CandidateInit make_candidate_init(const ice::Candidate& candidate, std::string mid,
                                  std::uint16_t mline_index) {
    return CandidateInit{candidate.to_string(), std::move(mid), mline_index, std::nullopt};
}

}  // namespace floe::sdp
