// Writing STUN messages attribute by attribute (RFC 8489 §5, §14).
#include <floe/stun/builder.hpp>

#include <array>
#include <cstring>

#include "common/byte_writer.hpp"

namespace floe::stun {

std::string_view to_string(EncodeError error) {
    switch (error) {
        case EncodeError::buffer_too_small:
            return "the buffer is too small";
        case EncodeError::value_too_long:
            return "an attribute value is too long";
        case EncodeError::bad_error_code:
            return "error code outside 300-699";
        case EncodeError::attribute_after_fingerprint:
            return "attribute added after FINGERPRINT";
        case EncodeError::attribute_after_integrity:
            return "attribute added after MESSAGE-INTEGRITY";
    }
    return "?";
}

MessageBuilder::MessageBuilder(MutableByteSpan buffer, MessageType type, const TransactionId& id)
    : fixed_(buffer), id_(id) {
    write_header(type, id);
}

MessageBuilder::MessageBuilder(Bytes& out, MessageType type, const TransactionId& id)
    : growable_(&out), start_(out.size()), id_(id) {
    write_header(type, id);
}

MutableByteSpan MessageBuilder::written() {
    if (growable_) return MutableByteSpan(*growable_).subspan(start_, size_);
    return fixed_.first(size_);
}

std::uint8_t* MessageBuilder::extend(std::size_t n) {
    if (error_) return nullptr;
    // A writer over what is left: the rest of the fixed buffer, or the end of the growable one.
    ByteWriter w = growable_ ? ByteWriter(*growable_) : ByteWriter(fixed_.subspan(size_));
    std::uint8_t* out = w.reserve(n);
    if (!out) {
        set_error(EncodeError::buffer_too_small);
        return nullptr;
    }
    size_ += n;
    return out;
}

void MessageBuilder::set_error(EncodeError error) {
    if (!error_) error_ = error;
}

void MessageBuilder::write_header(MessageType type, const TransactionId& id) {
    std::uint8_t* out = extend(header_size);
    if (!out) return;
    ByteWriter w(MutableByteSpan(out, header_size));
    w.u16(type.to_wire());
    w.u16(0);
    w.u32(magic_cookie);
    w.bytes(id);
}

void MessageBuilder::patch_length() {
    ByteWriter w(written().subspan(2, 2));
    w.u16(static_cast<std::uint16_t>(size_ - header_size));
}

std::uint8_t* MessageBuilder::begin_attribute(std::uint16_t type, std::size_t length) {
    if (error_) return nullptr;
    if (has_fingerprint_) {
        set_error(EncodeError::attribute_after_fingerprint);
        return nullptr;
    }
    if (has_integrity_ && type != attr::fingerprint && type != attr::message_integrity_sha256) {
        set_error(EncodeError::attribute_after_integrity);
        return nullptr;
    }
    const std::size_t padded = (length + 3) & ~std::size_t{3};
    if (length > 0xFFFF || size_ + 4 + padded - header_size > 0xFFFF) {
        set_error(EncodeError::value_too_long);
        return nullptr;
    }
    std::uint8_t* out = extend(4 + padded);
    if (!out) return nullptr;
    ByteWriter w(MutableByteSpan(out, 4 + padded));
    w.u16(type);
    w.u16(static_cast<std::uint16_t>(length));
    w.zeros(padded);
    patch_length();
    return out + 4;
}

MessageBuilder& MessageBuilder::add(std::uint16_t type, ByteSpan value) {
    if (std::uint8_t* out = begin_attribute(type, value.size()); out && !value.empty())
        std::memcpy(out, value.data(), value.size());
    return *this;
}

MessageBuilder& MessageBuilder::add_u32(std::uint16_t type, std::uint32_t value) {
    if (std::uint8_t* out = begin_attribute(type, 4))
        ByteWriter(MutableByteSpan(out, 4)).u32(value);
    return *this;
}

MessageBuilder& MessageBuilder::add_u64(std::uint16_t type, std::uint64_t value) {
    if (std::uint8_t* out = begin_attribute(type, 8))
        ByteWriter(MutableByteSpan(out, 8)).u64(value);
    return *this;
}

MessageBuilder& MessageBuilder::add_address(std::uint16_t type, const SocketAddress& address,
                                            bool xored) {
    const std::size_t size = address.ip().size();
    std::uint8_t* out = begin_attribute(type, 4 + size);
    if (!out) return *this;
    std::array<std::uint8_t, 16> mask{};
    std::uint16_t port = address.port();
    if (xored) {
        port ^= static_cast<std::uint16_t>(magic_cookie >> 16);
        mask = {0x21, 0x12, 0xA4, 0x42};
        std::memcpy(mask.data() + 4, id_.data(), id_.size());
    }
    const auto octets = address.ip().octets();
    ByteWriter w(MutableByteSpan(out, 4 + size));
    w.u8(0);
    w.u8(address.is_v4() ? 1 : 2);
    w.u16(port);
    for (std::size_t i = 0; i < size; ++i)
        w.u8(octets[i] ^ mask[i]);
    return *this;
}

MessageBuilder& MessageBuilder::add_mapped_address(const SocketAddress& address) {
    return add_address(attr::mapped_address, address, false);
}
MessageBuilder& MessageBuilder::add_xor_mapped_address(const SocketAddress& address) {
    return add_address(attr::xor_mapped_address, address, true);
}
MessageBuilder& MessageBuilder::add_alternate_server(const SocketAddress& address) {
    return add_address(attr::alternate_server, address, false);
}

MessageBuilder& MessageBuilder::add_xor_peer_address(const SocketAddress& address) {
    return add_address(attr::xor_peer_address, address, true);
}
MessageBuilder& MessageBuilder::add_xor_relayed_address(const SocketAddress& address) {
    return add_address(attr::xor_relayed_address, address, true);
}
MessageBuilder& MessageBuilder::add_lifetime(std::uint32_t seconds) {
    return add_u32(attr::lifetime, seconds);
}
MessageBuilder& MessageBuilder::add_data(ByteSpan data) {
    return add(attr::data, data);
}
MessageBuilder& MessageBuilder::add_channel_number(std::uint16_t channel) {
    return add_u32(attr::channel_number, std::uint32_t{channel} << 16);
}
MessageBuilder& MessageBuilder::add_requested_transport(std::uint8_t protocol) {
    return add_u32(attr::requested_transport, std::uint32_t{protocol} << 24);
}

MessageBuilder& MessageBuilder::add_text(std::uint16_t type, std::string_view text,
                                         std::size_t max) {
    if (text.size() > max) {
        set_error(EncodeError::value_too_long);
        return *this;
    }
    return add(type, as_bytes(text));
}

MessageBuilder& MessageBuilder::add_username(std::string_view username) {
    return add_text(attr::username, username, max_username_bytes);
}
MessageBuilder& MessageBuilder::add_userhash(ByteSpan hash) {
    return add(attr::userhash, hash);
}
MessageBuilder& MessageBuilder::add_realm(std::string_view realm) {
    return add_text(attr::realm, realm, max_realm_bytes);
}
MessageBuilder& MessageBuilder::add_nonce(std::string_view nonce) {
    return add_text(attr::nonce, nonce, max_nonce_bytes);
}
MessageBuilder& MessageBuilder::add_software(std::string_view software) {
    return add_text(attr::software, software, max_software_bytes);
}
MessageBuilder& MessageBuilder::add_alternate_domain(std::string_view domain) {
    return add_text(attr::alternate_domain, domain, max_alternate_domain_bytes);
}

MessageBuilder& MessageBuilder::add_error_code(int code, std::string_view reason) {
    if (code < 300 || code > 699) {
        set_error(EncodeError::bad_error_code);
        return *this;
    }
    if (reason.empty()) reason = default_reason(code);
    if (reason.size() > max_reason_bytes) {
        set_error(EncodeError::value_too_long);
        return *this;
    }
    std::uint8_t* out = begin_attribute(attr::error_code, 4 + reason.size());
    if (!out) return *this;
    ByteWriter w(MutableByteSpan(out, 4 + reason.size()));
    w.u16(0);
    w.u8(static_cast<std::uint8_t>(code / 100));
    w.u8(static_cast<std::uint8_t>(code % 100));
    w.bytes(as_bytes(reason));
    return *this;
}

MessageBuilder& MessageBuilder::add_unknown_attributes(std::span<const std::uint16_t> types) {
    std::uint8_t* out = begin_attribute(attr::unknown_attributes, 2 * types.size());
    if (!out) return *this;
    ByteWriter w(MutableByteSpan(out, 2 * types.size()));
    for (std::uint16_t t : types)
        w.u16(t);
    return *this;
}

namespace {
std::size_t entry_size(const PasswordAlgorithmEntry& e) {
    return 4 + ((e.parameters.size() + 3) & ~std::size_t{3});
}
void write_entry(ByteWriter& w, const PasswordAlgorithmEntry& e) {
    w.u16(e.algorithm);
    w.u16(static_cast<std::uint16_t>(e.parameters.size()));
    w.bytes(e.parameters);
    w.zeros(entry_size(e) - 4 - e.parameters.size());
}
}  // namespace

MessageBuilder& MessageBuilder::add_password_algorithms(
    std::span<const PasswordAlgorithmEntry> algorithms) {
    std::size_t length = 0;
    for (const auto& e : algorithms)
        length += entry_size(e);
    std::uint8_t* out = begin_attribute(attr::password_algorithms, length);
    if (!out) return *this;
    ByteWriter w(MutableByteSpan(out, length));
    for (const auto& e : algorithms)
        write_entry(w, e);
    return *this;
}

MessageBuilder& MessageBuilder::add_password_algorithm(PasswordAlgorithmEntry algorithm) {
    const std::size_t length = entry_size(algorithm);
    std::uint8_t* out = begin_attribute(attr::password_algorithm, length);
    if (!out) return *this;
    ByteWriter w(MutableByteSpan(out, length));
    write_entry(w, algorithm);
    return *this;
}

MessageBuilder& MessageBuilder::add_priority(std::uint32_t priority) {
    return add_u32(attr::priority, priority);
}
MessageBuilder& MessageBuilder::add_use_candidate() {
    return add(attr::use_candidate, {});
}
MessageBuilder& MessageBuilder::add_ice_controlled(std::uint64_t tie_breaker) {
    return add_u64(attr::ice_controlled, tie_breaker);
}
MessageBuilder& MessageBuilder::add_ice_controlling(std::uint64_t tie_breaker) {
    return add_u64(attr::ice_controlling, tie_breaker);
}

MessageBuilder& MessageBuilder::add_message_integrity(const IntegrityKey& key) {
    // The header length already counts the attribute once begin_attribute() returns, which is
    // exactly the length the MAC must cover.
    std::uint8_t* out = begin_attribute(attr::message_integrity, sha1_mac_size);
    if (!out) return *this;
    has_integrity_ = true;
    key.hmac_sha1({written().first(size_ - 4 - sha1_mac_size)}, out);
    return *this;
}

MessageBuilder& MessageBuilder::add_message_integrity_sha256(const IntegrityKey& key) {
    std::uint8_t* out = begin_attribute(attr::message_integrity_sha256, sha256_mac_size);
    if (!out) return *this;
    has_integrity_ = true;
    key.hmac_sha256({written().first(size_ - 4 - sha256_mac_size)}, out);
    return *this;
}

MessageBuilder& MessageBuilder::add_fingerprint() {
    std::uint8_t* out = begin_attribute(attr::fingerprint, 4);
    if (!out) return *this;
    has_fingerprint_ = true;
    const std::uint32_t crc = crc32(written().first(size_ - 8)) ^ fingerprint_xor;
    ByteWriter(MutableByteSpan(out, 4)).u32(crc);
    return *this;
}

Result<ByteSpan, EncodeError> MessageBuilder::finish() {
    if (error_) return fail(*error_);
    return ByteSpan(written());
}

}  // namespace floe::stun
