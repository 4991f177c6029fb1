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

namespace floe::rtc {

using tools::to_string;
using tools::TurnProbeOptions;
using tools::TurnProbeResult;
using tools::TurnTransport;

// Where the probe goes: the server's address (resolved), the transport, and the host as the URL
// names it (a TLS certificate must name it: DNS name or IP).
struct TurnProbeTarget {
    SocketAddress server;
    TurnTransport transport = TurnTransport::udp;
    std::string host;
};

// Blocks until the probe is done (bounded by the retransmission schedule and echo_timeout).
TurnProbeResult run_turn_probe(const TurnProbeTarget& target, const TurnProbeOptions& options);

}  // namespace floe::rtc
