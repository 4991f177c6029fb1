// pcapng block layouts: draft-ietf-opsawg-pcapng (Section Header §4.1, Interface Description
// §4.2, Enhanced Packet §4.3, Decryption Secrets §4.7).
#include "capture/pcapng.hpp"

#include <algorithm>
#include <array>

#include "common/byte_writer.hpp"

namespace floe::capture {
namespace {

constexpr std::uint32_t block_section_header = 0x0A0D0D0A;
constexpr std::uint32_t block_interface = 0x00000001;
constexpr std::uint32_t block_enhanced_packet = 0x00000006;
constexpr std::uint32_t block_decryption_secrets = 0x0000000A;
constexpr std::uint32_t byte_order_magic = 0x1A2B3C4D;
constexpr std::uint32_t secrets_tls_key_log = 0x544C534B;  // "TLSK": NSS key-log lines
constexpr std::uint16_t linktype_raw = 101;                // raw IPv4 or IPv6, by version nibble

constexpr std::uint16_t opt_end = 0;
constexpr std::uint16_t shb_userappl = 4;
constexpr std::uint16_t if_name = 2;
constexpr std::uint16_t if_description = 3;
constexpr std::uint16_t if_tsresol = 9;
constexpr std::uint16_t epb_flags = 2;

std::size_t padded(std::size_t n) {
    return (n + 3) & ~std::size_t{3};
}

void pad(ByteWriter& w, std::size_t n) {
    w.zeros(padded(n) - n);
}

void option(ByteWriter& w, std::uint16_t code, ByteSpan value) {
    w.u16(code);
    w.u16(static_cast<std::uint16_t>(value.size()));
    w.bytes(value);
    pad(w, value.size());
}

void option(ByteWriter& w, std::uint16_t code, std::string_view text) {
    option(w, code, ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// Every block: type, total length, body, total length again. The body writes into `out` after
// the two leading words; the length is patched in once known.
template <class Body>
Bytes block(std::uint32_t type, Body&& body) {
    Bytes out;
    ByteWriter w(out);
    w.u32(type);
    w.u32(0);
    body(w);
    const auto total = static_cast<std::uint32_t>(w.size() + 4);
    w.u32(total);
    for (int i = 0; i < 4; ++i)
        out[4 + i] = static_cast<std::uint8_t>(total >> (24 - 8 * i));
    return out;
}

Bytes interface_block(std::string_view name, std::string_view description) {
    return block(block_interface, [&](ByteWriter& w) {
        w.u16(linktype_raw);
        w.u16(0);  // reserved
        w.u32(0);  // snap length: none
        option(w, if_name, name);
        option(w, if_description, description);
        const std::array<std::uint8_t, 1> microseconds{6};  // 10^-6 s, the default, said aloud
        option(w, if_tsresol, ByteSpan(microseconds));
        w.u32(opt_end);
    });
}

// RFC 1071 ones'-complement sum, folded.
struct Checksum {
    std::uint32_t sum = 0;
    void add(ByteSpan data) {
        for (std::size_t i = 0; i < data.size(); i += 2) {
            const std::uint32_t hi = data[i];
            const std::uint32_t lo = i + 1 < data.size() ? data[i + 1] : 0;
            sum += (hi << 8) | lo;
        }
    }
    void add16(std::uint32_t v) { sum += v & 0xFFFF; }
    std::uint16_t result() const {
        std::uint32_t s = sum;
        while (s >> 16)
            s = (s & 0xFFFF) + (s >> 16);
        return static_cast<std::uint16_t>(~s);
    }
};

ByteSpan address_bytes(const IpAddress& ip) {
    return ByteSpan(ip.data(), ip.size());
}

// The IP and UDP headers in front of the payload.
void ip_udp(ByteWriter& w, const SocketAddress& source, const SocketAddress& destination,
            ByteSpan payload) {
    const IpAddress src = source.ip();
    const IpAddress dst =
        destination.ip().family() == src.family() ? destination.ip() : IpAddress::any(src.family());
    const auto udp_length = static_cast<std::uint16_t>(8 + payload.size());

    // RFC 768: the UDP checksum covers a pseudo-header of the addresses, protocol and length.
    Checksum udp;
    udp.add(address_bytes(src));
    udp.add(address_bytes(dst));
    udp.add16(17);
    udp.add16(udp_length);
    udp.add16(source.port());
    udp.add16(destination.port());
    udp.add16(udp_length);
    udp.add(payload);
    std::uint16_t udp_checksum = udp.result();
    if (udp_checksum == 0) udp_checksum = 0xFFFF;  // RFC 768: zero means "none"

    if (src.is_v4()) {
        std::array<std::uint8_t, 20> header{};
        ByteWriter h{MutableByteSpan(header)};
        h.u8(0x45);  // version 4, 5 words
        h.u8(0);
        h.u16(static_cast<std::uint16_t>(20 + udp_length));
        h.u16(0);       // identification
        h.u16(0x4000);  // don't fragment
        h.u8(64);       // TTL
        h.u8(17);       // UDP
        h.u16(0);       // checksum, below
        h.bytes(address_bytes(src));
        h.bytes(address_bytes(dst));
        Checksum ip;
        ip.add(ByteSpan(header));
        const std::uint16_t sum = ip.result();
        header[10] = static_cast<std::uint8_t>(sum >> 8);
        header[11] = static_cast<std::uint8_t>(sum);
        w.bytes(ByteSpan(header));
    } else {
        w.u32(0x60000000);  // version 6, no traffic class or flow label
        w.u16(udp_length);
        w.u8(17);  // next header: UDP
        w.u8(64);  // hop limit
        w.bytes(address_bytes(src));
        w.bytes(address_bytes(dst));
    }
    w.u16(source.port());
    w.u16(destination.port());
    w.u16(udp_length);
    w.u16(udp_checksum);
    w.bytes(payload);
}

}  // namespace

Bytes PcapngEncoder::file_header() {
    Bytes out = block(block_section_header, [](ByteWriter& w) {
        w.u32(byte_order_magic);
        w.u16(1);                  // major version
        w.u16(0);                  // minor version
        w.u64(~std::uint64_t{0});  // section length: not given
        option(w, shb_userappl, std::string_view("floe"));
        w.u32(opt_end);
    });
    const Bytes wire = interface_block("wire", "UDP datagrams as sent and received by floe");
    const Bytes decrypted = interface_block(
        "decrypted", "SCTP packets inside DTLS, shown as SCTP over UDP port 9899 (RFC 6951)");
    out.insert(out.end(), wire.begin(), wire.end());
    out.insert(out.end(), decrypted.begin(), decrypted.end());
    return out;
}

Bytes PcapngEncoder::udp_packet(View view, Direction direction, std::uint64_t micros,
                                const SocketAddress& source, const SocketAddress& destination,
                                ByteSpan payload) {
    payload = payload.first(std::min(payload.size(), max_udp_payload));
    return block(block_enhanced_packet, [&](ByteWriter& w) {
        w.u32(static_cast<std::uint32_t>(view));
        w.u32(static_cast<std::uint32_t>(micros >> 32));
        w.u32(static_cast<std::uint32_t>(micros));
        const std::size_t length = (source.is_v4() ? 20 : 40) + 8 + payload.size();
        w.u32(static_cast<std::uint32_t>(length));  // captured
        w.u32(static_cast<std::uint32_t>(length));  // on the wire
        ip_udp(w, source, destination, payload);
        pad(w, length);
        // §4.3.1 epb_flags bits 0-1: 01 inbound, 10 outbound.
        std::array<std::uint8_t, 4> flags{
            0, 0, 0, direction == Direction::inbound ? std::uint8_t{1} : std::uint8_t{2}};
        option(w, epb_flags, ByteSpan(flags));
        w.u32(opt_end);
    });
}

Bytes PcapngEncoder::secrets(std::string_view keylog_lines) {
    return block(block_decryption_secrets, [&](ByteWriter& w) {
        w.u32(secrets_tls_key_log);
        w.u32(static_cast<std::uint32_t>(keylog_lines.size()));
        w.bytes(ByteSpan(reinterpret_cast<const std::uint8_t*>(keylog_lines.data()),
                         keylog_lines.size()));
        pad(w, keylog_lines.size());
    });
}

}  // namespace floe::capture
