// Runs one TURN allocation to its end over a real transport (UDP, TCP or TLS) on an Asio
// io_context: the sans-IO turn::Client driven by a timer and a socket. Behind the tools API's
// turn_probe() (floe/tools/turn.hpp, `floe turn`); the ICE agent will drive its own clients.
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
#include <floe/tools/turn.hpp>

#include "common/time.hpp"
#include "stun/client_transaction.hpp"

namespace floe::rtc {

using tools::to_string;
using tools::TurnProbeResult;
using tools::TurnTransport;

struct TurnProbeOptions {
    SocketAddress server;
    TurnTransport transport = TurnTransport::udp;
    std::string host;  // as in the URL: the TLS certificate must name it (DNS name or IP)
    std::string username;
    std::string password;
    std::optional<SocketAddress> peer;  // an echo server to send through the relay to
    int datagrams = 3;                  // to the peer
    std::uint32_t lifetime_seconds = 600;
    Duration hold{};  // tools::TurnProbeOptions::hold
    std::string tls_ca_file;
    bool tls_insecure = false;
    stun::RetransmissionConfig retransmission{};
    Duration echo_timeout = std::chrono::seconds(2);  // per datagram
    std::string software;
    std::function<void(const std::string&)> trace;
};

// Blocks until the probe is done (bounded by the retransmission schedule and echo_timeout).
TurnProbeResult run_turn_probe(const TurnProbeOptions& options);

}  // namespace floe::rtc
