// Reading floe's datagrams for people (`--trace`, issue 16): one line per datagram naming what it
// is, and indented lines with its contents:
//   STUN   class and method, transaction id, every attribute decoded, whether FINGERPRINT and
//          MESSAGE-INTEGRITY verify (with the keys the caller knows);
//   DTLS   each record's type, epoch and sequence; handshake messages in the clear by name
//          (ClientHello with its suites and extensions, ServerHello with the choice, Certificate
//          with its fingerprint, ...); alerts by name;
//   SCTP   (a decrypted packet) its chunks, DCEP decoded, through sctp::describe_packet.
// Bounds-checked and allocation-tolerant: a damaged packet is described up to the damage.
#pragma once

#include <span>
#include <string>

#include <floe/bytes.hpp>
#include <floe/stun/integrity.hpp>

namespace floe::capture {

// The first line, then "\n    "-indented detail lines. `integrity_keys`: the ICE short-term keys
// the session knows (local and remote password); a STUN message's MESSAGE-INTEGRITY is reported
// as verified with the first that matches, or as failing with all of them.
std::string describe_datagram(ByteSpan datagram,
                              std::span<const stun::IntegrityKey> integrity_keys = {});

std::string describe_stun(ByteSpan message,
                          std::span<const stun::IntegrityKey> integrity_keys = {});
std::string describe_dtls(ByteSpan datagram);

}  // namespace floe::capture
