// The table of attributes floe knows: one row per attribute, with the value lengths its RFC
// allows and where it may stand. The decoder checks every attribute against it (inline: this is
// the decode hot path); attribute_name() and is_known_attribute() read it too. Not public.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <floe/stun/attributes.hpp>

namespace floe::stun {

// How a value is laid out, for the decoder's checks beyond length.
enum class AttributeShape : std::uint8_t { opaque, text, address, error_code, password_algorithms };

// Where an attribute may stand (RFC 8489 §14.5-14.7): anything may precede MESSAGE-INTEGRITY;
// after it only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT; after MI-SHA256 only FINGERPRINT;
// nothing after FINGERPRINT. A message's attributes must come in strictly increasing rank once
// a rank above `body` has been seen.
enum class AttributeRank : std::uint8_t { body, integrity, integrity_sha256, fingerprint };

struct AttributeInfo {
    std::uint16_t type;
    std::string_view name;
    std::uint16_t min_length;
    std::uint16_t max_length;
    std::uint8_t length_mask;  // length & mask must be 0: 3 = a multiple of 4, 1 = of 2
    AttributeShape shape;
    AttributeRank rank = AttributeRank::body;
};

namespace detail {

inline constexpr std::uint16_t any_length = 0xFFFF;
using Shape = AttributeShape;

// clang-format off
inline constexpr std::array<AttributeInfo, 30> attribute_table = {{
    // type                          name                        min  max                 mask shape
    {attr::mapped_address,           "MAPPED-ADDRESS",             8, 20,                 3, Shape::address},
    {attr::username,                 "USERNAME",                   0, max_username_bytes, 0, Shape::text},
    {attr::message_integrity,        "MESSAGE-INTEGRITY",         20, 20,                 0, Shape::opaque, AttributeRank::integrity},
    {attr::error_code,               "ERROR-CODE",                 4, 4 + max_reason_bytes, 0, Shape::error_code},
    {attr::unknown_attributes,       "UNKNOWN-ATTRIBUTES",         0, any_length,         1, Shape::opaque},
    {attr::channel_number,           "CHANNEL-NUMBER",             4, 4,                  0, Shape::opaque},
    {attr::lifetime,                 "LIFETIME",                   4, 4,                  0, Shape::opaque},
    {attr::xor_peer_address,         "XOR-PEER-ADDRESS",           8, 20,                 3, Shape::address},
    {attr::data,                     "DATA",                       0, any_length,         0, Shape::opaque},
    {attr::realm,                    "REALM",                      0, max_realm_bytes,    0, Shape::text},
    {attr::nonce,                    "NONCE",                      0, max_nonce_bytes,    0, Shape::text},
    {attr::xor_relayed_address,      "XOR-RELAYED-ADDRESS",        8, 20,                 3, Shape::address},
    {attr::requested_address_family, "REQUESTED-ADDRESS-FAMILY",   4, 4,                  0, Shape::opaque},
    {attr::even_port,                "EVEN-PORT",                  1, 1,                  0, Shape::opaque},
    {attr::requested_transport,      "REQUESTED-TRANSPORT",        4, 4,                  0, Shape::opaque},
    {attr::dont_fragment,            "DONT-FRAGMENT",              0, 0,                  0, Shape::opaque},
    {attr::message_integrity_sha256, "MESSAGE-INTEGRITY-SHA256",  16, 32,                 3, Shape::opaque, AttributeRank::integrity_sha256},
    {attr::password_algorithm,       "PASSWORD-ALGORITHM",         4, any_length,         0, Shape::password_algorithms},
    {attr::userhash,                 "USERHASH",                  32, 32,                 0, Shape::opaque},
    {attr::xor_mapped_address,       "XOR-MAPPED-ADDRESS",         8, 20,                 3, Shape::address},
    {attr::reservation_token,        "RESERVATION-TOKEN",          8, 8,                  0, Shape::opaque},
    {attr::priority,                 "PRIORITY",                   4, 4,                  0, Shape::opaque},
    {attr::use_candidate,            "USE-CANDIDATE",              0, 0,                  0, Shape::opaque},
    {attr::password_algorithms,      "PASSWORD-ALGORITHMS",        4, any_length,         0, Shape::password_algorithms},
    {attr::alternate_domain,         "ALTERNATE-DOMAIN",           0, max_alternate_domain_bytes, 0, Shape::text},
    {attr::software,                 "SOFTWARE",                   0, max_software_bytes, 0, Shape::text},
    {attr::alternate_server,         "ALTERNATE-SERVER",           8, 20,                 3, Shape::address},
    {attr::fingerprint,              "FINGERPRINT",                4, 4,                  0, Shape::opaque, AttributeRank::fingerprint},
    {attr::ice_controlled,           "ICE-CONTROLLED",             8, 8,                  0, Shape::opaque},
    {attr::ice_controlling,          "ICE-CONTROLLING",            8, 8,                  0, Shape::opaque},
}};
// clang-format on

// Known types cluster in 0x0000-0x003F and 0x8000-0x803F. The decoder reads one LengthRule per
// attribute without first asking whether the type is known: slots 0-127 cover both ranges (the
// top bit of the type selects the half), slot 128 every other type. Unknown types get the
// permissive rule (any length), known ones their row's limits.
struct LengthRule {
    std::uint16_t min_length = 0;
    std::uint16_t length_span = 0xFFFF;  // length ok <=> (length - min) mod 2^16 <= span
    std::uint8_t length_mask = 0;
    std::uint8_t row = 0;      // attribute_table row + 1; 0: unknown
    std::uint8_t special = 0;  // 1: a layout to check or a place to keep: the decoder's slow path
};

constexpr bool indexable(std::uint16_t type) {
    return (type & 0x7FC0u) == 0;
}
constexpr std::size_t rule_slot(std::uint16_t type) {
    return indexable(type) ? (type | (type >> 9)) & 0x7Fu : 128;
}

constexpr std::array<LengthRule, 129> make_length_rules() {
    std::array<LengthRule, 129> rules{};
    for (std::size_t i = 0; i < attribute_table.size(); ++i) {
        const AttributeInfo& a = attribute_table[i];
        LengthRule& r = rules[rule_slot(a.type)];
        r.min_length = a.min_length;
        r.length_span = static_cast<std::uint16_t>(a.max_length - a.min_length);
        r.length_mask = a.length_mask;
        r.row = static_cast<std::uint8_t>(i + 1);
        r.special = a.rank != AttributeRank::body ||
                            (a.shape != AttributeShape::opaque && a.shape != AttributeShape::text)
                        ? 1
                        : 0;
    }
    return rules;
}
inline constexpr std::array<LengthRule, 129> length_rules = make_length_rules();

}  // namespace detail

// The row for `type`, or nullptr when floe does not know it.
inline const AttributeInfo* attribute_info(std::uint16_t type) {
    const std::uint8_t row = detail::length_rules[detail::rule_slot(type)].row;
    return row ? &detail::attribute_table[row - 1] : nullptr;
}

}  // namespace floe::stun
