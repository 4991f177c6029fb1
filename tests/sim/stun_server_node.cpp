#include "sim/stun_server_node.hpp"

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

namespace floe::sim {

// TODO(ice-sim): answer through the stun branch's sans-IO binding server once it lands, so the
// simulator exercises the production server; until then the codec answers directly.
void StunServerNode::handle_input(Instant, SocketAddress local, SocketAddress from, ByteSpan data) {
    auto request = stun::Message::decode(data);
    if (!request || request->method() != stun::method::binding ||
        request->message_class() != stun::MessageClass::request)
        return;
    Datagram response{local, from, {}};
    stun::MessageBuilder builder(response.data,
                                 {stun::method::binding, stun::MessageClass::success_response},
                                 request->transaction_id());
    builder.add_xor_mapped_address(from).add_fingerprint();
    if (!builder.finish()) return;
    ++answered_;
    out_.push_back(std::move(response));
}

std::optional<Datagram> StunServerNode::poll_transmit() {
    if (out_.empty()) return std::nullopt;
    auto d = std::move(out_.front());
    out_.pop_front();
    return d;
}

}  // namespace floe::sim
