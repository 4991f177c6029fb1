// Decoding STUN messages in place (RFC 8489 §5, §14, §15) and reading their attributes.
#include <floe/stun/message.hpp>

#include <cstring>
#include <string>

#include "common/byte_reader.hpp"
#include "stun/attribute_table.hpp"

namespace floe::stun {

// ---- message type -------------------------------------------------------------------------------

std::uint16_t MessageType::to_wire() const {
    const unsigned m = method & 0x0FFFu;
    const unsigned c = static_cast<unsigned>(cls);
    return static_cast<std::uint16_t>((m & 0x000Fu) | ((m & 0x0070u) << 1) | ((m & 0x0F80u) << 2) |
                                      ((c & 1u) << 4) | ((c & 2u) << 7));
}

std::string_view to_string(MessageClass cls) {
    switch (cls) {
        case MessageClass::request:
            return "request";
        case MessageClass::indication:
            return "indication";
        case MessageClass::success_response:
            return "success response";
        case MessageClass::error_response:
            return "error response";
    }
    return "?";
}

std::string describe(MessageType type) {
    std::string name;
    switch (type.method) {
        case method::binding:
            name = "Binding";
            break;
        case method::allocate:
            name = "Allocate";
            break;
        case method::refresh:
            name = "Refresh";
            break;
        case method::send:
            name = "Send";
            break;
        case method::data:
            name = "Data";
            break;
        case method::create_permission:
            name = "CreatePermission";
            break;
        case method::channel_bind:
            name = "ChannelBind";
            break;
        default: {
            const std::uint8_t be[2] = {static_cast<std::uint8_t>(type.method >> 8),
                                        static_cast<std::uint8_t>(type.method)};
            name = "method 0x" + to_hex(be);
        }
    }
    return name + " " + std::string(to_string(type.cls));
}

std::string_view to_string(DecodeError error) {
    switch (error) {
        case DecodeError::too_short:
            return "shorter than the 20-byte header";
        case DecodeError::not_stun:
            return "the two top bits of the type are not zero";
        case DecodeError::bad_cookie:
            return "no magic cookie";
        case DecodeError::length_not_multiple_of_4:
            return "length is not a multiple of 4";
        case DecodeError::length_mismatch:
            return "length does not match the datagram size";
        case DecodeError::attribute_overrun:
            return "an attribute runs past the end";
        case DecodeError::too_many_attributes:
            return "too many attributes";
        case DecodeError::bad_attribute_length:
            return "an attribute has a length its type forbids";
        case DecodeError::bad_address_family:
            return "an address attribute has an unknown family";
        case DecodeError::bad_error_code:
            return "ERROR-CODE is not in 300-699";
        case DecodeError::attribute_after_integrity:
            return "an attribute other than FINGERPRINT follows MESSAGE-INTEGRITY";
        case DecodeError::attribute_after_fingerprint:
            return "FINGERPRINT is not last";
    }
    return "?";
}

// ---- decoding -----------------------------------------------------------------------------------

namespace {

// trailer_ has a slot per rank after the body: integrity, integrity_sha256, fingerprint.
std::size_t slot(AttributeRank rank) {
    return static_cast<std::size_t>(rank) - 1;
}

// The checks beyond length that some layouts need (lengths were checked against the table).
std::optional<DecodeError> check_shape(AttributeShape shape, ByteSpan value) {
    switch (shape) {
        case AttributeShape::address: {
            const std::uint8_t family = value[1];  // length >= 8 was checked
            if (family != 1 && family != 2) return DecodeError::bad_address_family;
            if (value.size() != (family == 1 ? 8u : 20u)) return DecodeError::bad_attribute_length;
            return std::nullopt;
        }
        case AttributeShape::error_code: {
            const unsigned cls = value[2] & 0x07u;
            if (cls < 3 || cls > 6 || value[3] > 99) return DecodeError::bad_error_code;
            return std::nullopt;
        }
        case AttributeShape::password_algorithms: {
            const PasswordAlgorithmList list(value);
            std::size_t at = 0;
            while (at < value.size())
                if (!list.next(at)) return DecodeError::bad_attribute_length;
            return std::nullopt;
        }
        case AttributeShape::opaque:
        case AttributeShape::text:
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

std::optional<Header> peek_header(ByteSpan bytes) {
    ByteReader r(bytes);
    auto type = r.u16();
    auto length = r.u16();
    auto cookie = r.u32();
    auto id = r.bytes(12);
    if (!id || (*type & 0xC000u) != 0 || *cookie != magic_cookie) return std::nullopt;
    Header h;
    h.type = MessageType::from_wire(*type);
    h.length = *length;
    std::memcpy(h.transaction_id.data(), id->data(), 12);
    return h;
}

Result<Message, DecodeError> Message::decode(ByteSpan bytes) {
    // One Result, returned by name on every path, so the Message is never copied out.
    Result<Message, DecodeError> result(std::in_place);
    if (auto error = result->parse(bytes)) result = Result<Message, DecodeError>(fail(*error));
    return result;
}

std::optional<DecodeError> Message::parse(ByteSpan bytes) {
    // Fixed offsets in a header whose size is checked first (load_* check again, cheaply).
    if (bytes.size() < header_size) return DecodeError::too_short;
    const std::uint16_t type = load_u16(bytes, 0);
    const std::uint16_t length = load_u16(bytes, 2);
    if ((type & 0xC000u) != 0) return DecodeError::not_stun;
    if (load_u32(bytes, 4) != magic_cookie) return DecodeError::bad_cookie;
    if (length % 4 != 0) return DecodeError::length_not_multiple_of_4;
    if (std::size_t{length} + header_size != bytes.size()) return DecodeError::length_mismatch;

    raw_ = bytes;
    wire_type_ = type;
    std::memcpy(transaction_id_.data(), bytes.subspan(8, 12).data(), 12);

    // The body is a whole number of 4-byte words and every attribute takes whole words, so while
    // bytes remain a whole attribute header is there; the loop condition says so in a form that
    // lets the compiler drop load_u32's own check.
    AttributeRank last = AttributeRank::body;
    std::size_t count = 0;
    std::size_t offset = header_size;
    while (offset + attribute_header_size <= bytes.size()) {
        const std::uint32_t word = load_u32(bytes, offset);
        const auto at_type = static_cast<std::uint16_t>(word >> 16);
        const auto at_length = static_cast<std::uint16_t>(word);
        const std::size_t padded = (std::size_t{at_length} + 3) & ~std::size_t{3};
        if (padded > bytes.size() - offset - attribute_header_size)
            return DecodeError::attribute_overrun;

        // The fast path: one rule per type, read without asking whether the type is known.
        const detail::LengthRule& rule = detail::length_rules[detail::rule_slot(at_type)];
        if (static_cast<std::uint16_t>(at_length - rule.min_length) > rule.length_span ||
            (at_length & rule.length_mask) != 0)
            return DecodeError::bad_attribute_length;
        if ((rule.special | static_cast<std::uint8_t>(last)) != 0) {
            const AttributeInfo* info = rule.row ? &detail::attribute_table[rule.row - 1] : nullptr;
            const AttributeRank rank = info ? info->rank : AttributeRank::body;
            if (last != AttributeRank::body && rank <= last)
                return last == AttributeRank::fingerprint ? DecodeError::attribute_after_fingerprint
                                                          : DecodeError::attribute_after_integrity;
            if (info)
                if (auto error = check_shape(info->shape, bytes.subspan(offset + 4, at_length)))
                    return *error;
            if (rank != AttributeRank::body) {
                last = rank;
                trailer_[slot(last)] = static_cast<std::uint8_t>(count);
            }
        }
        if (count == max_attributes) return DecodeError::too_many_attributes;
        attributes_[count++] = RawAttribute{at_type, at_length, static_cast<std::uint16_t>(offset)};
        offset += attribute_header_size + padded;
    }
    count_ = static_cast<std::uint8_t>(count);
    return std::nullopt;
}

// ---- attribute access ---------------------------------------------------------------------------

const RawAttribute* Message::find(std::uint16_t type) const {
    for (std::size_t i = 0; i < count_; ++i)
        if (attributes_[i].type == type) return &attributes_[i];
    return nullptr;
}

ByteSpan Message::value(const RawAttribute& attribute) const {
    return raw_.subspan(attribute.offset + attribute_header_size, attribute.length);
}

std::optional<ByteSpan> Message::value(std::uint16_t type) const {
    if (const RawAttribute* a = find(type)) return value(*a);
    return std::nullopt;
}

std::size_t Message::unknown_attributes(std::span<std::uint16_t> out) const {
    std::size_t n = 0;
    for (const RawAttribute& a : attributes()) {
        if (is_known_attribute(a.type)) continue;
        if (n < out.size()) out[n] = a.type;
        ++n;
    }
    return n;
}

std::size_t Message::unknown_comprehension_required(std::span<std::uint16_t> out) const {
    std::size_t n = 0;
    for (const RawAttribute& a : attributes()) {
        if (!is_comprehension_required(a.type) || is_known_attribute(a.type)) continue;
        if (n < out.size()) out[n] = a.type;
        ++n;
    }
    return n;
}

std::optional<SocketAddress> decode_address(ByteSpan value, const TransactionId* xor_with) {
    ByteReader r(value);
    auto reserved = r.u8();
    auto family = r.u8();
    auto port = r.u16();
    if (!reserved || !port || (*family != 1 && *family != 2)) return std::nullopt;
    auto address = r.bytes(*family == 1 ? 4 : 16);
    if (!address || !r.empty()) return std::nullopt;
    // XOR-MAPPED-ADDRESS: the port with the cookie's top 16 bits, the address with the cookie
    // followed by the transaction id.
    std::array<std::uint8_t, 16> mask{};
    if (xor_with) {
        *port ^= static_cast<std::uint16_t>(magic_cookie >> 16);
        mask = {0x21, 0x12, 0xA4, 0x42};
        std::memcpy(mask.data() + 4, xor_with->data(), 12);
    }
    std::array<std::uint8_t, 16> octets{};
    for (std::size_t i = 0; i < address->size(); ++i)
        octets[i] = (*address)[i] ^ mask[i];
    if (*family == 1)
        return SocketAddress(IpAddress::v4({octets[0], octets[1], octets[2], octets[3]}), *port);
    return SocketAddress(IpAddress::v6(octets), *port);
}

std::optional<SocketAddress> Message::mapped_address() const {
    if (auto v = value(attr::mapped_address)) return decode_address(*v, nullptr);
    return std::nullopt;
}
std::optional<SocketAddress> Message::xor_mapped_address() const {
    if (auto v = value(attr::xor_mapped_address)) return decode_address(*v, &transaction_id_);
    return std::nullopt;
}
std::optional<SocketAddress> Message::alternate_server() const {
    if (auto v = value(attr::alternate_server)) return decode_address(*v, nullptr);
    return std::nullopt;
}

namespace {
std::optional<std::string_view> as_text(std::optional<ByteSpan> value) {
    if (!value) return std::nullopt;
    return as_string(*value);
}
}  // namespace

std::optional<std::string_view> Message::username() const {
    return as_text(value(attr::username));
}
std::optional<ByteSpan> Message::userhash() const {
    return value(attr::userhash);
}
std::optional<std::string_view> Message::realm() const {
    return as_text(value(attr::realm));
}
std::optional<std::string_view> Message::nonce() const {
    return as_text(value(attr::nonce));
}
std::optional<std::string_view> Message::software() const {
    return as_text(value(attr::software));
}
std::optional<std::string_view> Message::alternate_domain() const {
    return as_text(value(attr::alternate_domain));
}

std::optional<ErrorCode> Message::error_code() const {
    auto v = value(attr::error_code);
    if (!v) return std::nullopt;
    ByteReader r(*v);
    auto head = r.u32();
    if (!head) return std::nullopt;
    const int code = static_cast<int>(((*head >> 8) & 0x7u) * 100 + (*head & 0xFFu));
    return ErrorCode{code, as_string(r.rest())};
}

std::optional<AttributeTypeList> Message::unknown_attributes_list() const {
    if (auto v = value(attr::unknown_attributes)) return AttributeTypeList(*v);
    return std::nullopt;
}

std::optional<PasswordAlgorithmList> Message::password_algorithms() const {
    if (auto v = value(attr::password_algorithms)) return PasswordAlgorithmList(*v);
    return std::nullopt;
}

std::optional<PasswordAlgorithmEntry> Message::password_algorithm() const {
    auto v = value(attr::password_algorithm);
    if (!v) return std::nullopt;
    std::size_t at = 0;
    return PasswordAlgorithmList(*v).next(at);
}

std::optional<std::uint32_t> Message::priority() const {
    if (auto v = value(attr::priority)) return ByteReader(*v).u32();
    return std::nullopt;
}
std::optional<std::uint64_t> Message::ice_controlled() const {
    if (auto v = value(attr::ice_controlled)) return ByteReader(*v).u64();
    return std::nullopt;
}
std::optional<std::uint64_t> Message::ice_controlling() const {
    if (auto v = value(attr::ice_controlling)) return ByteReader(*v).u64();
    return std::nullopt;
}
std::optional<std::uint32_t> Message::fingerprint() const {
    if (auto v = value(attr::fingerprint)) return ByteReader(*v).u32();
    return std::nullopt;
}
std::optional<SocketAddress> Message::xor_relayed_address() const {
    if (auto v = value(attr::xor_relayed_address)) return decode_address(*v, &transaction_id_);
    return std::nullopt;
}
std::optional<SocketAddress> Message::xor_peer_address() const {
    if (auto v = value(attr::xor_peer_address)) return decode_address(*v, &transaction_id_);
    return std::nullopt;
}
std::optional<std::uint32_t> Message::lifetime() const {
    if (auto v = value(attr::lifetime)) return ByteReader(*v).u32();
    return std::nullopt;
}
std::optional<std::uint16_t> Message::channel_number() const {
    if (auto v = value(attr::channel_number)) return ByteReader(*v).u16();
    return std::nullopt;
}
std::optional<std::uint8_t> Message::requested_transport() const {
    if (auto v = value(attr::requested_transport)) return ByteReader(*v).u8();
    return std::nullopt;
}
std::optional<ByteSpan> Message::message_integrity() const {
    return value(attr::message_integrity);
}
std::optional<ByteSpan> Message::message_integrity_sha256() const {
    return value(attr::message_integrity_sha256);
}

// ---- checks -------------------------------------------------------------------------------------

const RawAttribute* Message::trailer(std::size_t which) const {
    const std::uint8_t index = trailer_[which];
    return index < count_ ? &attributes_[index] : nullptr;
}

bool Message::check_fingerprint() const {
    const RawAttribute* a = trailer(slot(AttributeRank::fingerprint));
    if (!a) return false;
    const std::uint32_t expected = crc32(raw_.first(a->offset)) ^ fingerprint_xor;
    return load_u32(value(*a), 0) == expected;
}

bool Message::check_mac(std::uint16_t type, const IntegrityKey& key) const {
    const RawAttribute* a =
        trailer(slot(type == attr::message_integrity ? AttributeRank::integrity
                                                     : AttributeRank::integrity_sha256));
    if (!a) return false;
    // The MAC covers the message up to the attribute, with the header's length set as if the
    // attribute were the last one (RFC 8489 §14.5).
    std::array<std::uint8_t, header_size> header;
    std::memcpy(header.data(), raw_.data(), header_size);
    const std::size_t length = a->offset + attribute_header_size + a->length - header_size;
    header[2] = static_cast<std::uint8_t>(length >> 8);
    header[3] = static_cast<std::uint8_t>(length);
    const ByteSpan body = raw_.subspan(header_size, a->offset - header_size);
    std::array<std::uint8_t, sha256_mac_size> mac;
    if (type == attr::message_integrity)
        key.hmac_sha1({header, body}, mac.data());
    else
        key.hmac_sha256({header, body}, mac.data());
    return equal_constant_time(ByteSpan(mac).first(a->length), value(*a));
}

bool Message::check_integrity(const IntegrityKey& key) const {
    return check_mac(attr::message_integrity, key);
}

bool Message::check_integrity_sha256(const IntegrityKey& key) const {
    return check_mac(attr::message_integrity_sha256, key);
}

}  // namespace floe::stun
