// The table of attributes floe knows: one row per attribute, with the value lengths its RFC
// allows. The decoder (message.cpp) checks lengths against it; names serve logs and --trace.
#include <floe/stun/attributes.hpp>

#include <array>

#include "common/byte_reader.hpp"
#include "stun/attribute_table.hpp"

namespace floe::stun {

namespace {

constexpr std::size_t any = 0xFFFF;

// clang-format off
constexpr std::array<AttributeInfo, 20> table = {{
    // type                          name                        min  max   multiple of
    {attr::mapped_address,           "MAPPED-ADDRESS",            8,  20,  4, AttributeShape::address},
    {attr::username,                 "USERNAME",                  0, max_username_bytes, 1, AttributeShape::text},
    {attr::message_integrity,        "MESSAGE-INTEGRITY",        20,  20,  1, AttributeShape::opaque},
    {attr::error_code,               "ERROR-CODE",                4,  4 + max_reason_bytes, 1, AttributeShape::error_code},
    {attr::unknown_attributes,       "UNKNOWN-ATTRIBUTES",        0, any,  2, AttributeShape::opaque},
    {attr::realm,                    "REALM",                     0, max_realm_bytes, 1, AttributeShape::text},
    {attr::nonce,                    "NONCE",                     0, max_nonce_bytes, 1, AttributeShape::text},
    {attr::message_integrity_sha256, "MESSAGE-INTEGRITY-SHA256", 16,  32,  4, AttributeShape::opaque},
    {attr::password_algorithm,       "PASSWORD-ALGORITHM",        4, any,  1, AttributeShape::password_algorithms},
    {attr::userhash,                 "USERHASH",                 32,  32,  1, AttributeShape::opaque},
    {attr::xor_mapped_address,       "XOR-MAPPED-ADDRESS",        8,  20,  4, AttributeShape::address},
    {attr::priority,                 "PRIORITY",                  4,   4,  1, AttributeShape::opaque},
    {attr::use_candidate,            "USE-CANDIDATE",             0,   0,  1, AttributeShape::opaque},
    {attr::password_algorithms,      "PASSWORD-ALGORITHMS",       4, any,  1, AttributeShape::password_algorithms},
    {attr::alternate_domain,         "ALTERNATE-DOMAIN",          0, max_alternate_domain_bytes, 1, AttributeShape::text},
    {attr::software,                 "SOFTWARE",                  0, max_software_bytes, 1, AttributeShape::text},
    {attr::alternate_server,         "ALTERNATE-SERVER",          8,  20,  4, AttributeShape::address},
    {attr::fingerprint,              "FINGERPRINT",               4,   4,  1, AttributeShape::opaque},
    {attr::ice_controlled,           "ICE-CONTROLLED",            8,   8,  1, AttributeShape::opaque},
    {attr::ice_controlling,          "ICE-CONTROLLING",           8,   8,  1, AttributeShape::opaque},
}};
// clang-format on

}  // namespace

namespace {

// Known types cluster in 0x0000-0x003F and 0x8000-0x803F: a direct index for each range (row + 1,
// 0 for unknown) makes the lookup a couple of loads, which matters on the decode path.
using Index = std::array<std::uint8_t, 64>;
constexpr Index make_index(std::uint16_t base) {
    Index index{};
    for (std::size_t i = 0; i < table.size(); ++i)
        if (table[i].type >= base && table[i].type < base + 64)
            index[table[i].type - base] = static_cast<std::uint8_t>(i + 1);
    return index;
}
constexpr Index low_index = make_index(0x0000);
constexpr Index high_index = make_index(0x8000);

}  // namespace

const AttributeInfo* attribute_info(std::uint16_t type) {
    std::uint8_t row = 0;
    if (type < 64)
        row = low_index[type];
    else if (type >= 0x8000 && type < 0x8000 + 64)
        row = high_index[type - 0x8000];
    return row ? &table[row - 1] : nullptr;
}

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
