// RFC 8866 grammar: one pass over the text, line by line, as string_views into the input. Strict
// about what floe relies on (the v= o= s= head, a t= line, m= lines, the attributes
// is_relied_on() names) and tolerant of the rest, which is kept and logged at debug level; the
// RFC 8866 §5 order (v o s i u e p c b t r z k a, then m i c b k a per section) is only logged.
// The bounds in `limits` are checked as the text is read. Nothing is returned until the whole
// text has been read, so a bad description leaves nothing behind. The writer is in writer.cpp.
#include <floe/sdp/attributes.hpp>
#include <floe/sdp/session_description.hpp>

#include <array>

#include "common/log.hpp"
#include "common/text.hpp"
#include "sdp/lines.hpp"

namespace floe::sdp {

// ---- attribute lists ---------------------------------------------------------------------------

const Attribute* AttributeList::find(std::string_view name) const {
    for (const auto& a : attributes)
        if (a.name == name) return &a;
    return nullptr;
}

std::optional<std::string_view> AttributeList::value(std::string_view name) const {
    const Attribute* a = find(name);
    if (!a) return std::nullopt;
    return a->value ? std::string_view(*a->value) : std::string_view();
}

std::vector<std::string_view> AttributeList::values(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& a : attributes)
        if (a.name == name) out.emplace_back(a.value ? std::string_view(*a.value) : "");
    return out;
}

void AttributeList::add(std::string name, std::optional<std::string> value) {
    attributes.push_back(Attribute{std::move(name), std::move(value)});
}

std::string_view to_string(Limit limit) {
    switch (limit) {
        case Limit::description_bytes:
            return "description_bytes";
        case Limit::lines:
            return "lines";
        case Limit::media_sections:
            return "media_sections";
        case Limit::formats:
            return "formats";
        case Limit::group_mids:
            return "group_mids";
        case Limit::candidates:
            return "candidates";
        case Limit::fingerprints:
            return "fingerprints";
    }
    return "lines";
}

std::size_t limit_value(Limit limit) {
    switch (limit) {
        case Limit::description_bytes:
            return limits::description_bytes;
        case Limit::lines:
            return limits::lines;
        case Limit::media_sections:
            return limits::media_sections;
        case Limit::formats:
            return limits::formats;
        case Limit::group_mids:
            return limits::group_mids;
        case Limit::candidates:
            return limits::candidates;
        case Limit::fingerprints:
            return limits::fingerprints;
    }
    return 0;
}

std::string ParseError::message() const {
    std::string out = "line " + std::to_string(line) + ": expected " + expected;
    if (!attribute.empty()) out += " (a=" + attribute + ")";
    if (!text.empty() || line > 0) out += " in \"" + text::printable(text) + "\"";
    return out;
}

namespace {

// Line types in the order RFC 8866 §5 gives them; -1 for a type that has no place there. The
// order is only used to log lines that break it: browsers do not enforce it either.
int session_rank(char type) {
    constexpr std::string_view order = "vosiuepcbtrzka";
    const auto at = order.find(type);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}
int media_rank(char type) {
    constexpr std::string_view order = "micbka";
    const auto at = order.find(type);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

constexpr std::string_view blanks = " \t";

std::string_view trim(std::string_view s) {
    const auto start = s.find_first_not_of(blanks);
    if (start == std::string_view::npos) return {};
    return s.substr(start, s.find_last_not_of(blanks) - start + 1);
}

// Error texts quote the line; a hostile line may be a megabyte long.
constexpr std::size_t quoted_line_bytes = 1024;

struct Line {
    std::size_t number = 0;
    std::string_view text;  // without the line ending
    char type = 0;
    std::string_view value;
};

class Parser {
  public:
    explicit Parser(std::string_view input) : input_(input), lines_(input) {}

    Result<SessionDescription, ParseError> run();

  private:
    std::optional<ParseError> head_line(const Line& line);
    std::optional<ParseError> session_line(const Line& line);
    std::optional<ParseError> media_line(const Line& line);

    static ParseError error(const Line& line, std::string expected, std::string attribute = {}) {
        std::string text(line.text.substr(0, quoted_line_bytes));
        if (line.text.size() > quoted_line_bytes) text += "...";
        return ParseError{line.number, std::move(text), std::move(expected), std::move(attribute),
                          std::nullopt};
    }
    static ParseError too_many(const Line& line, Limit limit, std::string_view what) {
        ParseError e =
            error(line, "at most " + std::to_string(limit_value(limit)) + " " + std::string(what) +
                            " (limit " + std::string(to_string(limit)) + ")");
        e.limit = limit;
        return e;
    }
    // A line that has no place in the model, or does not parse and is not one floe relies on:
    // kept as written (RFC 8866 §5: "unknown ... SHOULD be ignored"; browsers ignore them).
    void keep(const Line& line, std::vector<std::string>& other, std::string_view why) {
        FLOE_LOG(LogLevel::debug, "sdp") << "line " << line.number << ": kept as written (" << why
                                         << "): " << line.text.substr(0, 80);
        other.emplace_back(line.text);
    }
    void note_order(const Line& line, int rank) {
        if (rank >= 0 && rank < last_rank_) {
            FLOE_LOG(LogLevel::debug, "sdp") << "line " << line.number << ": " << line.type
                                             << "= out of RFC 8866 order, accepted";
        }
        if (rank > last_rank_) last_rank_ = rank;
    }

    bool origin(std::string_view value);
    static std::optional<Connection> connection(std::string_view value);
    static std::optional<Bandwidth> bandwidth(std::string_view value);
    static std::optional<Timing> timing(std::string_view value);
    std::optional<ParseError> media_header(const Line& line);
    std::optional<ParseError> attribute(const Line& line, AttributeList& out,
                                        std::vector<std::string>& other, bool session_level);

    std::string_view input_;
    LineCursor lines_;
    SessionDescription sd_;
    std::size_t head_ = 0;  // how many of v= o= s= have been read
    bool has_timing_ = false;
    bool timing_open_ = false;  // the last line was a valid t= or its r=: r= may follow
    int last_rank_ = -1;
    std::size_t candidates_ = 0;    // in the current level
    std::size_t fingerprints_ = 0;  // in the current level
    std::size_t unknown_attributes_ = 0;
    std::vector<std::string> orphan_repeats_;  // r= lines not right after their t=
};

// Attributes floe reads somewhere (attributes.hpp); any other is counted for one debug line.
bool is_known(std::string_view name) {
    constexpr std::array<std::string_view, 15> known = {"ice-ufrag",
                                                        "ice-pwd",
                                                        "ice-options",
                                                        "ice-lite",
                                                        "end-of-candidates",
                                                        "fingerprint",
                                                        "setup",
                                                        "tls-id",
                                                        "mid",
                                                        "group",
                                                        "candidate",
                                                        "sctp-port",
                                                        "sctpmap",
                                                        "max-message-size",
                                                        "bundle-only"};
    for (auto k : known)
        if (k == name) return true;
    return false;
}

Result<SessionDescription, ParseError> Parser::run() {
    if (input_.size() > limits::description_bytes) {
        // Checked before anything is read, so that an oversized description costs nothing.
        ParseError e{1, "", "", "", Limit::description_bytes};
        e.expected = "a description of at most " + std::to_string(limits::description_bytes) +
                     " bytes, not " + std::to_string(input_.size()) + " (limit description_bytes)";
        return fail(std::move(e));
    }
    bool in_media = false;
    sd_.timings.clear();
    sd_.attributes.reserve(8);
    while (auto next = lines_.next()) {
        const std::string_view text = next->text;
        Line line{next->number, text, 0, {}};
        if (line.number > limits::lines) return fail(too_many(line, Limit::lines, "lines"));
        if (text.empty()) {
            // A pasted description often ends in blank lines; one in the middle (a signaling
            // channel that doubled a line ending) carries nothing and is skipped.
            if (lines_.at_blank_end()) break;
            FLOE_LOG(LogLevel::debug, "sdp") << "line " << line.number << ": empty, skipped";
            continue;
        }
        if (text.size() < 2 || text[1] != '=' || !(text[0] >= 'a' && text[0] <= 'z'))
            return fail(error(line, "<type>=<value> with a lower-case type letter"));
        // A NUL would cut the text for C APIs; a bare CR would be read differently by peers that
        // split lines on CR. Two memchr scans beat one loop testing each character against both.
        if (text.find('\r') != std::string_view::npos || text.find('\0') != std::string_view::npos)
            return fail(error(line, "no CR or NUL inside a line"));
        line.type = text[0];
        line.value = text.substr(2);
        std::optional<ParseError> problem;
        if (head_ < 3)
            problem = head_line(line);
        else if (in_media)
            problem = media_line(line);
        else
            problem = session_line(line);
        if (problem) return fail(std::move(*problem));
        if (line.type == 'm') in_media = true;
    }
    if (head_ == 0) return fail(ParseError{1, "", "v=0 (the description is empty)", "", {}});
    if (!has_timing_) {
        Line end{lines_.number(), {}, 0, {}};
        return fail(error(end, "a t= line (the description ends early)"));
    }
    if (sd_.timings.empty()) sd_.timings.push_back(Timing{});  // only odd t= lines were seen
    auto& repeats = sd_.timings.back().repeats;
    repeats.insert(repeats.end(), std::make_move_iterator(orphan_repeats_.begin()),
                   std::make_move_iterator(orphan_repeats_.end()));
    if (unknown_attributes_ > 0) {
        FLOE_LOG(LogLevel::debug, "sdp")
            << unknown_attributes_ << " attributes floe does not use were kept as written";
    }
    return std::move(sd_);
}

// v=0, o=, s= open every description, in this order (RFC 8866 §5; Chromium and Firefox refuse a
// description that does not start this way). Only v=0 and the presence of o= and s= matter.
std::optional<ParseError> Parser::head_line(const Line& line) {
    constexpr std::string_view head = "vos";
    if (line.type != head[head_]) {
        if (head_ == 0) return error(line, "v=0 as the first line");
        return error(line, std::string(1, head[head_]) + "= before this line");
    }
    last_rank_ = session_rank(line.type);
    ++head_;
    switch (line.type) {
        case 'v':
            if (line.value != "0") return error(line, "v=0");
            break;
        case 'o':
            if (!origin(line.value)) {
                FLOE_LOG(LogLevel::debug, "sdp")
                    << "line " << line.number << ": o= kept as written (not 6 fields of "
                    << "RFC 8866 §5.2; floe uses none of them)";
                sd_.origin.as_written = std::string(line.value);
            }
            break;
        default:
            sd_.session_name = std::string(line.value);
            break;
    }
    return std::nullopt;
}

std::optional<ParseError> Parser::session_line(const Line& line) {
    if (line.type == 'm') {
        // Chromium and Firefox both need a t= line; it is cheap to demand and marks a session.
        if (!has_timing_) return error(line, "t= before this line");
        last_rank_ = 0;
        candidates_ = fingerprints_ = 0;
        return media_header(line);
    }
    const int rank = session_rank(line.type);
    note_order(line, rank);
    const bool after_timing = timing_open_;
    timing_open_ = false;
    auto& other = sd_.other_lines;
    switch (line.type) {
        case 'v':
        case 'o':
        case 's':
            keep(line, other, "repeated");
            return std::nullopt;
        case 'i':
        case 'u':
        case 'z':
        case 'k': {
            auto& field = line.type == 'i'   ? sd_.information
                          : line.type == 'u' ? sd_.uri
                          : line.type == 'z' ? sd_.zone
                                             : sd_.key;
            if (field)
                keep(line, other, "repeated");
            else
                field = std::string(line.value);
            return std::nullopt;
        }
        case 'e':
            sd_.emails.emplace_back(line.value);
            return std::nullopt;
        case 'p':
            sd_.phones.emplace_back(line.value);
            return std::nullopt;
        case 'c': {
            auto c = connection(line.value);
            if (!c || sd_.connection)
                keep(line, other, c ? "repeated" : "not <nettype> <addrtype> <address>");
            else
                sd_.connection = std::move(*c);
            return std::nullopt;
        }
        case 'b':
            if (auto b = bandwidth(line.value))
                sd_.bandwidths.push_back(std::move(*b));
            else
                keep(line, other, "not <bwtype>:<bandwidth>");
            return std::nullopt;
        case 't':
            has_timing_ = true;
            if (auto t = timing(line.value)) {
                sd_.timings.push_back(std::move(*t));
                timing_open_ = true;
            } else {
                keep(line, other, "not <start> <stop>");
            }
            return std::nullopt;
        case 'r':
            // A repeat time belongs to the t= line before it; one that is not right after a
            // valid t= or r= joins the last t= once the session's lines are read, so that
            // writing it back (after its t=) reads the same.
            if (after_timing) {
                sd_.timings.back().repeats.emplace_back(line.value);
                timing_open_ = true;
            } else {
                FLOE_LOG(LogLevel::debug, "sdp")
                    << "line " << line.number << ": r= not after a t= line, kept with the last t=";
                orphan_repeats_.emplace_back(line.value);
            }
            return std::nullopt;
        case 'a':
            return attribute(line, sd_, other, true);
        default:
            keep(line, other, "unknown line type");
            return std::nullopt;
    }
}

std::optional<ParseError> Parser::media_line(const Line& line) {
    if (line.type == 'm') {
        last_rank_ = 0;
        candidates_ = fingerprints_ = 0;
        return media_header(line);
    }
    note_order(line, media_rank(line.type));
    Media& m = sd_.media.back();
    switch (line.type) {
        case 'i':
        case 'k': {
            auto& field = line.type == 'i' ? m.title : m.key;
            if (field)
                keep(line, m.other_lines, "repeated");
            else
                field = std::string(line.value);
            return std::nullopt;
        }
        case 'c':
            // RFC 8866 §5.7 allows several c= lines here (multicast); floe reads none of them.
            if (auto c = connection(line.value))
                m.connections.push_back(std::move(*c));
            else
                keep(line, m.other_lines, "not <nettype> <addrtype> <address>");
            return std::nullopt;
        case 'b':
            if (auto b = bandwidth(line.value))
                m.bandwidths.push_back(std::move(*b));
            else
                keep(line, m.other_lines, "not <bwtype>:<bandwidth>");
            return std::nullopt;
        case 'a':
            return attribute(line, m, m.other_lines, false);
        default:
            keep(line, m.other_lines, "not a media-level line");
            return std::nullopt;
    }
}

bool Parser::origin(std::string_view value) {
    text::Words words(value);
    std::array<std::string_view, 6> f;
    for (auto& field : f) {
        auto w = words.next();
        if (!w) break;
        field = *w;
    }
    if (f[5].empty() || words.next()) return false;
    auto id = text::parse_uint<std::uint64_t>(f[1]);
    auto version = text::parse_uint<std::uint64_t>(f[2]);
    if (!id || !version || !text::is_token(f[3]) || !text::is_token(f[4])) return false;
    sd_.origin =
        Origin{std::string(f[0]), *id,         *version, std::string(f[3]), std::string(f[4]),
               std::string(f[5]), std::nullopt};
    return true;
}

std::optional<Connection> Parser::connection(std::string_view value) {
    text::Words words(value);
    auto nettype = words.next(), addrtype = words.next(), address = words.next();
    if (!address || words.next()) return std::nullopt;
    if (!text::is_token(*nettype) || !text::is_token(*addrtype)) return std::nullopt;
    return Connection{std::string(*nettype), std::string(*addrtype), std::string(*address)};
}

std::optional<Bandwidth> Parser::bandwidth(std::string_view value) {
    const auto [type, number_text, found] = text::split_once(value, ':');
    auto number = text::parse_uint<std::uint64_t>(number_text);
    if (!found || !text::is_token(type) || !number) return std::nullopt;
    return Bandwidth{std::string(type), *number};
}

std::optional<Timing> Parser::timing(std::string_view value) {
    text::Words words(value);
    auto start = words.next(), stop = words.next();
    if (!stop || words.next()) return std::nullopt;
    auto a = text::parse_uint<std::uint64_t>(*start), b = text::parse_uint<std::uint64_t>(*stop);
    if (!a || !b) return std::nullopt;
    return Timing{*a, *b, {}};
}

// Strict: floe answers every section by echoing its m= line (JSEP §5.3.1), so each must be one
// it can write back. Chromium refuses the same lines.
std::optional<ParseError> Parser::media_header(const Line& line) {
    if (sd_.media.size() >= limits::media_sections)
        return too_many(line, Limit::media_sections, "media sections");
    text::Words words(line.value);
    auto media = words.next(), port = words.next(), proto = words.next();
    if (!proto) return error(line, "<media> <port> <proto> <fmt> ...");
    Media m;
    if (!text::is_token(*media))
        return error(line, "a media type (application, audio, video, ...)");
    m.media = std::string(*media);
    const auto [port_text, count_text, has_count] = text::split_once(*port, '/');
    auto port_value = text::parse_uint<std::uint16_t>(port_text);
    if (!port_value) return error(line, "a port 0-65535");
    m.port = *port_value;
    if (has_count) {
        auto count = text::parse_uint<std::uint32_t>(count_text);
        if (!count) return error(line, "a number of ports after '/'");
        m.port_count = *count;
    }
    if (!text::all_of(*proto, [](char c) { return text::is_token_char(c) || c == '/'; }))
        return error(line, "a transport protocol (UDP/DTLS/SCTP)");
    m.protocol = std::string(*proto);
    while (auto fmt = words.next()) {
        if (!text::is_token(*fmt)) return error(line, "media formats made of token characters");
        if (m.formats.size() >= limits::formats)
            return too_many(line, Limit::formats, "formats on an m= line");
        m.formats.emplace_back(*fmt);
    }
    if (m.formats.empty()) return error(line, "at least one media format after the protocol");
    m.attributes.reserve(16);
    sd_.media.push_back(std::move(m));
    return std::nullopt;
}

std::optional<ParseError> Parser::attribute(const Line& line, AttributeList& out,
                                            std::vector<std::string>& other, bool session_level) {
    const auto [name, value, has_value] = text::split_once(line.value, ':');
    if (!is_relied_on(name, session_level)) {
        // Kept as written, whatever it looks like ("a=msid-semantic: WMS", "a=ice-options:
        // ice2,trickle", "a=x y"): floe does not read it, so it cannot be wrong for floe.
        if (!text::is_token(name)) {
            keep(line, other, "not an attribute name");
            return std::nullopt;
        }
        Attribute a{std::string(name),
                    has_value ? std::optional<std::string>(value) : std::nullopt};
        if (auto odd = describe_oddity(a)) {
            FLOE_LOG(LogLevel::debug, "sdp")
                << "line " << line.number << ": a=" << name << " kept as written: " << *odd;
        } else if (!is_known(name)) {
            ++unknown_attributes_;
        }
        out.attributes.push_back(std::move(a));
        return std::nullopt;
    }
    // Relied on: checked. Spaces around the value (a=setup: active) are not part of it.
    const std::string_view trimmed = trim(value);
    if (trimmed.size() != value.size()) {
        FLOE_LOG(LogLevel::debug, "sdp")
            << "line " << line.number << ": spaces around a=" << name << "'s value dropped";
    }
    if (name == "candidate" && ++candidates_ > limits::candidates)
        return too_many(line, Limit::candidates, "a=candidate lines in a section");
    if (name == "fingerprint" && ++fingerprints_ > limits::fingerprints)
        return too_many(line, Limit::fingerprints, "a=fingerprint lines in a section");
    if (name == "group") {
        // Counted before Group::parse copies each mid out.
        text::Words words(trimmed);
        std::size_t n = 0;
        while (words.next())
            if (++n > limits::group_mids + 1)  // + 1: the semantics
                return too_many(line, Limit::group_mids, "mids in an a=group");
    }
    Attribute a{std::string(name), has_value ? std::optional<std::string>(trimmed) : std::nullopt};
    if (auto problem = check_attribute(a)) return error(line, std::move(*problem), a.name);
    out.attributes.push_back(std::move(a));
    return std::nullopt;
}

}  // namespace

Result<SessionDescription, ParseError> parse(std::string_view text) {
    return Parser(text).run();
}

}  // namespace floe::sdp
