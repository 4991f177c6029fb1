// RFC 8866 grammar: one pass over the text, line by line, as string_views into the input. The
// order of lines is checked with a rank per line type (RFC 8866 §5: v o s i u e p c b t r z k a,
// then m i c b k a per section); each line's value is checked by its own small parser. Nothing is
// returned until the whole text has been read, so a bad description leaves nothing behind.
#include <floe/sdp/attributes.hpp>
#include <floe/sdp/session_description.hpp>

#include <array>
#include <charconv>

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

std::string ParseError::message() const {
    std::string out = "line " + std::to_string(line) + ": expected " + expected;
    if (!attribute.empty()) out += " (a=" + attribute + ")";
    if (!text.empty() || line > 0) out += " in \"" + text + "\"";
    return out;
}

namespace {

// Line types in the order RFC 8866 §5 allows them; -1 for a type that may not appear there.
int session_rank(char type) {
    switch (type) {
        case 'v':
            return 0;
        case 'o':
            return 1;
        case 's':
            return 2;
        case 'i':
            return 3;
        case 'u':
            return 4;
        case 'e':
            return 5;
        case 'p':
            return 6;
        case 'c':
            return 7;
        case 'b':
            return 8;
        case 't':
            return 9;
        case 'r':
            return 10;
        case 'z':
            return 11;
        case 'k':
            return 12;
        case 'a':
            return 13;
        case 'm':
            return 14;
        default:
            return -1;
    }
}
int media_rank(char type) {
    switch (type) {
        case 'm':
            return 0;
        case 'i':
            return 1;
        case 'c':
            return 2;
        case 'b':
            return 3;
        case 'k':
            return 4;
        case 'a':
            return 5;
        default:
            return -1;
    }
}
// Session-level lines that may appear at most once.
bool is_single(char type) {
    return std::string_view("vosiuczk").find(type) != std::string_view::npos;
}

struct Line {
    std::size_t number = 0;
    std::string_view text;  // without the line ending
    char type = 0;
    std::string_view value;
};

class Parser {
  public:
    explicit Parser(std::string_view input) : lines_(input) {}

    Result<SessionDescription, ParseError> run();

  private:
    std::optional<ParseError> session_line(const Line& line);
    std::optional<ParseError> media_line(const Line& line);

    static ParseError error(const Line& line, std::string expected, std::string attribute = {}) {
        return ParseError{line.number, std::string(line.text), std::move(expected),
                          std::move(attribute)};
    }

    std::optional<ParseError> origin(const Line& line);
    std::optional<ParseError> connection(const Line& line, Connection& out);
    std::optional<ParseError> bandwidth(const Line& line, std::vector<Bandwidth>& out);
    std::optional<ParseError> timing(const Line& line);
    std::optional<ParseError> media_header(const Line& line);
    std::optional<ParseError> attribute(const Line& line, AttributeList& out);

    LineCursor lines_;
    SessionDescription sd_;
    int last_rank_ = -1;
    char last_type_ = 0;
};

Result<SessionDescription, ParseError> Parser::run() {
    bool in_media = false;
    sd_.timings.clear();
    sd_.attributes.reserve(8);
    while (auto next = lines_.next()) {
        const std::string_view text = next->text;
        Line line{next->number, text, 0, {}};
        if (text.empty()) {
            // Blank lines at the very end (a pasted description) are harmless; elsewhere not.
            if (lines_.at_blank_end()) break;
            return fail(error(line, "<type>=<value>, not an empty line"));
        }
        if (text.size() < 2 || text[1] != '=' || !(text[0] >= 'a' && text[0] <= 'z'))
            return fail(error(line, "<type>=<value> with a lower-case type letter"));
        // Two memchr scans beat one loop testing each character against both.
        if (text.find('\r') != std::string_view::npos || text.find('\0') != std::string_view::npos)
            return fail(error(line, "no CR or NUL inside a line"));
        line.type = text[0];
        line.value = text.substr(2);
        auto problem = in_media ? media_line(line) : session_line(line);
        if (problem) return fail(std::move(*problem));
        if (line.type == 'm') in_media = true;
    }
    if (last_type_ == 0) return fail(ParseError{1, "", "v=0 (the description is empty)", ""});
    if (sd_.timings.empty()) {
        Line end{lines_.number(), {}, 0, {}};
        return fail(error(end, "a t= line (the description ends early)"));
    }
    return std::move(sd_);
}

std::optional<ParseError> Parser::session_line(const Line& line) {
    const int rank = session_rank(line.type);
    if (rank < 0) return error(line, "a session-level line (v o s i u e p c b t r z k a m)");
    if (last_rank_ < 0 && line.type != 'v') return error(line, "v=0 as the first line");
    const bool repeat_t = line.type == 't' && (last_type_ == 't' || last_type_ == 'r');
    if (rank < last_rank_ && !repeat_t)
        return error(line, std::string(1, line.type) +
                               "= earlier: RFC 8866 orders v o s i u e p c b t r z k a");
    if (rank == last_rank_ && is_single(line.type))
        return error(line, "only one " + std::string(1, line.type) + "= line");
    // The lines every description has: v, o, s, and at least one t before z, k, a or m.
    constexpr std::array<char, 4> required = {'v', 'o', 's', 't'};
    for (char r : required)
        if (session_rank(r) < rank && session_rank(r) > last_rank_)
            return error(line, std::string(1, r) + "= before this line");
    if (line.type == 'r' && last_type_ != 't' && last_type_ != 'r')
        return error(line, "r= right after a t= line");
    last_rank_ = rank;
    last_type_ = line.type;
    switch (line.type) {
        case 'v':
            if (line.value != "0") return error(line, "v=0");
            sd_.version = 0;
            return std::nullopt;
        case 'o':
            return origin(line);
        case 's':
            sd_.session_name = std::string(line.value);
            return std::nullopt;
        case 'i':
            sd_.information = std::string(line.value);
            return std::nullopt;
        case 'u':
            sd_.uri = std::string(line.value);
            return std::nullopt;
        case 'e':
            sd_.emails.emplace_back(line.value);
            return std::nullopt;
        case 'p':
            sd_.phones.emplace_back(line.value);
            return std::nullopt;
        case 'c':
            return connection(line, sd_.connection.emplace());
        case 'b':
            return bandwidth(line, sd_.bandwidths);
        case 't':
            return timing(line);
        case 'r':
            if (line.value.empty()) return error(line, "a repeat time");
            sd_.timings.back().repeats.emplace_back(line.value);
            return std::nullopt;
        case 'z':
            sd_.zone = std::string(line.value);
            return std::nullopt;
        case 'k':
            sd_.key = std::string(line.value);
            return std::nullopt;
        case 'a':
            return attribute(line, sd_);
        default:  // 'm': the first media section; its lines are ranked m i c b k a
            last_rank_ = 0;
            return media_header(line);
    }
}

std::optional<ParseError> Parser::media_line(const Line& line) {
    if (line.type == 'm') {
        last_type_ = 'm';
        last_rank_ = 0;
        return media_header(line);
    }
    const int rank = media_rank(line.type);
    if (rank < 0)
        return error(line, "a media-level line (i c b k a); " + std::string(1, line.type) +
                               "= belongs before the first m=");
    if (rank < last_rank_)
        return error(line, std::string(1, line.type) + "= earlier: RFC 8866 orders m i c b k a");
    if (rank == last_rank_ && (line.type == 'i' || line.type == 'k'))  // c= may repeat here
        return error(line, "only one " + std::string(1, line.type) + "= line in a section");
    last_rank_ = rank;
    last_type_ = line.type;
    Media& m = sd_.media.back();
    switch (line.type) {
        case 'i':
            m.title = std::string(line.value);
            return std::nullopt;
        case 'c':
            return connection(line, m.connections.emplace_back());
        case 'b':
            return bandwidth(line, m.bandwidths);
        case 'k':
            m.key = std::string(line.value);
            return std::nullopt;
        default:
            return attribute(line, m);  // 'a'
    }
}

std::optional<ParseError> Parser::origin(const Line& line) {
    text::Words words(line.value);
    std::array<std::string_view, 6> f;
    for (auto& field : f) {
        auto w = words.next();
        if (!w) break;
        field = *w;
    }
    if (f[5].empty() || words.next())
        return error(line,
                     "6 fields: <username> <sess-id> <sess-version> <nettype> <addrtype> "
                     "<unicast-address>");
    auto id = text::parse_uint<std::uint64_t>(f[1]);
    auto version = text::parse_uint<std::uint64_t>(f[2]);
    if (!id) return error(line, "a numeric session id below 2^64");
    if (!version) return error(line, "a numeric session version below 2^64");
    if (!text::is_token(f[3]) || !text::is_token(f[4]))
        return error(line, "<nettype> <addrtype> (IN IP4)");
    sd_.origin = Origin{std::string(f[0]), *id, *version, std::string(f[3]), std::string(f[4]),
                        std::string(f[5])};
    return std::nullopt;
}

std::optional<ParseError> Parser::connection(const Line& line, Connection& out) {
    text::Words words(line.value);
    auto nettype = words.next(), addrtype = words.next(), address = words.next();
    if (!address || words.next())
        return error(line, "3 fields: <nettype> <addrtype> <connection-address>");
    if (!text::is_token(*nettype) || !text::is_token(*addrtype))
        return error(line, "<nettype> <addrtype> (IN IP4 or IN IP6)");
    out = Connection{std::string(*nettype), std::string(*addrtype), std::string(*address)};
    return std::nullopt;
}

std::optional<ParseError> Parser::bandwidth(const Line& line, std::vector<Bandwidth>& out) {
    const auto [type, value, found] = text::split_once(line.value, ':');
    auto number = text::parse_uint<std::uint64_t>(value);
    if (!found || !text::is_token(type) || !number)
        return error(line, "<bwtype>:<bandwidth> (b=AS:30)");
    out.push_back(Bandwidth{std::string(type), *number});
    return std::nullopt;
}

std::optional<ParseError> Parser::timing(const Line& line) {
    text::Words words(line.value);
    auto start = words.next(), stop = words.next();
    if (!stop || words.next()) return error(line, "2 fields: <start-time> <stop-time>");
    auto a = text::parse_uint<std::uint64_t>(*start), b = text::parse_uint<std::uint64_t>(*stop);
    if (!a || !b) return error(line, "numeric start and stop times (t=0 0)");
    sd_.timings.push_back(Timing{*a, *b, {}});
    return std::nullopt;
}

std::optional<ParseError> Parser::media_header(const Line& line) {
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
        m.formats.emplace_back(*fmt);
    }
    if (m.formats.empty()) return error(line, "at least one media format after the protocol");
    m.attributes.reserve(16);
    sd_.media.push_back(std::move(m));
    return std::nullopt;
}

std::optional<ParseError> Parser::attribute(const Line& line, AttributeList& out) {
    const auto [name, value, has_value] = text::split_once(line.value, ':');
    if (!text::is_token(name)) return error(line, "an attribute name made of token characters");
    Attribute a{std::string(name), has_value ? std::optional<std::string>(value) : std::nullopt};
    if (auto problem = check_attribute(a)) return error(line, std::move(*problem), a.name);
    out.attributes.push_back(std::move(a));
    return std::nullopt;
}

// ---- writer ------------------------------------------------------------------------------------

void put_line(std::string& out, char type, std::string_view value) {
    out += type;
    out += '=';
    out += value;
    out += "\r\n";
}

void put_number(std::string& out, std::uint64_t value) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;
    out.append(buf, end);
}

void put_connection(std::string& out, const Connection& c) {
    out += "c=";
    out += c.network_type;
    out += ' ';
    out += c.address_type;
    out += ' ';
    out += c.address;
    out += "\r\n";
}

void put_bandwidths(std::string& out, const std::vector<Bandwidth>& bandwidths) {
    for (const auto& b : bandwidths) {
        out += "b=";
        out += b.type;
        out += ':';
        put_number(out, b.value);
        out += "\r\n";
    }
}

void put_attributes(std::string& out, const AttributeList& list) {
    for (const auto& a : list.attributes) {
        out += "a=";
        out += a.name;
        if (a.value) {
            out += ':';
            out += *a.value;
        }
        out += "\r\n";
    }
}

}  // namespace

Result<SessionDescription, ParseError> parse(std::string_view text) {
    return Parser(text).run();
}

void write(const SessionDescription& sd, std::string& out) {
    out += "v=";
    put_number(out, sd.version);
    out += "\r\no=";
    out += sd.origin.username;
    out += ' ';
    put_number(out, sd.origin.session_id);
    out += ' ';
    put_number(out, sd.origin.session_version);
    out += ' ';
    out += sd.origin.network_type;
    out += ' ';
    out += sd.origin.address_type;
    out += ' ';
    out += sd.origin.address;
    out += "\r\n";
    put_line(out, 's', sd.session_name);
    if (sd.information) put_line(out, 'i', *sd.information);
    if (sd.uri) put_line(out, 'u', *sd.uri);
    for (const auto& e : sd.emails)
        put_line(out, 'e', e);
    for (const auto& p : sd.phones)
        put_line(out, 'p', p);
    if (sd.connection) put_connection(out, *sd.connection);
    put_bandwidths(out, sd.bandwidths);
    for (const auto& t : sd.timings) {
        out += "t=";
        put_number(out, t.start);
        out += ' ';
        put_number(out, t.stop);
        out += "\r\n";
        for (const auto& r : t.repeats)
            put_line(out, 'r', r);
    }
    if (sd.zone) put_line(out, 'z', *sd.zone);
    if (sd.key) put_line(out, 'k', *sd.key);
    put_attributes(out, sd);
    for (const auto& m : sd.media) {
        out += "m=";
        out += m.media;
        out += ' ';
        put_number(out, m.port);
        if (m.port_count) {
            out += '/';
            put_number(out, *m.port_count);
        }
        out += ' ';
        out += m.protocol;
        for (const auto& f : m.formats) {
            out += ' ';
            out += f;
        }
        out += "\r\n";
        if (m.title) put_line(out, 'i', *m.title);
        for (const auto& c : m.connections)
            put_connection(out, c);
        put_bandwidths(out, m.bandwidths);
        if (m.key) put_line(out, 'k', *m.key);
        put_attributes(out, m);
    }
}

std::string write(const SessionDescription& description) {
    std::string out;
    out.reserve(512 + 96 * (description.attributes.size() + [&] {
                          std::size_t n = 0;
                          for (const auto& m : description.media)
                              n += m.attributes.size();
                          return n;
                      }()));
    write(description, out);
    return out;
}

}  // namespace floe::sdp
