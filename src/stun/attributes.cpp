// Attribute names, reason phrases and the list views. The attribute table itself is in
// attribute_table.hpp, next to the decoder that reads it.
#include <floe/stun/attributes.hpp>

#include "common/byte_reader.hpp"
#include "stun/attribute_table.hpp"

namespace floe::stun {

bool is_known_attribute(std::uint16_t type) {
    return attribute_info(type) != nullptr;
}

std::optional<std::string_view> attribute_name(std::uint16_t type) {
    if (const auto* row = attribute_info(type)) return row->name;
    return std::nullopt;
}

std::string_view default_reason(int code) {
    switch (code) {
        case 300:
            return "Try Alternate";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 420:
            return "Unknown Attribute";
        case 437:
            return "Allocation Mismatch";
        case 438:
            return "Stale Nonce";
        case 440:
            return "Address Family not Supported";
        case 441:
            return "Wrong Credentials";
        case 442:
            return "Unsupported Transport Protocol";
        case 486:
            return "Allocation Quota Reached";
        case 487:
            return "Role Conflict";
        case 500:
            return "Server Error";
        case 508:
            return "Insufficient Capacity";
        default:
            return "";
    }
}

std::uint16_t AttributeTypeList::operator[](std::size_t i) const {
    return load_u16(value_, 2 * i);
}

bool AttributeTypeList::contains(std::uint16_t type) const {
    for (std::size_t i = 0; i < size(); ++i)
        if ((*this)[i] == type) return true;
    return false;
}

std::optional<PasswordAlgorithmEntry> PasswordAlgorithmList::next(std::size_t& offset) const {
    if (offset >= value_.size()) return std::nullopt;
    ByteReader r(value_.subspan(offset));
    auto algorithm = r.u16();
    auto length = r.u16();
    if (!algorithm || !length) return std::nullopt;
    auto parameters = r.bytes(*length);
    if (!parameters) return std::nullopt;
    const std::size_t padded = (*length + 3u) & ~std::size_t{3};
    offset += 4 + padded;
    return PasswordAlgorithmEntry{*algorithm, *parameters};
}

std::size_t PasswordAlgorithmList::size() const {
    std::size_t n = 0;
    for_each([&](const PasswordAlgorithmEntry&) { ++n; });
    return n;
}

bool PasswordAlgorithmList::contains(PasswordAlgorithm algorithm) const {
    bool found = false;
    for_each([&](const PasswordAlgorithmEntry& e) {
        if (e.algorithm == static_cast<std::uint16_t>(algorithm)) found = true;
    });
    return found;
}

}  // namespace floe::stun
