// What a session shows of its traffic, for tools that teach or debug: `--trace` prints it, a
// capture writer (pcapng with the DTLS secrets and a decrypted SCTP view) records it. The session
// calls the observer it was given and never opens a file or a log of its own for this; every
// method has an empty default, so an observer overrides only what it needs.
//
// Calls come from inside the session's verbs, on the thread that drives it, and must not call
// back into the session. The bytes are only valid during the call.
#pragma once

#include <string_view>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>
#include <floe/stats.hpp>

#include "common/time.hpp"
#include "ice/agent.hpp"

namespace floe::session {

enum class Direction { in, out };

class PacketObserver {
  public:
    virtual ~PacketObserver() = default;

    // Every UDP datagram the session is given (in) or queues for poll_transmit (out): STUN, DTLS
    // or anything else, before any check. `local` is the bound address of `socket` (empty until
    // the socket was added).
    virtual void datagram(Instant now, Direction direction, ice::SocketId socket,
                          const SocketAddress& local, const SocketAddress& remote, ByteSpan data) {
        (void)now, (void)direction, (void)socket, (void)local, (void)remote, (void)data;
    }
    // Every plaintext SCTP packet: after DTLS decrypted it (in), before DTLS encrypts it (out).
    virtual void sctp_packet(Instant now, Direction direction, ByteSpan packet) {
        (void)now, (void)direction, (void)packet;
    }
    // Every NSS key log line (SSLKEYLOGFILE format) of the DTLS handshake, without the newline.
    virtual void key_log(std::string_view line) { (void)line; }
    // The ICE passwords (RFC 8445 §7.2.2: the short-term keys of the checks), once the remote
    // one is known: a trace can then say whether a check's MESSAGE-INTEGRITY verifies.
    virtual void ice_passwords(std::string_view local, std::string_view remote) {
        (void)local, (void)remote;
    }
    // ICE as it happens: the stats report (its candidates and candidate pairs are what matter;
    // timestamps are 0) whenever a pair was added or changed state or nomination, and at most
    // once a second when only a pair's counters or round trip changed.
    virtual void ice_pairs(Instant now, const StatsReport& report) { (void)now, (void)report; }
};

}  // namespace floe::session
