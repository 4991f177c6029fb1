// The attribute table's row, shared by the decoder and the builder (not public).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace floe::stun {

// How a value is laid out, for the decoder's extra checks beyond length.
enum class AttributeShape : std::uint8_t { opaque, text, address, error_code, password_algorithms };

struct AttributeInfo {
    std::uint16_t type;
    std::string_view name;
    std::size_t min_length;
    std::size_t max_length;
    std::size_t multiple_of;  // the length must be a multiple of this
    AttributeShape shape;
};

// The row for `type`, or nullptr when floe does not know it.
const AttributeInfo* attribute_info(std::uint16_t type);

}  // namespace floe::stun
