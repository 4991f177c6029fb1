// Writing STUN messages. The builder writes the header, then each attribute in the order it is
// added (value padded with zeros to 4 bytes), keeping the header's length current so that
// MESSAGE-INTEGRITY and FINGERPRINT, computed over what precedes them, come out right.
//
//   std::array<std::uint8_t, 548> buf;
//   MessageBuilder b(buf, {method::binding, MessageClass::success_response},
//   request.transaction_id()); b.add_xor_mapped_address(from); b.add_message_integrity(key);
//   b.add_fingerprint();
//   auto bytes = b.finish();   // Result<ByteSpan, EncodeError>
//
// Writing into a caller's fixed buffer allocates nothing; a Bytes& target grows as needed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <floe/bytes.hpp>
#include <floe/result.hpp>
#include <floe/socket_address.hpp>
#include <floe/stun/attributes.hpp>
#include <floe/stun/integrity.hpp>
#include <floe/stun/message.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::stun {

enum class EncodeError : std::uint8_t {
    buffer_too_small,  // the fixed buffer filled up
    value_too_long,    // an attribute value above 65535 bytes or its RFC limit
    bad_error_code,    // not in 300-699
    attribute_after_fingerprint,
    attribute_after_integrity,  // only MI-SHA256 and FINGERPRINT may follow MESSAGE-INTEGRITY
};
std::string_view to_string(EncodeError error);

class MessageBuilder {
  public:
    MessageBuilder(MutableByteSpan buffer, MessageType type, const TransactionId& id);
    MessageBuilder(Bytes& out, MessageType type, const TransactionId& id);

    // Any attribute, value as given (padding added).
    MessageBuilder& add(std::uint16_t type, ByteSpan value);
    MessageBuilder& add_u32(std::uint16_t type, std::uint32_t value);
    MessageBuilder& add_u64(std::uint16_t type, std::uint64_t value);

    MessageBuilder& add_mapped_address(const SocketAddress& address);
    MessageBuilder& add_xor_mapped_address(const SocketAddress& address);
    MessageBuilder& add_alternate_server(const SocketAddress& address);
    MessageBuilder& add_username(std::string_view username);
    MessageBuilder& add_userhash(ByteSpan hash);  // 32 bytes
    MessageBuilder& add_realm(std::string_view realm);
    MessageBuilder& add_nonce(std::string_view nonce);
    MessageBuilder& add_software(std::string_view software);
    MessageBuilder& add_alternate_domain(std::string_view domain);
    // Reason "" takes the RFC's default phrase for the code.
    MessageBuilder& add_error_code(int code, std::string_view reason = {});
    MessageBuilder& add_unknown_attributes(std::span<const std::uint16_t> types);
    MessageBuilder& add_password_algorithms(std::span<const PasswordAlgorithmEntry> algorithms);
    MessageBuilder& add_password_algorithm(PasswordAlgorithmEntry algorithm);
    MessageBuilder& add_priority(std::uint32_t priority);
    MessageBuilder& add_use_candidate();
    MessageBuilder& add_ice_controlled(std::uint64_t tie_breaker);
    MessageBuilder& add_ice_controlling(std::uint64_t tie_breaker);
    // TURN (RFC 8656 §18).
    MessageBuilder& add_xor_peer_address(const SocketAddress& address);
    MessageBuilder& add_xor_relayed_address(const SocketAddress& address);
    MessageBuilder& add_lifetime(std::uint32_t seconds);
    MessageBuilder& add_data(ByteSpan data);
    // The number in the top 16 bits, RFFU zero (RFC 8656 §18.1).
    MessageBuilder& add_channel_number(std::uint16_t channel);
    // The protocol number then 3 RFFU bytes (RFC 8656 §18.7).
    MessageBuilder& add_requested_transport(std::uint8_t protocol);

    // HMAC-SHA1 over the message so far (RFC 8489 §14.5).
    MessageBuilder& add_message_integrity(const IntegrityKey& key);
    // HMAC-SHA256, full 32 bytes (RFC 8489 §14.6).
    MessageBuilder& add_message_integrity_sha256(const IntegrityKey& key);
    // CRC-32 of the message so far XOR 0x5354554E; must be last.
    MessageBuilder& add_fingerprint();

    // The finished message (a view into the buffer), or the first error met.
    Result<ByteSpan, EncodeError> finish();

  private:
    // Writes an attribute header and reserves the padded value; nullptr after an error.
    std::uint8_t* begin_attribute(std::uint16_t type, std::size_t length);
    void write_header(MessageType type, const TransactionId& id);
    MessageBuilder& add_address(std::uint16_t type, const SocketAddress& address, bool xored);
    MessageBuilder& add_text(std::uint16_t type, std::string_view text, std::size_t max);
    void set_error(EncodeError error);

    // The message written so far.
    MutableByteSpan written();
    // Room for n more bytes (nullptr, and buffer_too_small, when the fixed buffer is full).
    std::uint8_t* extend(std::size_t n);
    void patch_length();

    MutableByteSpan fixed_;
    Bytes* growable_ = nullptr;
    std::size_t start_ = 0;  // where the message begins in *growable_
    std::size_t size_ = 0;
    TransactionId id_;
    std::optional<EncodeError> error_;
    bool has_integrity_ = false;
    bool has_fingerprint_ = false;
};

}  // namespace floe::stun

#pragma GCC visibility pop
