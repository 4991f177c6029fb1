// A pcapng encoder for what floe sends and receives (issue 16, `--pcap`). Sans-IO: it returns the
// blocks as bytes and the caller writes them to a file.
//
// One file holds two interfaces:
//   0 "wire"       every UDP datagram as it was sent or received, one packet per datagram (what
//                  tcpdump cannot show under UDP GSO/GRO, where it sees merged super-packets);
//   1 "decrypted"  every SCTP packet carried inside DTLS, written as SCTP over UDP on port 9899
//                  (RFC 6951), which Wireshark decodes natively: the chunks and DCEP without
//                  needing the keys.
// and the DTLS secrets in Decryption Secrets Blocks (NSS key-log lines), so Wireshark also
// decrypts the wire view by itself.
//
// Packets are raw IPv4/IPv6 (LINKTYPE_RAW) with a synthetic IP and UDP header built from the
// datagram's addresses. The file is big-endian; pcapng readers accept either byte order
// (draft-ietf-opsawg-pcapng §4.1).
#pragma once

#include <cstdint>
#include <string_view>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>

namespace floe::capture {

enum class View : std::uint32_t { wire = 0, decrypted = 1 };
enum class Direction { inbound, outbound };

// RFC 6951 §5: the UDP port IANA registered for SCTP over UDP; Wireshark's default for it.
inline constexpr std::uint16_t sctp_over_udp_port = 9899;

// The largest UDP payload an IP packet can carry; longer datagrams are cut to it (never seen:
// floe's datagrams are below 1,500 bytes).
inline constexpr std::size_t max_udp_payload = 65535 - 8 - 40;

class PcapngEncoder {
  public:
    // The Section Header Block and both Interface Description Blocks: the file's first bytes.
    static Bytes file_header();

    // An Enhanced Packet Block: a UDP datagram from `source` to `destination` at `micros`
    // microseconds since the Unix epoch. Addresses of different families cannot form one packet:
    // the destination is then written in the source's family as its unspecified address.
    static Bytes udp_packet(View view, Direction direction, std::uint64_t micros,
                            const SocketAddress& source, const SocketAddress& destination,
                            ByteSpan payload);

    // A Decryption Secrets Block with NSS key-log lines ("CLIENT_RANDOM <hex> <hex>\n").
    static Bytes secrets(std::string_view keylog_lines);
};

}  // namespace floe::capture
