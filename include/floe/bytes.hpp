// Byte containers shared by every layer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

// The bytes of a string, without copying.
inline ByteSpan as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// A string holding the same bytes, for text protocols (SDP, JSON) and printing.
inline std::string_view as_string(ByteSpan bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Lower-case hex, two digits a byte, optionally separated ("ab:cd" for fingerprints).
std::string to_hex(ByteSpan bytes, std::string_view separator = {});

// Accepts upper or lower case; separators (':' or ' ') between bytes are allowed when
// `separator` is given. Returns nullopt for odd digits or any other character.
std::optional<Bytes> from_hex(std::string_view text, char separator = '\0');

// Constant-time comparison for secrets (MACs, fingerprints): the time does not depend on where
// the first difference is. Different sizes compare unequal.
bool equal_constant_time(ByteSpan a, ByteSpan b);

}  // namespace floe

#pragma GCC visibility pop
