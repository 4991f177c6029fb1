// How a PeerConnection gathers, which servers it asks, and what it accepts. Plain data.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <floe/certificate.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

class Runtime;

struct Configuration {
    // "stun:host[:port]" URLs (RFC 7064). None by default, like browsers.
    std::vector<std::string> ice_servers;

    // Interfaces to gather host candidates on, by name ("eth0") or address ("192.0.2.1").
    // Empty: every interface that is up, except loopback (see include_loopback).
    std::vector<std::string> interfaces;
    // Also gather on loopback interfaces (127.0.0.1, ::1). Off by default, like browsers.
    bool include_loopback = false;
    // Gather on loopback only (tests, demos): implies include_loopback.
    bool loopback_only = false;
    bool enable_ipv6 = true;

    // Local UDP ports to bind, inclusive; 0/0 lets the system choose.
    std::uint16_t port_range_begin = 0;
    std::uint16_t port_range_end = 0;

    // The largest message this peer accepts, advertised as a=max-message-size.
    std::size_t max_message_size = 262144;
    // SCTP streams asked for each way (1 to 1,024): the most data channels open at once, and the
    // highest id + 1. usrsctp allocates its per-stream state for all of them when the association
    // starts, about 100 KB per PeerConnection at 1,024 (docs/performance.md, W4); a server with
    // many connections of few channels each may ask for fewer.
    std::uint16_t max_streams = 1024;

    // The DTLS identity (W3C RTCConfiguration.certificates): empty, a fresh ECDSA P-256 one per
    // PeerConnection; else the one given, reused as is (Certificate::from_pem, generate). floe uses
    // one certificate: more than one, or an expired one, is an InvalidArgumentError.
    std::vector<Certificate> certificates;

    // The thread all state lives on; the process-default Runtime when empty.
    std::shared_ptr<Runtime> runtime;

    // NSS key log (SSLKEYLOGFILE format) for Wireshark; empty: off.
    std::string keylog_file;

    // close() ends the SCTP association gracefully: what send() accepted is delivered and
    // acknowledged, then SHUTDOWN (RFC 9260 §9.2). This bounds how long that may take before the
    // association is aborted. close() waits that long at most (not from a callback, which never
    // blocks); the destructor never waits, the shutdown goes on in the background. 0: abort at
    // once (what close() did before graceful shutdown existed).
    std::chrono::milliseconds close_linger{3000};
};

}  // namespace floe

#pragma GCC visibility pop
