// A STUN server on a simulated host: the stun module's sans-IO BindingServer, which answers
// Binding requests with the address they came from (XOR-MAPPED-ADDRESS, RFC 8489 §7.3.1). That
// is how an agent behind a NAT learns its server-reflexive candidate. No authentication, as
// public STUN servers run.
#pragma once

#include <optional>

#include "sim/network.hpp"
#include "stun/binding_server.hpp"

namespace floe::sim {

class StunServerNode final : public Node {
  public:
    const stun::BindingServer::Counters& counters() const { return server_.counters(); }

    void handle_input(Instant now, SocketAddress local, SocketAddress from, ByteSpan data) override;
    void handle_timeout(Instant) override {}
    std::optional<Instant> poll_timeout() const override { return std::nullopt; }
    std::optional<Datagram> poll_transmit() override;

  private:
    stun::BindingServer server_;
    SocketAddress local_;  // one socket: the address requests came to
};

}  // namespace floe::sim
