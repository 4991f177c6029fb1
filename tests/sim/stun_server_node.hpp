// A STUN server on a simulated host: answers Binding requests with the address they came from
// (XOR-MAPPED-ADDRESS, RFC 8489 §7.3.1), which is how an agent behind a NAT learns its
// server-reflexive candidate. No authentication, as public STUN servers run.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "sim/network.hpp"

namespace floe::sim {

class StunServerNode final : public Node {
  public:
    std::uint64_t requests_answered() const { return answered_; }

    void handle_input(Instant now, SocketAddress local, SocketAddress from, ByteSpan data) override;
    void handle_timeout(Instant) override {}
    std::optional<Instant> poll_timeout() const override { return std::nullopt; }
    std::optional<Datagram> poll_transmit() override;

  private:
    std::deque<Datagram> out_;
    std::uint64_t answered_ = 0;
};

}  // namespace floe::sim
