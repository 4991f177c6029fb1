// Just enough JSON for signaling messages (public: embedders and the `floe` CLI exchange the same
// messages, and PeerConnection's to_json/from_json are built on it): a flat object whose members
// are strings, numbers, booleans or null ({"type":"offer","sdp":"..."}, RTCIceCandidateInit).
// Strings are unescaped fully (\" \\ \/ \b \f \n \r \t \uXXXX with surrogate pairs, written out as
// UTF-8). Nested objects and arrays are refused, not skipped.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/result.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::json {

enum class Kind : unsigned char { string, number, boolean, null };

struct Member {
    std::string name;
    Kind kind = Kind::null;
    std::string value;  // the unescaped string, the number as written, "true"/"false", "null"
};

struct Error {
    std::size_t offset = 0;  // into the text
    std::string expected;
};

class Object {
  public:
    std::vector<Member> members;

    const Member* find(std::string_view name) const;
    // The member's value when it exists and has that kind.
    std::optional<std::string_view> get(std::string_view name, Kind kind) const;
};

Result<Object, Error> parse_flat_object(std::string_view text);

// Appends `text` as a JSON string, quotes included. Control characters are escaped; other bytes
// are copied (the input is expected to be UTF-8).
void append_string(std::string& out, std::string_view text);
// `text` as a JSON string, quotes included (append_string into a new string).
std::string quote(std::string_view text);

}  // namespace floe::json

#pragma GCC visibility pop
