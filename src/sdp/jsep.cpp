// JSEP for data channels: the offer and answer floe writes, and what it requires of a remote
// description before anything is applied (RFC 8829 §5.2, §5.3, §5.8; RFC 8841; RFC 8842).
#include <floe/sdp/jsep.hpp>

#include <algorithm>
#include <array>

#include "common/text.hpp"
#include "sdp/lines.hpp"

namespace floe::sdp {

namespace {

constexpr std::string_view datachannel_format = "webrtc-datachannel";
constexpr std::string_view modern_protocol = "UDP/DTLS/SCTP";
constexpr std::string_view legacy_protocol = "DTLS/SCTP";
constexpr std::size_t session_level = static_cast<std::size_t>(-1);

constexpr std::array<std::string_view, 4> sdp_type_names = {"offer", "pranswer", "answer",
                                                            "rollback"};

struct DataSection {
    std::size_t index = 0;
    DataChannelForm form = DataChannelForm::modern;
};

// The first application section that carries SCTP over DTLS, in either form.
std::optional<DataSection> find_data_section(const SessionDescription& sd) {
    for (std::size_t i = 0; i < sd.media.size(); ++i) {
        const Media& m = sd.media[i];
        if (m.media != "application") continue;
        const bool datachannel =
            std::find(m.formats.begin(), m.formats.end(), datachannel_format) != m.formats.end();
        if ((m.protocol == modern_protocol || m.protocol == "TCP/DTLS/SCTP") && datachannel)
            return DataSection{i, DataChannelForm::modern};
        if (m.protocol == legacy_protocol) return DataSection{i, DataChannelForm::legacy};
    }
    return std::nullopt;
}

// Where a problem lies, so that read_remote(text) can name the line: a section (or the session)
// and the attribute to blame; no attribute means the section's m= line.
struct Where {
    std::size_t media = session_level;
    std::string_view attribute;
};

class Reader {
  public:
    // `parsed`: the description came from sdp::parse, which has checked every attribute value.
    Reader(const SessionDescription& sd, SdpType type, bool parsed)
        : sd_(sd), type_(type), parsed_(parsed) {}

    Result<RemoteDataParameters, DescriptionError> run();
    const Where& where() const { return where_; }

  private:
    Failure<DescriptionError> problem(Problem p, std::string detail, std::size_t media,
                                      std::string_view attribute = {}) {
        where_ = Where{media, attribute};
        return fail(DescriptionError{p, 0, {}, std::move(detail), std::nullopt});
    }
    // Whether an attribute's value does not parse (only possible in a model built by hand).
    bool malformed(const AttributeList& list, std::string_view name) const {
        if (parsed_) return false;
        for (const auto& a : list.attributes)
            if (a.name == name && check_attribute(a)) return true;
        return false;
    }
    // The list (section or session) that holds `name` for this section, as the accessors read it.
    std::size_t level_of(const Media& m, std::size_t index, std::string_view name) const {
        return m.has(name) ? index : session_level;
    }

    const SessionDescription& sd_;
    SdpType type_;
    bool parsed_;
    Where where_;
};

Result<RemoteDataParameters, DescriptionError> Reader::run() {
    if (type_ == SdpType::rollback)
        return problem(Problem::syntax, "an offer or an answer (a rollback has no description)",
                       session_level);
    auto data = find_data_section(sd_);
    if (!data)
        return problem(Problem::no_data_section,
                       "an m=application section with UDP/DTLS/SCTP webrtc-datachannel (or the "
                       "legacy DTLS/SCTP 5000)",
                       session_level);
    const std::size_t i = data->index;
    const Media& m = sd_.media[i];
    if (m.port == 0 && !m.has("bundle-only"))
        return problem(Problem::no_data_section,
                       "a data section whose port is not 0 (0 rejects it)", i);

    RemoteDataParameters r;
    r.media_index = i;
    r.form = data->form;
    r.mid = std::string(mid(m).value_or(""));

    auto ufrag = ice_ufrag(sd_, m);
    auto pwd = ice_pwd(sd_, m);
    if (!ufrag)
        return problem(Problem::missing_ice_credentials, "a=ice-ufrag in the data section", i);
    if (!pwd) return problem(Problem::missing_ice_credentials, "a=ice-pwd in the data section", i);
    if (!is_valid_ice_ufrag(*ufrag))
        return problem(Problem::malformed_ice_credentials, "an ice-ufrag of 4-256 ice-chars",
                       level_of(m, i, "ice-ufrag"), "ice-ufrag");
    if (!is_valid_ice_pwd(*pwd))
        return problem(Problem::malformed_ice_credentials, "an ice-pwd of 22-256 ice-chars",
                       level_of(m, i, "ice-pwd"), "ice-pwd");
    r.ice_ufrag = std::string(*ufrag);
    r.ice_pwd = std::string(*pwd);

    const std::size_t fp_level = level_of(m, i, "fingerprint");
    const AttributeList& fp_list =
        fp_level == session_level ? static_cast<const AttributeList&>(sd_) : m;
    if (malformed(fp_list, "fingerprint"))
        return problem(Problem::malformed_fingerprint, "<hash-function> <hex pairs>", fp_level,
                       "fingerprint");
    r.fingerprints = fingerprints(sd_, m);
    if (r.fingerprints.empty()) {
        if (fp_list.has("fingerprint"))
            return problem(Problem::missing_fingerprint,
                           "a fingerprint with a supported hash (sha-1, sha-224, sha-256, "
                           "sha-384, sha-512)",
                           fp_level, "fingerprint");
        return problem(Problem::missing_fingerprint,
                       "a=fingerprint in the data section or the session", i);
    }

    const std::size_t setup_level = level_of(m, i, "setup");
    auto role = setup(sd_, m);
    if (!role && (m.has("setup") || sd_.has("setup")))
        return problem(Problem::unsupported_setup, "setup actpass, active or passive", setup_level,
                       "setup");
    // Absent: JSEP peers always send it; RFC 4145 §4.1's default is active in an offer and
    // passive in an answer.
    r.setup = role.value_or(type_ == SdpType::offer ? Setup::active : Setup::passive);
    if (r.setup == Setup::holdconn)
        return problem(Problem::unsupported_setup,
                       "setup actpass, active or passive (not holdconn)", setup_level, "setup");
    if (type_ != SdpType::offer && r.setup == Setup::actpass)
        return problem(Problem::unsupported_setup,
                       "setup active or passive in an answer (actpass is for offers)", setup_level,
                       "setup");

    if (malformed(m, "sctp-port") || malformed(m, "sctpmap") || malformed(m, "max-message-size"))
        return problem(Problem::bad_sctp_parameters, "numeric SCTP parameters", i);
    if (data->form == DataChannelForm::modern) {
        r.sctp_port = sctp_port(m).value_or(5000);  // RFC 8841 §5.2 default
    } else if (auto map = sctpmap(m)) {
        r.sctp_port = map->port;
    } else if (auto port = text::parse_uint<std::uint16_t>(m.formats.front())) {
        r.sctp_port = *port;
    } else {
        return problem(Problem::bad_sctp_parameters,
                       "an SCTP port as the format of a DTLS/SCTP section, or a=sctpmap", i);
    }
    r.max_message_size = max_message_size(m).value_or(kDefaultMaxMessageSize);

    for (const auto& a : m.attributes) {
        if (a.name != "candidate") continue;
        auto c = ice::Candidate::parse_value(a.value.value_or(""));
        if (!c) return problem(Problem::malformed_candidate, c.error().reason, i, "candidate");
        r.candidates.push_back(std::move(*c));
    }
    r.end_of_candidates = end_of_candidates(sd_, m);
    r.ice_lite = ice_lite(sd_);
    r.ice_options = ice_options(sd_, m);
    if (auto id = tls_id(sd_, m)) r.tls_id = std::string(*id);

    // RFC 5888 §4: mids are unique; RFC 8843 §7: a BUNDLE group names existing sections, once
    // each. Sorted copies keep this n log n: a description may have limits::media_sections
    // sections and groups of limits::group_mids mids.
    std::vector<std::pair<std::string_view, std::size_t>> mids;  // mid, section
    mids.reserve(sd_.media.size());
    for (std::size_t s = 0; s < sd_.media.size(); ++s)
        if (auto id = mid(sd_.media[s])) mids.emplace_back(*id, s);
    std::sort(mids.begin(), mids.end());
    for (std::size_t k = 1; k < mids.size(); ++k)
        if (mids[k].first == mids[k - 1].first)
            return problem(Problem::duplicate_mid,
                           "a mid no other section has (mid " + std::string(mids[k].first) +
                               " is also section " + std::to_string(mids[k - 1].second) + "'s)",
                           mids[k].second, "mid");
    for (const auto& g : groups(sd_)) {
        if (g.semantics != "BUNDLE") continue;
        std::vector<std::string_view> bundled(g.mids.begin(), g.mids.end());
        std::sort(bundled.begin(), bundled.end());
        for (std::size_t k = 0; k < bundled.size(); ++k) {
            if (k > 0 && bundled[k] == bundled[k - 1])
                return problem(Problem::bad_bundle,
                               "each mid once in a BUNDLE group (mid " + std::string(bundled[k]) +
                                   " is listed twice)",
                               session_level, "group");
            const auto at = std::lower_bound(
                mids.begin(), mids.end(), bundled[k],
                [](const auto& entry, std::string_view key) { return entry.first < key; });
            if (at == mids.end() || at->first != bundled[k])
                return problem(Problem::bad_bundle,
                               "BUNDLE mids that name sections (no section has mid " +
                                   std::string(bundled[k]) + ")",
                               session_level, "group");
        }
    }
    return r;
}

// The line `where` points at in `text`: the attribute line in its section (or the session), else
// the section's m= line; {0, ""} when neither is found.
TextLine locate(std::string_view text, const Where& where) {
    LineCursor lines(text);
    std::size_t section = session_level;  // becomes 0 at the first m=
    TextLine m_line;
    while (auto line = lines.next()) {
        if (line->text.starts_with("m=")) {
            if (section == where.media) break;  // leaving the section we were looking in
            section = section == session_level ? 0 : section + 1;
            if (section == where.media) m_line = *line;
            continue;
        }
        if (section != where.media || where.attribute.empty()) continue;
        std::string_view value = line->text;
        if (!value.starts_with("a=")) continue;
        value.remove_prefix(2);
        if (value.starts_with(where.attribute) &&
            (value.size() == where.attribute.size() || value[where.attribute.size()] == ':'))
            return *line;
    }
    return m_line;
}

std::optional<DescriptionError> check_local(const LocalParameters& local) {
    auto invalid = [](std::string detail) {
        return DescriptionError{
            Problem::invalid_local_parameters, 0, {}, std::move(detail), std::nullopt};
    };
    if (!is_valid_ice_ufrag(local.ice_ufrag)) return invalid("an ice-ufrag of 4-256 ice-chars");
    if (!is_valid_ice_pwd(local.ice_pwd)) return invalid("an ice-pwd of 22-256 ice-chars");
    if (local.fingerprint.digest.size() != digest_size(local.fingerprint.algorithm))
        return invalid("a fingerprint digest as long as its hash function's output");
    if (local.setup == Setup::holdconn) return invalid("setup actpass, active or passive");
    if (!text::is_token(local.mid)) return invalid("a mid made of token characters");
    return std::nullopt;
}

SessionDescription session_skeleton(const LocalParameters& local) {
    SessionDescription sd;
    sd.origin = Origin{"-",   local.session_id, local.session_version, "IN",
                       "IP4", "127.0.0.1",      std::nullopt};
    sd.session_name = "-";
    sd.timings = {Timing{}};
    return sd;
}

void add_session_attributes(SessionDescription& sd, const LocalParameters& local,
                            std::optional<std::string_view> bundle_mid) {
    if (bundle_mid) sd.add("group", "BUNDLE " + std::string(*bundle_mid));
    if (local.ice_lite) sd.add("ice-lite");
}

// The data section both offers and answers carry.
Media data_section(const LocalParameters& local, DataChannelForm form, std::string_view protocol,
                   Setup setup, std::string_view mid) {
    Media m;
    m.media = "application";
    m.protocol = std::string(protocol);
    m.formats = {form == DataChannelForm::modern ? std::string(datachannel_format)
                                                 : std::to_string(local.sctp_port)};
    // RFC 8839 §4.2.1.2: m= and c= carry the default candidate; RFC 8840: 9 and 0.0.0.0 when
    // there is none yet.
    m.port = 9;
    Connection c;
    for (const auto& candidate : local.candidates) {
        if (auto address = candidate.socket_address()) {
            m.port = address->port();
            c.address_type = address->is_v6() ? "IP6" : "IP4";
            c.address = address->ip().to_string();
            break;
        }
    }
    m.connections = {c};
    m.attributes.reserve(12 + local.candidates.size());
    constexpr std::string_view prefix = "candidate:";
    for (const auto& candidate : local.candidates)
        m.add("candidate", candidate.to_string().substr(prefix.size()));
    if (local.end_of_candidates) m.add("end-of-candidates");
    m.add("ice-ufrag", local.ice_ufrag);
    m.add("ice-pwd", local.ice_pwd);
    m.add("ice-options", "trickle");
    m.add("fingerprint", local.fingerprint.to_string());
    m.add("setup", std::string(to_string(setup)));
    if (!mid.empty()) m.add("mid", std::string(mid));
    if (form == DataChannelForm::modern)
        m.add("sctp-port", std::to_string(local.sctp_port));
    else
        m.add("sctpmap",
              SctpMap{local.sctp_port, std::string(datachannel_format), 65535}.to_string());
    m.add("max-message-size", std::to_string(local.max_message_size));
    return m;
}

// JSEP §5.3.1: a section floe does not take is answered with port 0, in the same place.
Media rejected_section(const Media& offered) {
    Media m;
    m.media = offered.media;
    m.port = 0;
    m.protocol = offered.protocol;
    m.formats = offered.formats;
    m.connections = {Connection{}};
    if (auto id = mid(offered)) m.add("mid", std::string(*id));
    return m;
}

}  // namespace

std::string_view to_string(Problem problem) {
    switch (problem) {
        case Problem::syntax:
            return "syntax";
        case Problem::malformed_ice_credentials:
            return "malformed_ice_credentials";
        case Problem::missing_ice_credentials:
            return "missing_ice_credentials";
        case Problem::malformed_fingerprint:
            return "malformed_fingerprint";
        case Problem::missing_fingerprint:
            return "missing_fingerprint";
        case Problem::malformed_candidate:
            return "malformed_candidate";
        case Problem::no_data_section:
            return "no_data_section";
        case Problem::bad_sctp_parameters:
            return "bad_sctp_parameters";
        case Problem::unsupported_setup:
            return "unsupported_setup";
        case Problem::bad_bundle:
            return "bad_bundle";
        case Problem::invalid_local_parameters:
            return "invalid_local_parameters";
        case Problem::duplicate_mid:
            return "duplicate_mid";
        case Problem::too_large:
            return "too_large";
    }
    return "syntax";
}

std::string DescriptionError::message() const {
    std::string out(to_string(problem));
    if (line > 0) out += " (line " + std::to_string(line) + ")";
    out += ": expected " + detail;
    if (line > 0) out += " in \"" + printable_text() + "\"";
    return out;
}

std::string DescriptionError::printable_text() const {
    return text::printable(text);
}

DescriptionError to_description_error(const ParseError& error) {
    Problem problem = Problem::syntax;
    const std::string_view a = error.attribute;
    if (a == "ice-ufrag" || a == "ice-pwd")
        problem = Problem::malformed_ice_credentials;
    else if (a == "fingerprint")
        problem = Problem::malformed_fingerprint;
    else if (a == "candidate")
        problem = Problem::malformed_candidate;
    else if (a == "setup")
        problem = Problem::unsupported_setup;
    else if (a == "sctp-port" || a == "sctpmap" || a == "max-message-size")
        problem = Problem::bad_sctp_parameters;
    else if (a == "group")
        problem = Problem::bad_bundle;
    if (error.limit) problem = Problem::too_large;
    return DescriptionError{problem, error.line, error.text, error.expected, error.limit};
}

SdpError::SdpError(DescriptionError error)
    : OperationError(error.message()), error_(std::move(error)) {}

Result<RemoteDataParameters, DescriptionError> read_remote(const SessionDescription& remote,
                                                           SdpType type) {
    return Reader(remote, type, false).run();
}

Result<RemoteDescription, DescriptionError> read_remote(std::string_view text, SdpType type) {
    auto parsed = parse(text);
    if (!parsed) return fail(to_description_error(parsed.error()));
    Reader reader(*parsed, type, true);
    auto result = reader.run();
    if (result) return RemoteDescription{std::move(*result), std::move(*parsed)};
    DescriptionError error = result.error();
    const TextLine line = locate(text, reader.where());
    error.line = line.number;
    error.text = std::string(line.text);
    return fail(std::move(error));
}

Result<SessionDescription, DescriptionError> create_offer(const LocalParameters& local) {
    if (auto problem = check_local(local)) return fail(std::move(*problem));
    SessionDescription sd = session_skeleton(local);
    add_session_attributes(sd, local, local.mid);
    sd.media.push_back(
        data_section(local, DataChannelForm::modern, modern_protocol, local.setup, local.mid));
    return sd;
}

Result<SessionDescription, DescriptionError> create_answer(const SessionDescription& offer,
                                                           const LocalParameters& local) {
    if (auto problem = check_local(local)) return fail(std::move(*problem));
    auto remote = read_remote(offer, SdpType::offer);
    if (!remote) return fail(remote.error());
    const auto role = answer_setup(remote->setup, local.setup);
    if (!role)
        return fail(
            DescriptionError{Problem::unsupported_setup, 0, {}, "a usable setup", std::nullopt});

    SessionDescription sd = session_skeleton(local);
    const auto bundled = bundle_mids(offer);
    const bool bundle = !remote->mid.empty() &&
                        std::find(bundled.begin(), bundled.end(), remote->mid) != bundled.end();
    add_session_attributes(sd, local,
                           bundle ? std::optional<std::string_view>(remote->mid) : std::nullopt);
    sd.media.reserve(offer.media.size());
    for (std::size_t i = 0; i < offer.media.size(); ++i) {
        const Media& offered = offer.media[i];
        if (i == remote->media_index)
            sd.media.push_back(
                data_section(local, remote->form, offered.protocol, *role, remote->mid));
        else
            sd.media.push_back(rejected_section(offered));
    }
    return sd;
}

namespace {

// Where a trickled line goes: before a=end-of-candidates if `before_end` and there is one, else
// right after the last candidate (or first in the section, where data_section() puts them).
std::vector<Attribute>::iterator candidate_slot(Media& m, bool before_end) {
    auto& list = m.attributes;
    if (before_end) {
        auto end = std::find_if(list.begin(), list.end(),
                                [](const Attribute& a) { return a.name == "end-of-candidates"; });
        if (end != list.end()) return end;
    }
    auto last = std::find_if(list.rbegin(), list.rend(),
                             [](const Attribute& a) { return a.name == "candidate"; });
    return last == list.rend() ? list.begin() : last.base();
}

}  // namespace

bool add_candidate(SessionDescription& local, const ice::Candidate& candidate) {
    auto data = find_data_section(local);
    if (!data) return false;
    Media& m = local.media[data->index];
    constexpr std::string_view prefix = "candidate:";
    m.attributes.insert(candidate_slot(m, true),
                        Attribute{"candidate", candidate.to_string().substr(prefix.size())});
    return true;
}

bool add_end_of_candidates(SessionDescription& local) {
    auto data = find_data_section(local);
    if (!data) return false;
    Media& m = local.media[data->index];
    if (!m.has("end-of-candidates"))
        m.attributes.insert(candidate_slot(m, false), Attribute{"end-of-candidates", std::nullopt});
    return true;
}

bool is_for_data_section(const RemoteDataParameters& remote,
                         const std::optional<std::string>& sdp_mid,
                         std::optional<std::uint16_t> sdp_mline_index) {
    if (sdp_mid) return *sdp_mid == remote.mid;
    return sdp_mline_index && *sdp_mline_index == remote.media_index;
}

std::optional<Setup> answer_setup(Setup offered, Setup preferred) {
    switch (offered) {
        case Setup::actpass:
            return preferred == Setup::passive ? Setup::passive : Setup::active;
        case Setup::active:
            return Setup::passive;
        case Setup::passive:
            return Setup::active;
        case Setup::holdconn:
            break;
    }
    return std::nullopt;
}

bool is_dtls_client(Setup local, Setup remote) {
    if (local == Setup::active) return true;
    if (local == Setup::passive) return false;
    return remote == Setup::passive;
}

}  // namespace floe::sdp

// floe::SdpType (floe/sdp/sdp_type.hpp) is the façade's and the codec's.
namespace floe {

std::string_view to_string(SdpType type) {
    return sdp::sdp_type_names.at(static_cast<std::size_t>(type));
}

std::optional<SdpType> parse_sdp_type(std::string_view name) {
    for (std::size_t i = 0; i < sdp::sdp_type_names.size(); ++i)
        if (sdp::sdp_type_names.at(i) == name) return static_cast<SdpType>(i);
    return std::nullopt;
}

}  // namespace floe
