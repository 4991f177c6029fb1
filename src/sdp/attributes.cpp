// The WebRTC attributes: value grammars (RFC 8839 ICE, RFC 8122 fingerprint, RFC 4145/8842 setup
// and tls-id, RFC 5888/8843 group, RFC 8841 SCTP) and the accessors built on them.
#include <floe/sdp/attributes.hpp>

#include <array>

#include "common/text.hpp"

namespace floe::sdp {

namespace {

bool is_ice_chars(std::string_view s, std::size_t min, std::size_t max) {
    return s.size() >= min && s.size() <= max && text::all_of(s, text::is_ice_char);
}

constexpr std::array<std::string_view, 4> setup_names = {"actpass", "active", "passive",
                                                         "holdconn"};

// RFC 8842 §5: tls-id-value = 20*255(ALPHA / DIGIT / "+" / "/" / "-" / "_").
bool is_valid_tls_id(std::string_view s) {
    return s.size() >= 20 && s.size() <= 255 &&
           text::all_of(s, [](char c) { return text::is_ice_char(c) || c == '-' || c == '_'; });
}

std::optional<std::string_view> media_or_session(const SessionDescription& session,
                                                 const Media& media, std::string_view name) {
    if (auto v = media.value(name)) return v;
    return session.value(name);
}

}  // namespace

bool is_valid_ice_ufrag(std::string_view ufrag) {
    return is_ice_chars(ufrag, 4, 256);
}
bool is_valid_ice_pwd(std::string_view pwd) {
    return is_ice_chars(pwd, 22, 256);
}

// ---- ice-options -------------------------------------------------------------------------------

std::optional<IceOptions> IceOptions::parse(std::string_view value) {
    // RFC 8839 §5.6 separates options with spaces; libdatachannel writes "ice2,trickle" and older
    // peers sent "google-ice". Browsers read every word and ignore the ones they do not know, so
    // commas and tabs separate too, and any option is kept.
    IceOptions out;
    bool any = false;
    std::size_t i = 0;
    while (i < value.size()) {
        const auto start = value.find_first_not_of(" \t,", i);
        if (start == std::string_view::npos) break;
        auto end = value.find_first_of(" \t,", start);
        if (end == std::string_view::npos) end = value.size();
        const std::string_view option = value.substr(start, end - start);
        any = true;
        if (option == "trickle")
            out.trickle = true;
        else if (option == "ice2")
            out.ice2 = true;
        else
            out.others.emplace_back(option);
        i = end;
    }
    if (!any) return std::nullopt;
    return out;
}

std::string IceOptions::to_string() const {
    std::string out;
    auto add = [&](std::string_view option) {
        if (!out.empty()) out += ' ';
        out += option;
    };
    if (trickle) add("trickle");
    if (ice2) add("ice2");
    for (const auto& o : others)
        add(o);
    return out;
}

// ---- setup, group, sctpmap ---------------------------------------------------------------------

std::string_view to_string(Setup setup) {
    return setup_names.at(static_cast<std::size_t>(setup));
}

std::optional<Setup> parse_setup(std::string_view value) {
    for (std::size_t i = 0; i < setup_names.size(); ++i)
        if (text::iequals(setup_names.at(i), value)) return static_cast<Setup>(i);
    return std::nullopt;
}

std::optional<Group> Group::parse(std::string_view value) {
    text::Words words(value);
    auto semantics = words.next();
    if (!semantics || !text::is_token(*semantics)) return std::nullopt;
    Group out{std::string(*semantics), {}};
    while (auto mid = words.next()) {
        if (!text::is_token(*mid)) return std::nullopt;
        out.mids.emplace_back(*mid);
    }
    return out;
}

std::string Group::to_string() const {
    std::string out = semantics;
    for (const auto& m : mids)
        out += ' ' + m;
    return out;
}

std::optional<SctpMap> SctpMap::parse(std::string_view value) {
    text::Words words(value);
    auto port = words.next(), protocol = words.next(), streams = words.next();
    if (!protocol || words.next() || !text::is_token(*protocol)) return std::nullopt;
    auto port_value = text::parse_uint<std::uint16_t>(*port);
    if (!port_value) return std::nullopt;
    SctpMap out{*port_value, std::string(*protocol), std::nullopt};
    if (streams) {
        auto n = text::parse_uint<std::uint32_t>(*streams);
        if (!n) return std::nullopt;
        out.streams = *n;
    }
    return out;
}

std::string SctpMap::to_string() const {
    std::string out = std::to_string(port) + ' ' + protocol;
    if (streams) out += ' ' + std::to_string(*streams);
    return out;
}

// ---- the check sdp::parse runs on every a= line ------------------------------------------------

std::optional<std::string> check_attribute(const Attribute& attribute) {
    const std::string_view name = attribute.name;
    const bool has_value = attribute.value.has_value();
    const std::string_view value = has_value ? std::string_view(*attribute.value) : "";
    if (name == "candidate") {
        auto c = ice::Candidate::parse_value(value);
        if (!has_value || !c) {
            std::string out = "a candidate (RFC 8839 §5.1)";
            if (!has_value) return out;
            std::string_view reason = c.error().reason;
            if (reason.starts_with("expected ")) reason.remove_prefix(9);
            out += ", field " + std::to_string(c.error().field) + ": ";
            out += reason;
            return out;
        }
        return std::nullopt;
    }
    if (name == "ice-ufrag") {
        if (has_value && is_valid_ice_ufrag(value)) return std::nullopt;
        return "an ice-ufrag of 4-256 ice-chars (ALPHA / DIGIT / + /)";
    }
    if (name == "ice-pwd") {
        if (has_value && is_valid_ice_pwd(value)) return std::nullopt;
        return "an ice-pwd of 22-256 ice-chars (ALPHA / DIGIT / + /)";
    }
    if (name == "fingerprint") {
        if (has_value && Fingerprint::parse(value)) return std::nullopt;
        // An unknown hash function is not an error (it is skipped); bad hex always is.
        text::Words words(value);
        const auto hash = words.next();
        const std::string_view hex = words.rest();
        if (hash && text::is_token(*hash) && !parse_hash_function(*hash) && !hex.empty() &&
            from_hex(hex, ':'))
            return std::nullopt;
        return "<hash-function> <hex pairs separated by ':'> of the hash's length "
               "(sha-256 AB:CD:...)";
    }
    if (name == "setup") {
        if (has_value && parse_setup(value)) return std::nullopt;
        return "setup actpass, active, passive or holdconn";
    }
    if (name == "mid") {
        if (has_value && text::is_token(value) && value.size() <= 256) return std::nullopt;
        return "a mid made of 1-256 token characters";
    }
    if (name == "group") {
        if (has_value && Group::parse(value)) return std::nullopt;
        return "<semantics> <mid> ... (a=group:BUNDLE 0)";
    }
    if (name == "sctp-port") {
        if (has_value && text::parse_uint<std::uint16_t>(value)) return std::nullopt;
        return "an SCTP port 0-65535";
    }
    if (name == "max-message-size") {
        if (has_value && text::parse_uint<std::uint64_t>(value)) return std::nullopt;
        return "a maximum message size in bytes (0 = no limit)";
    }
    if (name == "sctpmap") {
        if (has_value && SctpMap::parse(value)) return std::nullopt;
        return "<port> <protocol> [<streams>] (a=sctpmap:5000 webrtc-datachannel 65535)";
    }
    return std::nullopt;
}

std::optional<std::string> describe_oddity(const Attribute& attribute) {
    const std::string_view name = attribute.name;
    const std::string_view value = attribute.value ? std::string_view(*attribute.value) : "";
    if (name == "ice-options") {
        if (!IceOptions::parse(value)) return "no ice option (read as none)";
        if (value.find_first_of(",\t") != std::string_view::npos)
            return "ice options not separated by single spaces (RFC 8839 §5.6; read anyway)";
        if (value.find("  ") != std::string_view::npos || value.front() == ' ' ||
            value.back() == ' ')
            return "extra spaces between ice options (read anyway)";
        return std::nullopt;
    }
    if (name == "ice-lite" || name == "end-of-candidates") {
        if (attribute.value) return "a value after a property attribute (read as present)";
        return std::nullopt;
    }
    if (name == "tls-id") {
        if (attribute.value && is_valid_tls_id(value)) return std::nullopt;
        return "a tls-id that is not 20-255 characters of RFC 8842 §5 (ignored)";
    }
    return std::nullopt;
}

bool is_relied_on(std::string_view name, bool session_level) {
    // What the JSEP layer reads (jsep.cpp Reader): credentials, fingerprint and setup may be at
    // either level (RFC 8839 §5.4, RFC 8122 §5, RFC 4145 §4); BUNDLE is a session attribute
    // (RFC 8843 §7); the rest are read from the sections only.
    constexpr std::array<std::string_view, 4> both = {"ice-ufrag", "ice-pwd", "fingerprint",
                                                      "setup"};
    constexpr std::array<std::string_view, 5> media_only = {"mid", "candidate", "sctp-port",
                                                            "max-message-size", "sctpmap"};
    for (auto n : both)
        if (n == name) return true;
    if (session_level) return name == "group";
    for (auto n : media_only)
        if (n == name) return true;
    return false;
}

// ---- accessors ---------------------------------------------------------------------------------

std::optional<std::string_view> ice_ufrag(const SessionDescription& session, const Media& media) {
    return media_or_session(session, media, "ice-ufrag");
}

std::optional<std::string_view> ice_pwd(const SessionDescription& session, const Media& media) {
    return media_or_session(session, media, "ice-pwd");
}

IceOptions ice_options(const SessionDescription& session, const Media& media) {
    auto value = media_or_session(session, media, "ice-options");
    auto parsed = value ? IceOptions::parse(*value) : std::nullopt;
    return parsed ? *parsed : IceOptions{};
}

bool ice_lite(const SessionDescription& session) {
    return session.has("ice-lite");
}

std::vector<Fingerprint> fingerprints(const SessionDescription& session, const Media& media) {
    const AttributeList& level =
        media.has("fingerprint") ? static_cast<const AttributeList&>(media) : session;
    std::vector<Fingerprint> out;
    for (auto value : level.values("fingerprint"))
        if (auto f = Fingerprint::parse(value)) out.push_back(std::move(*f));
    return out;
}

std::optional<Setup> setup(const SessionDescription& session, const Media& media) {
    auto value = media_or_session(session, media, "setup");
    return value ? parse_setup(*value) : std::nullopt;
}

std::optional<std::string_view> tls_id(const SessionDescription& session, const Media& media) {
    // Not relied on (floe does not renegotiate DTLS), so an odd one is kept but not reported.
    auto value = media_or_session(session, media, "tls-id");
    if (value && !is_valid_tls_id(*value)) return std::nullopt;
    return value;
}

std::optional<std::string_view> mid(const Media& media) {
    return media.value("mid");
}

std::vector<Group> groups(const SessionDescription& session) {
    std::vector<Group> out;
    for (auto value : session.values("group"))
        if (auto g = Group::parse(value)) out.push_back(std::move(*g));
    return out;
}

std::vector<std::string> bundle_mids(const SessionDescription& session) {
    for (auto& g : groups(session))
        if (g.semantics == "BUNDLE") return std::move(g.mids);
    return {};
}

std::optional<std::uint16_t> sctp_port(const Media& media) {
    auto value = media.value("sctp-port");
    return value ? text::parse_uint<std::uint16_t>(*value) : std::nullopt;
}

std::optional<std::uint64_t> max_message_size(const Media& media) {
    auto value = media.value("max-message-size");
    return value ? text::parse_uint<std::uint64_t>(*value) : std::nullopt;
}

std::optional<SctpMap> sctpmap(const Media& media) {
    auto value = media.value("sctpmap");
    return value ? SctpMap::parse(*value) : std::nullopt;
}

std::vector<ice::Candidate> candidates(const Media& media) {
    std::vector<ice::Candidate> out;
    for (const auto& a : media.attributes) {
        if (a.name != "candidate" || !a.value) continue;
        if (auto c = ice::Candidate::parse_value(*a.value)) out.push_back(std::move(*c));
    }
    return out;
}

bool end_of_candidates(const SessionDescription& session, const Media& media) {
    return media.has("end-of-candidates") || session.has("end-of-candidates");
}

}  // namespace floe::sdp
