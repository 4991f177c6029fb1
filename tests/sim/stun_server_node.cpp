#include "sim/stun_server_node.hpp"

namespace floe::sim {

void StunServerNode::handle_input(Instant now, SocketAddress local, SocketAddress from,
                                  ByteSpan data) {
    local_ = local;
    server_.handle_input(now, from, data);
}

std::optional<Datagram> StunServerNode::poll_transmit() {
    auto t = server_.poll_transmit();
    if (!t) return std::nullopt;
    return Datagram{local_, t->destination, std::move(t->data)};
}

}  // namespace floe::sim
