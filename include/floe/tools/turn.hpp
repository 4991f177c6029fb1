// The tools API: one TURN allocation from start to end (RFC 8656), over UDP, TCP or TLS, for
// `floe turn` and anyone checking a TURN server: allocate, optionally hold the allocation while
// refreshing it, optionally send datagrams through the relay to a UDP echo (the first as a Send
// indication, the rest as ChannelData on a bound channel), deallocate. docs/turn.md.
//
//   floe::tools::TurnProbeOptions o;  o.username = "alice";  o.password = "secret";
//   auto r = floe::tools::turn_probe("turn:127.0.0.1:3478?transport=tcp", o);
//   if (r && r->error.empty()) use(*r->relayed);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/result.hpp>
#include <floe/socket_address.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::tools {

enum class TurnTransport : std::uint8_t { udp, tcp, tls };
std::string_view to_string(TurnTransport transport);

struct TurnProbeOptions {
    std::string username;
    std::string password;
    std::optional<SocketAddress> peer;  // a UDP echo server to send through the relay to
    int datagrams = 3;                  // to the peer
    std::uint32_t lifetime_seconds = 600;
    // How long to keep the allocation (refreshing it as its lifetime asks) before the peer
    // round trips and the deallocation: shows refreshes and stale nonces on a real server.
    std::chrono::steady_clock::duration hold{};
    // turns: by default the server's certificate chain is checked against the system's trust
    // store and must name the URL's host. `tls_ca_file` trusts that file's certificates instead
    // (pinning a self-signed server); `tls_insecure` checks nothing (testing only).
    std::string tls_ca_file;
    bool tls_insecure = false;
    // UDP: RFC 8489 §6.2.1 retransmissions (RTO, Rc).
    std::chrono::milliseconds initial_rto{500};
    int max_transmissions = 7;
    std::chrono::steady_clock::duration echo_timeout = std::chrono::seconds(2);  // per datagram
    std::string software;  // SOFTWARE in the requests; empty: none
    // Each message to and from the server, summarised ("-> Allocate request LIFETIME ...").
    std::function<void(const std::string&)> trace;
};

struct TurnProbeResult {
    SocketAddress server;  // the address the URL resolved to
    TurnTransport transport = TurnTransport::udp;
    bool allocated = false;
    SocketAddress local;
    std::optional<SocketAddress> relayed;
    std::optional<SocketAddress> mapped;
    std::chrono::steady_clock::duration lifetime{};
    std::chrono::steady_clock::duration allocate_time{};  // first Allocate to the allocation
    bool permission = false;
    std::optional<std::uint16_t> channel;
    struct Echo {
        bool channel = false;  // sent as ChannelData (else as a Send indication)
        std::optional<std::chrono::steady_clock::duration> rtt;  // nullopt: no echo in time
    };
    std::vector<Echo> echoes;
    bool deallocated = false;
    std::uint64_t refreshes = 0;     // of the allocation
    std::uint64_t stale_nonces = 0;  // 438 answers met (and survived, unless error says not)
    int code = 0;                    // the TURN error code of a failure (0: none, or no answer)
    std::string error;               // empty when everything worked
};

struct TurnProbeError {
    enum class Kind : std::uint8_t {
        bad_url,             // not a URI of RFC 7065
        unsupported_scheme,  // stun:, stuns:
        unresolved,          // the host has no address
    };
    Kind kind = Kind::bad_url;
    std::string message;  // a sentence fragment for the user
};

// Blocking: parses `url` (turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT]), resolves
// it and runs the allocation to its end (bounded by the retransmission schedule and the echo
// timeout). A failure on the wire is in the result's `error`, not an error of this call.
Result<TurnProbeResult, TurnProbeError> turn_probe(std::string_view url,
                                                   const TurnProbeOptions& options);

}  // namespace floe::tools

#pragma GCC visibility pop
