// A session description (RFC 8866) as a plain value: the session-level lines, then one Media per
// m= section. Every line SDP defines has a place here; attributes keep their order and unknown
// ones are kept, so that parse -> write -> parse gives the same value.
//
//   auto parsed = floe::sdp::parse(text);          // Result<SessionDescription, ParseError>
//   if (!parsed) std::puts(parsed.error().message().c_str());   // "line 7: expected ..."
//   std::string again = floe::sdp::write(*parsed); // CRLF, canonical order, byte-stable
//
// Parsing never throws. It accepts CRLF or LF. It is strict about what floe relies on (the v= o= s=
// head, a t= line, every m= line, and the attributes listed in attributes.hpp's
// is_relied_on()) and tolerant of everything else, as browsers are: a line that is unknown,
// misplaced or slightly off is kept (in `other_lines`, or as an attribute with its value as
// written), logged at debug level ("sdp"), and never fails the description. docs/sdp.md lists
// both sides. A parsed description's typed accessors always succeed. What JSEP needs on top
// (credentials present, a data section, a usable setup) is checked by jsep.hpp.
//
// Descriptions come from the peer, so their size is bounded (`limits` below); a description past
// a limit is refused with a ParseError naming it, as soon as the limit is crossed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/result.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::sdp {

// a=<name>[:<value>]. A property attribute (a=ice-lite) has no value; "a=x:" has an empty one.
struct Attribute {
    std::string name;
    std::optional<std::string> value;

    friend bool operator==(const Attribute&, const Attribute&) = default;
};

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
struct Origin {
    std::string username = "-";
    std::uint64_t session_id = 0;
    std::uint64_t session_version = 0;
    std::string network_type = "IN";
    std::string address_type = "IP4";
    std::string address = "127.0.0.1";
    // The value as written when it does not fit the grammar above (floe uses none of o='s
    // fields); write() then writes it back instead of the fields.
    std::optional<std::string> as_written;

    friend bool operator==(const Origin&, const Origin&) = default;
};

// c=<nettype> <addrtype> <connection-address> (a multicast "/ttl/count" suffix stays in address).
struct Connection {
    std::string network_type = "IN";
    std::string address_type = "IP4";
    std::string address = "0.0.0.0";

    friend bool operator==(const Connection&, const Connection&) = default;
};

// b=<bwtype>:<bandwidth>
struct Bandwidth {
    std::string type;
    std::uint64_t value = 0;

    friend bool operator==(const Bandwidth&, const Bandwidth&) = default;
};

// t=<start> <stop>, followed by its r= lines (kept as written; an r= that is not right after a
// t= joins the last one).
struct Timing {
    std::uint64_t start = 0;
    std::uint64_t stop = 0;
    std::vector<std::string> repeats;

    friend bool operator==(const Timing&, const Timing&) = default;
};

// The attribute lists of the session and of each section share these lookups.
class AttributeList {
  public:
    std::vector<Attribute> attributes;

    // The first attribute called `name`, or nullptr.
    const Attribute* find(std::string_view name) const;
    bool has(std::string_view name) const { return find(name) != nullptr; }
    // The value of the first attribute called `name` ("" for a property attribute).
    std::optional<std::string_view> value(std::string_view name) const;
    // The values of every attribute called `name`, in order.
    std::vector<std::string_view> values(std::string_view name) const;
    void add(std::string name, std::optional<std::string> value = std::nullopt);

    friend bool operator==(const AttributeList&, const AttributeList&) = default;
};

// m=<media> <port>[/<number of ports>] <proto> <fmt> ..., then i=, c=, b=, k=, a= lines.
struct Media : AttributeList {
    std::string media = "application";
    std::uint16_t port = 9;
    std::optional<std::uint32_t> port_count;
    std::string protocol = "UDP/DTLS/SCTP";
    std::vector<std::string> formats;
    std::optional<std::string> title;  // i=
    std::vector<Connection> connections;
    std::vector<Bandwidth> bandwidths;
    std::optional<std::string> key;  // k= (obsolete, kept)
    // Lines with no place above, as written ("x=1", "t=0 0", a second i=, a c= that does not
    // parse); write() puts them after the section's attributes.
    std::vector<std::string> other_lines;

    friend bool operator==(const Media&, const Media&) = default;
};

// The parsed form of a description; the text signaled is floe::SessionDescription
// (floe/signaling.hpp), whose parse() gives this.
struct SessionDescription : AttributeList {
    std::uint32_t version = 0;  // v=0, the only version there is
    Origin origin;
    std::string session_name = "-";          // s=
    std::optional<std::string> information;  // i=
    std::optional<std::string> uri;          // u=
    std::vector<std::string> emails;         // e=
    std::vector<std::string> phones;         // p=
    std::optional<Connection> connection;    // c=
    std::vector<Bandwidth> bandwidths;       // b=
    std::vector<Timing> timings{Timing{}};   // t= (at least one) with their r=
    std::optional<std::string> zone;         // z=
    std::optional<std::string> key;          // k= (obsolete, kept)
    // Session-level lines with no place above, as written; write() puts them after the session's
    // attributes.
    std::vector<std::string> other_lines;
    std::vector<Media> media;

    friend bool operator==(const SessionDescription&, const SessionDescription&) = default;
};

// The bounds on a peer's description; docs/sdp.md "Limits" says why each is what it is (real
// browser descriptions are far below every one).
enum class Limit : std::uint8_t {
    description_bytes,  // the whole text
    lines,              // lines in the text
    media_sections,     // m= lines
    formats,            // formats on one m= line
    group_mids,         // mids in one a=group
    candidates,         // a=candidate lines in one section (or at session level)
    fingerprints,       // a=fingerprint lines in one section (or at session level)
};
namespace limits {
inline constexpr std::size_t description_bytes = 1024 * 1024;
inline constexpr std::size_t lines = 32768;
inline constexpr std::size_t media_sections = 1024;
inline constexpr std::size_t formats = 256;
inline constexpr std::size_t group_mids = media_sections;
inline constexpr std::size_t candidates = 256;
inline constexpr std::size_t fingerprints = 16;
}  // namespace limits
std::string_view to_string(Limit limit);  // "media_sections"
std::size_t limit_value(Limit limit);     // limits::media_sections

// Why a description was refused: the 1-based line number, the line as written (cut at 1024
// bytes), what was expected there, and, when an attribute's value was wrong, the attribute's name;
// `limit` when the description crossed one of the bounds above.
struct ParseError {
    std::size_t line = 0;
    std::string text;
    std::string expected;
    std::string attribute;
    std::optional<Limit> limit;

    // "line 7: expected a port 0-65535 (in \"m=application x UDP/DTLS/SCTP ...\")"
    std::string message() const;
};

Result<SessionDescription, ParseError> parse(std::string_view text);

// CRLF line endings, RFC 8866 order, attributes in model order.
std::string write(const SessionDescription& description);
// Appends to `out`, so that a caller can reuse one buffer.
void write(const SessionDescription& description, std::string& out);

}  // namespace floe::sdp

#pragma GCC visibility pop
