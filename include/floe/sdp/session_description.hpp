// A session description (RFC 8866) as a plain value: the session-level lines, then one Media per
// m= section. Every line SDP defines has a place here; attributes keep their order and unknown
// ones are kept, so that parse -> write -> parse gives the same value.
//
//   auto parsed = floe::sdp::parse(text);          // Result<SessionDescription, ParseError>
//   if (!parsed) std::puts(parsed.error().message().c_str());   // "line 7: expected ..."
//   std::string again = floe::sdp::write(*parsed); // CRLF, canonical order, byte-stable
//
// Parsing never throws. It accepts CRLF or LF, checks the line order and the grammar of every
// line, and checks the value of each WebRTC attribute it knows (see attributes.hpp), so a parsed
// description's typed accessors always succeed. What JSEP needs on top (credentials present, a
// data section, a usable setup) is checked by jsep.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/result.hpp>

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

// t=<start> <stop>, followed by its r= lines (kept as written).
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

    friend bool operator==(const Media&, const Media&) = default;
};

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
    std::vector<Media> media;

    friend bool operator==(const SessionDescription&, const SessionDescription&) = default;
};

// Why a description was refused: the 1-based line number, the line as written, what was expected
// there, and, when an attribute's value was wrong, the attribute's name.
struct ParseError {
    std::size_t line = 0;
    std::string text;
    std::string expected;
    std::string attribute;

    // "line 7: expected a port 0-65535 (in \"m=application x UDP/DTLS/SCTP ...\")"
    std::string message() const;
};

Result<SessionDescription, ParseError> parse(std::string_view text);

// CRLF line endings, RFC 8866 order, attributes in model order.
std::string write(const SessionDescription& description);
// Appends to `out`, so that a caller can reuse one buffer.
void write(const SessionDescription& description, std::string& out);

}  // namespace floe::sdp
