// STUN attribute types (RFC 8489 §18.3, ICE: RFC 8445 §16.1, TURN: RFC 8656 §18) and the typed
// values some of them carry. Every attribute floe knows is listed once in the table in
// src/stun/attributes.cpp (type, name, the lengths it may have); the decoder checks lengths against
// that table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <floe/bytes.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::stun {

// Attribute types. 0x0000-0x7FFF are comprehension-required: a receiver that does not know one
// must reject the request with 420 (Unknown Attribute); 0x8000-0xFFFF may be ignored.
namespace attr {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000A;
inline constexpr std::uint16_t channel_number = 0x000C;    // RFC 8656
inline constexpr std::uint16_t lifetime = 0x000D;          // RFC 8656
inline constexpr std::uint16_t xor_peer_address = 0x0012;  // RFC 8656
inline constexpr std::uint16_t data = 0x0013;              // RFC 8656
inline constexpr std::uint16_t realm = 0x0014;
inline constexpr std::uint16_t nonce = 0x0015;
inline constexpr std::uint16_t xor_relayed_address = 0x0016;       // RFC 8656
inline constexpr std::uint16_t requested_address_family = 0x0017;  // RFC 8656
inline constexpr std::uint16_t even_port = 0x0018;                 // RFC 8656
inline constexpr std::uint16_t requested_transport = 0x0019;       // RFC 8656
inline constexpr std::uint16_t dont_fragment = 0x001A;             // RFC 8656
inline constexpr std::uint16_t message_integrity_sha256 = 0x001C;
inline constexpr std::uint16_t password_algorithm = 0x001D;
inline constexpr std::uint16_t userhash = 0x001E;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t reservation_token = 0x0022;  // RFC 8656
inline constexpr std::uint16_t priority = 0x0024;           // RFC 8445
inline constexpr std::uint16_t use_candidate = 0x0025;      // RFC 8445
inline constexpr std::uint16_t password_algorithms = 0x8002;
inline constexpr std::uint16_t alternate_domain = 0x8003;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t alternate_server = 0x8023;
inline constexpr std::uint16_t fingerprint = 0x8028;
inline constexpr std::uint16_t ice_controlled = 0x8029;   // RFC 8445
inline constexpr std::uint16_t ice_controlling = 0x802A;  // RFC 8445
}  // namespace attr

inline constexpr bool is_comprehension_required(std::uint16_t type) {
    return type < 0x8000;
}
// True for the attributes listed above.
bool is_known_attribute(std::uint16_t type);
// "XOR-MAPPED-ADDRESS", or "0x1234" style text is left to the caller: nullopt when unknown.
std::optional<std::string_view> attribute_name(std::uint16_t type);

// Length limits of RFC 8489 §14 for the text attributes (in bytes, before padding).
inline constexpr std::size_t max_username_bytes = 513;
inline constexpr std::size_t max_realm_bytes = 763;
inline constexpr std::size_t max_nonce_bytes = 763;
inline constexpr std::size_t max_software_bytes = 763;
inline constexpr std::size_t max_reason_bytes = 763;
inline constexpr std::size_t max_alternate_domain_bytes = 255;

// ERROR-CODE (RFC 8489 §14.8): a class 3-6 and a number 0-99, i.e. codes 300-699.
struct ErrorCode {
    int code = 0;
    std::string_view reason;  // UTF-8, points into the message (or the caller's string)
};

// The codes floe sends or reacts to, with the RFC's suggested reason phrases.
namespace error {
inline constexpr int try_alternate = 300;
inline constexpr int bad_request = 400;
inline constexpr int unauthorized = 401;
inline constexpr int forbidden = 403;  // RFC 8656: a peer address the server will not relay to
inline constexpr int unknown_attribute = 420;
inline constexpr int allocation_mismatch = 437;  // RFC 8656
inline constexpr int stale_nonce = 438;
inline constexpr int address_family_not_supported = 440;    // RFC 8656
inline constexpr int wrong_credentials = 441;               // RFC 8656
inline constexpr int unsupported_transport_protocol = 442;  // RFC 8656
inline constexpr int allocation_quota_reached = 486;        // RFC 8656
inline constexpr int role_conflict = 487;                   // RFC 8445
inline constexpr int server_error = 500;
inline constexpr int insufficient_capacity = 508;  // RFC 8656
}  // namespace error
// The reason phrase RFC 8489 §14.8 suggests for a code ("" when it has none).
std::string_view default_reason(int code);

// REQUESTED-TRANSPORT protocol numbers (RFC 8656 §18.7): an IANA protocol number, UDP only.
inline constexpr std::uint8_t transport_udp = 17;

// PASSWORD-ALGORITHM values (RFC 8489 §18.5).
enum class PasswordAlgorithm : std::uint16_t { md5 = 0x0001, sha256 = 0x0002 };

// One entry of PASSWORD-ALGORITHMS, or the value of PASSWORD-ALGORITHM.
struct PasswordAlgorithmEntry {
    std::uint16_t algorithm = 0;  // a PasswordAlgorithm value, or one floe does not know
    ByteSpan parameters;          // empty for MD5 and SHA-256
};

// A list of 16-bit attribute types (UNKNOWN-ATTRIBUTES), read in place.
class AttributeTypeList {
  public:
    AttributeTypeList() = default;
    explicit AttributeTypeList(ByteSpan value) : value_(value) {}
    std::size_t size() const { return value_.size() / 2; }
    std::uint16_t operator[](std::size_t i) const;
    bool contains(std::uint16_t type) const;

  private:
    ByteSpan value_;
};

// PASSWORD-ALGORITHMS, read in place (the decoder has checked that the entries fit).
class PasswordAlgorithmList {
  public:
    PasswordAlgorithmList() = default;
    explicit PasswordAlgorithmList(ByteSpan value) : value_(value) {}
    // Calls f(PasswordAlgorithmEntry) for each entry, in order.
    template <class F>
    void for_each(F&& f) const {
        std::size_t at = 0;
        while (auto entry = next(at))
            f(*entry);
    }
    bool contains(PasswordAlgorithm algorithm) const;
    std::size_t size() const;
    // The entry starting at `offset`, moving `offset` to the next one; nullopt at the end.
    std::optional<PasswordAlgorithmEntry> next(std::size_t& offset) const;

  private:
    ByteSpan value_;
};

}  // namespace floe::stun

#pragma GCC visibility pop
