// Runs one STUN Binding transaction over a UdpSocket: the sans-IO stun::ClientTransaction driven
// by an Asio timer and the socket's datagrams. Behind tools::stun_binding (floe/tools/stun.hpp);
// the ICE agent has its own pacing and drives transactions itself.
#pragma once

#include <cstddef>  // before asio: see rtc/udp_socket.hpp (aligned_alloc ODR, ASan)

#include <asio.hpp>

#include <functional>
#include <memory>
#include <optional>

#include <floe/socket_address.hpp>

#include "common/random.hpp"
#include "rtc/udp_socket.hpp"
#include "stun/client_transaction.hpp"

namespace floe::rtc {

class BindingClient {
  public:
    using Event = stun::ClientTransaction::Event;
    using Handler = std::function<void(const Event&)>;

    // Takes over `socket`'s receive handler for the transaction's life. `software`: a SOFTWARE
    // attribute for the request (empty: none).
    BindingClient(asio::io_context& io, UdpSocket& socket, const SocketAddress& server,
                  stun::RetransmissionConfig config, Random& random, std::string_view software);

    // Sends the request; `done` runs once, on the io_context's thread, with the response or the
    // timeout.
    void start(Handler done);
    void cancel();

  private:
    void pump();

    asio::steady_timer timer_;
    UdpSocket& socket_;
    stun::ClientTransaction transaction_;
    Handler done_;
};

// The Binding request floe sends: a fresh transaction id, SOFTWARE when given, FINGERPRINT.
Bytes make_binding_request(Random& random, std::string_view software);

}  // namespace floe::rtc
