// Runs one TURN allocation to its end over a real transport (UDP, TCP or TLS) on an Asio
// io_context: the sans-IO turn::Client driven by a timer and a socket. Used by `floe turn`; the
// ICE agent will drive its own clients.
//
// The probe allocates, optionally holds the allocation for a while, optionally creates a permission
// for a peer (an echo server) and sends datagrams to it through the relay (the first as a Send
// indication, the rest as ChannelData once a channel is bound), measures each round trip, and
// deallocates.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <floe/socket_address.hpp>

#include "common/time.hpp"
#include "stun/client_transaction.hpp"

namespace floe::rtc {

enum class TurnTransport : std::uint8_t { udp, tcp, tls };
std::string_view to_string(TurnTransport transport);

struct TurnProbeOptions {
    SocketAddress server;
    TurnTransport transport = TurnTransport::udp;
    std::string host;  // as in the URL: the TLS certificate must name it (DNS name or IP)
    std::string username;
    std::string password;
    std::optional<SocketAddress> peer;  // an echo server to send through the relay to
    int datagrams = 3;                  // to the peer
    std::uint32_t lifetime_seconds = 600;
    // How long to keep the allocation (refreshing it as its lifetime asks) before the peer
    // round trips and the deallocation: shows refreshes and stale nonces on a real server.
    Duration hold{};
    // TLS: by default the server's certificate chain is checked against the system's trust
    // store and must name `host`. `tls_ca_file` trusts that file's certificates instead (pinning
    // a self-signed server); `tls_insecure` checks nothing (testing only).
    std::string tls_ca_file;
    bool tls_insecure = false;
    stun::RetransmissionConfig retransmission{};
    Duration echo_timeout = std::chrono::seconds(2);  // per datagram
    std::string software;
    // Each message to and from the server, summarised ("-> Allocate request LIFETIME ...").
    std::function<void(const std::string&)> trace;
};

struct TurnProbeResult {
    bool allocated = false;
    SocketAddress local;
    std::optional<SocketAddress> relayed;
    std::optional<SocketAddress> mapped;
    Duration lifetime{};
    Duration allocate_time{};  // from the first Allocate to the allocation
    bool permission = false;
    std::optional<std::uint16_t> channel;
    struct Echo {
        bool channel = false;         // sent as ChannelData (else as a Send indication)
        std::optional<Duration> rtt;  // nullopt: no echo within echo_timeout
    };
    std::vector<Echo> echoes;
    bool deallocated = false;
    std::uint64_t refreshes = 0;     // of the allocation
    std::uint64_t stale_nonces = 0;  // 438 answers met (and survived, unless error says not)
    int code = 0;                    // the TURN error code of a failure (0: none, or no answer)
    std::string error;               // empty when everything worked
};

// Blocks until the probe is done (bounded by the retransmission schedule and echo_timeout).
TurnProbeResult run_turn_probe(const TurnProbeOptions& options);

}  // namespace floe::rtc
