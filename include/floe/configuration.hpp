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
#include <floe/max_message_size.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

class Runtime;

// One entry of Configuration::ice_servers, shaped like the browser's RTCIceServer. The URL forms
// are those of RFC 7064 and RFC 7065:
//   stun:host[:port]                          (3478)
//   turn:host[:port][?transport=udp|tcp]      (3478)
//   turns:host[:port][?transport=tcp]         (5349, TLS)
// host: a DNS name, an IPv4 address, or an IPv6 address in brackets ("stun:[2001:db8::1]").
// A TURN entry needs `username` and `credential` (the long-term credentials of RFC 8489 §9.2);
// they never go in the URL. A string converts to an entry with that one URL, so
// `cfg.ice_servers = {"stun:stun.example.org"}` reads as it always did.
struct IceServer {
    std::vector<std::string> urls;
    std::string username;
    std::string credential;

    IceServer() = default;
    IceServer(std::string url) : urls{std::move(url)} {}    // NOLINT: implicit on purpose
    IceServer(const char* url) : urls{std::string(url)} {}  // NOLINT: implicit on purpose
    IceServer(std::vector<std::string> u, std::string user = {}, std::string cred = {})
        : urls(std::move(u)), username(std::move(user)), credential(std::move(cred)) {}
};

// Which local candidates are gathered and paired (W3C RTCIceTransportPolicy).
enum class IceTransportPolicy : std::uint8_t {
    all,    // host, server-reflexive and relay candidates
    relay,  // relay candidates only: nothing reveals this host's addresses to the peer
};

struct Configuration {
    // STUN and TURN servers; none by default, like browsers. Checked when the PeerConnection is
    // constructed: a bad URL, a TURN entry without username/credential, or a stuns: URL (STUN
    // over TLS is not supported) is an InvalidArgumentError naming the entry. stun: servers
    // give server-reflexive candidates, turn: servers relay candidates (an allocation on each;
    // one that fails is logged with its reason, docs/turn.md "Relay candidates").
    std::vector<IceServer> ice_servers;
    // turns: servers' certificates are verified (RFC 8656 §3.2) against the system's trust
    // store, or, when set, against this PEM file's certificates (a self-signed server pinned).
    std::string turn_tls_ca_file;
    // relay: only relay candidates are gathered and paired; no address of this host reaches
    // the peer. Without a TURN server that answers, no candidate at all (and no connection).
    IceTransportPolicy ice_transport_policy = IceTransportPolicy::all;
    // ICE-lite (RFC 8445 §2.5, a=ice-lite of RFC 8839 §5.3): host candidates only, always the
    // controlled agent; answers the peer's checks and sends none, and uses the pair the full
    // peer nominates. For a server on a public address. The peer must be a full agent: two lite
    // agents cannot connect (set_remote_description refuses that).
    bool ice_lite = false;

    // Interfaces to gather host candidates on, by name ("eth0") or address ("192.0.2.1").
    // Empty: every interface that is up, except loopback (see include_loopback). An entry that
    // matches nothing on this host is reported through PeerConnection::on_ice_candidate_error.
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
    std::size_t max_message_size = default_max_message_size;
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

    // A pcapng capture (`--pcap FILE`) of every datagram this PeerConnection sends and receives,
    // one packet per datagram, with the DTLS secrets inside (Wireshark decrypts it with no key log)
    // and a second, decrypted view of the SCTP packets (SCTP over UDP port 9899, RFC 6951), which
    // tshark decodes by itself down to DCEP. PeerConnections of one process naming the same file
    // write one capture. Empty: off. docs/capture.md.
    std::string pcap_file;

    // close() ends the SCTP association gracefully: what send() accepted is delivered and
    // acknowledged, then SHUTDOWN (RFC 9260 §9.2). This bounds how long that may take before the
    // association is aborted. close() waits that long at most (not from a callback, which never
    // blocks); the destructor never waits, the shutdown goes on in the background. 0: abort at
    // once (what close() did before graceful shutdown existed).
    std::chrono::milliseconds close_linger{3000};
};

}  // namespace floe

#pragma GCC visibility pop
