// Serves STUN Binding requests on UDP sockets: the sans-IO stun::BindingServer fed by each
// socket's datagrams, its answers sent back out of the socket the request came in on.
// Behind tools::StunServer (floe/tools/stun.hpp), which `floe stun-server` and `floe demo` use.
#pragma once

#include <cstddef>  // before asio: see rtc/udp_socket.hpp (aligned_alloc ODR, ASan)

#include <asio.hpp>

#include <memory>
#include <vector>

#include <floe/socket_address.hpp>

#include "rtc/udp_socket.hpp"
#include "stun/binding_server.hpp"

namespace floe::rtc {

class BindingServerRunner {
  public:
    // Binds every address (port 0: ephemeral) and starts serving. Throws std::system_error if
    // one cannot be bound.
    BindingServerRunner(asio::io_context& io, const std::vector<SocketAddress>& listen,
                        stun::BindingServerConfig config = {});

    // The bound addresses, in the order given, with the ports the system picked.
    std::vector<SocketAddress> local_addresses() const;
    const stun::BindingServer::Counters& counters() const { return server_.counters(); }
    void close();

  private:
    stun::BindingServer server_;
    std::vector<std::unique_ptr<UdpSocket>> sockets_;
};

}  // namespace floe::rtc
