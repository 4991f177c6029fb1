// A STUN message (RFC 8489 §5), decoded in place.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |0 0|     STUN Message Type     |         Message Length        |
//  |                         Magic Cookie                          |
//  |                     Transaction ID (96 bits)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  then attributes: type (16) | length (16) | value, padded to 4 bytes
//
// Message::decode() checks the framing and the length of every attribute floe knows, and indexes
// the attributes; it allocates nothing and copies nothing: the Message is a view over the
// caller's bytes, which must outlive it. Typed getters read the indexed attributes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <floe/bytes.hpp>
#include <floe/result.hpp>
#include <floe/socket_address.hpp>
#include <floe/stun/attributes.hpp>
#include <floe/stun/integrity.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::stun {

inline constexpr std::uint32_t magic_cookie = 0x2112A442;
inline constexpr std::size_t header_size = 20;
inline constexpr std::size_t attribute_header_size = 4;
// Attributes indexed per message; a message with more is refused (too_many_attributes).
inline constexpr std::size_t max_attributes = 32;

using TransactionId = std::array<std::uint8_t, 12>;

enum class MessageClass : std::uint8_t {
    request = 0,
    indication = 1,
    success_response = 2,
    error_response = 3,
};

// Methods of RFC 8489 (Binding) and RFC 8656 (TURN), which reuses the codec.
namespace method {
inline constexpr std::uint16_t binding = 0x001;
inline constexpr std::uint16_t allocate = 0x003;
inline constexpr std::uint16_t refresh = 0x004;
inline constexpr std::uint16_t send = 0x006;
inline constexpr std::uint16_t data = 0x007;
inline constexpr std::uint16_t create_permission = 0x008;
inline constexpr std::uint16_t channel_bind = 0x009;
}  // namespace method

// The 14-bit type field splits into a 12-bit method and a 2-bit class (bits C1 and C0 sit at
// positions 8 and 4 of the type, between the method bits).
struct MessageType {
    std::uint16_t method = method::binding;
    MessageClass cls = MessageClass::request;

    std::uint16_t to_wire() const;
    static MessageType from_wire(std::uint16_t type) {
        const unsigned t = type;
        return {
            static_cast<std::uint16_t>((t & 0x000Fu) | ((t & 0x00E0u) >> 1) | ((t & 0x3E00u) >> 2)),
            static_cast<MessageClass>(((t >> 4) & 1u) | ((t >> 7) & 2u))};
    }
    friend bool operator==(const MessageType&, const MessageType&) = default;
};

std::string_view to_string(MessageClass cls);
// "Binding request", "Allocate error response", or "method 0x123 indication".
std::string describe(MessageType type);

// Why bytes are not a valid STUN message. Every reason RFC 8489 gives for discarding one.
enum class DecodeError : std::uint8_t {
    too_short,                    // fewer than 20 bytes
    not_stun,                     // the two top bits of the type are not zero
    bad_cookie,                   // no magic cookie 0x2112A442
    length_not_multiple_of_4,     // the header's length
    length_mismatch,              // header length + 20 != datagram size
    attribute_overrun,            // a value (with its padding) runs past the message's end
    too_many_attributes,          // more than max_attributes
    bad_attribute_length,         // a known attribute with a length its definition forbids
    bad_address_family,           // (XOR-)MAPPED-ADDRESS / ALTERNATE-SERVER family not 1 or 2
    bad_error_code,               // ERROR-CODE class not 3-6 or number above 99
    attribute_after_integrity,    // something other than MI-SHA256/FINGERPRINT after MI
    attribute_after_fingerprint,  // FINGERPRINT is not the last attribute
};
std::string_view to_string(DecodeError error);

// One attribute as it sits in the message: where its value starts and how long it is.
struct RawAttribute {
    // No default member initializers: a Message holds 32 of these and decode sets only those it
    // uses. RawAttribute{} is still all zeros.
    std::uint16_t type;
    std::uint16_t length;  // of the value, without padding
    std::uint16_t offset;  // of the attribute header from the start of the message
};

// The fixed 20 bytes, readable before (or without) a full decode: a server answers a malformed
// request with 400 if it can read its header and transaction id.
struct Header {
    MessageType type;
    std::uint16_t length = 0;
    TransactionId transaction_id{};
};
// The header of `bytes` if the first 20 bytes look like STUN (top bits zero, magic cookie).
std::optional<Header> peek_header(ByteSpan bytes);

// RFC 7983 demultiplexing: could this datagram be STUN (first byte 0-3)?
inline bool looks_like_stun(ByteSpan datagram) {
    return datagram.size() >= header_size && datagram.front() < 4;
}

class Message {
  public:
    // An empty message: no bytes, no attributes (decode() makes real ones). User-provided so that
    // value-initialization does not zero the attribute index.
    Message() {}
    static Result<Message, DecodeError> decode(ByteSpan bytes);

    MessageType type() const { return MessageType::from_wire(wire_type_); }
    std::uint16_t method() const { return type().method; }
    MessageClass message_class() const { return type().cls; }
    const TransactionId& transaction_id() const { return transaction_id_; }
    // The whole message, header included.
    ByteSpan raw() const { return raw_; }

    std::span<const RawAttribute> attributes() const { return {attributes_.data(), count_}; }
    // The first attribute of that type (RFC 8489 §14: later duplicates are ignored).
    const RawAttribute* find(std::uint16_t type) const;
    bool has(std::uint16_t type) const { return find(type) != nullptr; }
    ByteSpan value(const RawAttribute& attribute) const;
    std::optional<ByteSpan> value(std::uint16_t type) const;

    // Attributes floe does not know, in message order. `out` receives up to out.size() types;
    // the return value is how many there are in all.
    std::size_t unknown_attributes(std::span<std::uint16_t> out) const;
    // Unknown comprehension-required ones (type < 0x8000), which make a request fail with 420.
    std::size_t unknown_comprehension_required(std::span<std::uint16_t> out) const;

    // ---- typed access (nullopt when absent; lengths were checked by decode) ----
    std::optional<SocketAddress> mapped_address() const;
    std::optional<SocketAddress> xor_mapped_address() const;
    std::optional<SocketAddress> alternate_server() const;
    std::optional<std::string_view> username() const;
    std::optional<ByteSpan> userhash() const;
    std::optional<std::string_view> realm() const;
    std::optional<std::string_view> nonce() const;
    std::optional<std::string_view> software() const;
    std::optional<std::string_view> alternate_domain() const;
    std::optional<ErrorCode> error_code() const;
    std::optional<AttributeTypeList> unknown_attributes_list() const;  // UNKNOWN-ATTRIBUTES
    std::optional<PasswordAlgorithmList> password_algorithms() const;
    std::optional<PasswordAlgorithmEntry> password_algorithm() const;
    std::optional<std::uint32_t> priority() const;
    bool use_candidate() const { return has(attr::use_candidate); }
    std::optional<std::uint64_t> ice_controlled() const;
    std::optional<std::uint64_t> ice_controlling() const;
    std::optional<std::uint32_t> fingerprint() const;
    // TURN (RFC 8656 §18): the first XOR-RELAYED-ADDRESS (a dual allocation has two), the peer,
    // LIFETIME in seconds, DATA, and the channel number (the top 16 bits of CHANNEL-NUMBER).
    std::optional<SocketAddress> xor_relayed_address() const;
    std::optional<SocketAddress> xor_peer_address() const;
    std::optional<std::uint32_t> lifetime() const;
    std::optional<ByteSpan> data() const { return value(attr::data); }
    std::optional<std::uint16_t> channel_number() const;
    // The protocol number of REQUESTED-TRANSPORT (17: UDP).
    std::optional<std::uint8_t> requested_transport() const;
    std::optional<ByteSpan> message_integrity() const;
    std::optional<ByteSpan> message_integrity_sha256() const;

    // ---- checks ----
    // FINGERPRINT present and equal to CRC-32 of everything before it, XOR 0x5354554E.
    bool check_fingerprint() const;
    // MESSAGE-INTEGRITY present and equal to HMAC-SHA1(key, message up to it, with the header
    // length patched to end just after it). Constant-time comparison.
    bool check_integrity(const IntegrityKey& key) const;
    // MESSAGE-INTEGRITY-SHA256 likewise with HMAC-SHA256 (a truncated value of 16-32 bytes is
    // compared over its length).
    bool check_integrity_sha256(const IntegrityKey& key) const;

  private:
    std::optional<DecodeError> parse(ByteSpan bytes);
    bool check_mac(std::uint16_t type, const IntegrityKey& key) const;
    // The attribute trailer_[which] points at, or null.
    const RawAttribute* trailer(std::size_t which) const;

    ByteSpan raw_;
    std::uint16_t wire_type_ = 0;  // the type field as sent; type() splits it
    TransactionId transaction_id_;
    std::uint8_t count_ = 0;
    // Where MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are (index into
    // attributes_, 0xFF when absent), found by decode so checks need not search.
    std::array<std::uint8_t, 3> trailer_ = {0xFF, 0xFF, 0xFF};
    std::array<RawAttribute, max_attributes> attributes_;  // the first count_ are set
};

// Decodes an address value (MAPPED-ADDRESS layout); with `xor_with` the port and address are
// XORed with the cookie and transaction id (XOR-MAPPED-ADDRESS). nullopt if malformed.
std::optional<SocketAddress> decode_address(ByteSpan value, const TransactionId* xor_with);

}  // namespace floe::stun

#pragma GCC visibility pop
