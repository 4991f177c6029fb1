// The PeerConnection options `floe chat` and `floe peer` share (kRtcOptionsHelp lists them).
#pragma once

#include <string>
#include <vector>

#include <floe/configuration.hpp>

#include "args.hpp"

namespace floe::cli {

// For the commands' option lists (Command::options).
#define FLOE_RTC_OPTIONS_HELP                                                                    \
    "  --ice-server URL        a STUN or TURN server (repeatable); none: no server. URLs:\n"     \
    "                          stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp],\n"        \
    "                          turns:HOST[:PORT][?transport=tcp]; IPv6 as [ADDR]\n"              \
    "  --ice-username U        TURN user name for the turn(s): URLs before it\n"                 \
    "  --ice-credential P      TURN password for the turn(s): URLs before it; each TURN\n"       \
    "                          server gives a relay candidate\n"                                 \
    "  --tls-ca FILE           trust FILE's certificates (PEM) for turns: servers, instead of\n" \
    "                          the system's store (a self-signed server)\n"                      \
    "  --relay-only            gather and pair relay candidates only (no host address is\n"      \
    "                          revealed)\n"                                                      \
    "  --ice-lite              ICE-lite (RFC 8445): host candidates, answers checks, sends "     \
    "none;\n"                                                                                    \
    "                          the peer must be a full ICE agent\n"                              \
    "  --interface NAME|ADDR   gather only on this interface or address (repeatable)\n"          \
    "  --loopback              gather on loopback only (127.0.0.1, ::1): two peers on one "      \
    "machine\n"                                                                                  \
    "  --loopback-only         the same as --loopback\n"                                         \
    "  --no-ipv6               gather on IPv4 addresses only\n"                                  \
    "  --port-range LOW-HIGH   bind local UDP ports in this range\n"                             \
    "  --max-message-size N    the largest message we accept (a=max-message-size), bytes\n"      \
    "  --close-linger MS       how long close() lets the peer acknowledge what was sent\n"       \
    "                          before aborting (Configuration::close_linger, 3000)\n"            \
    "  --trace                 log every datagram in and out, decoded (log level trace)\n"       \
    "  --keylog FILE           append the DTLS secrets as an NSS key log, for Wireshark\n"       \
    "  --pcap FILE             write every datagram to FILE (pcapng) with the DTLS secrets\n"    \
    "                          and a decrypted SCTP view: tshark -r FILE (docs/capture.md)\n"    \
    "  --certificate FILE      the DTLS identity, PEM (certificate and key); when FILE does\n"   \
    "                          not exist, one is made, valid a year, and saved there (0600)\n"

// `default_servers` applies when no --ice-server is given.
Configuration read_rtc_options(Args& args, const std::vector<std::string>& default_servers);

// The certificate in the PEM file at `path`; when there is no such file, a new one valid for a
// year, written there first (mode 0600: it holds the private key), so that the next run presents
// the same fingerprint. Throws floe::Error naming the file when it cannot be read or written.
Certificate load_or_create_certificate(const std::string& path);

}  // namespace floe::cli
