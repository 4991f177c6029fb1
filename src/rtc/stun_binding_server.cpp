#include "rtc/stun_binding_server.hpp"

#include "common/time.hpp"

namespace floe::rtc {

BindingServerRunner::BindingServerRunner(asio::io_context& io,
                                         const std::vector<SocketAddress>& listen,
                                         stun::BindingServerConfig config)
    : server_(std::move(config)) {
    for (const auto& address : listen) {
        sockets_.push_back(std::make_unique<UdpSocket>(io, address));
        UdpSocket* socket = sockets_.back().get();
        socket->start_receive([this, socket](const SocketAddress& from, ByteSpan data) {
            server_.handle_input(Clock::now(), from, data);
            while (auto tx = server_.poll_transmit())
                socket->send_to(tx->data, tx->destination);
        });
    }
}

std::vector<SocketAddress> BindingServerRunner::local_addresses() const {
    std::vector<SocketAddress> out;
    for (const auto& s : sockets_)
        out.push_back(s->local_address());
    return out;
}

void BindingServerRunner::close() {
    for (auto& s : sockets_)
        s->close();
}

}  // namespace floe::rtc
