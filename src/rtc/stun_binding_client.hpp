// Runs one STUN Binding transaction on a UDP socket of its own: the sans-IO stun::ClientTransaction
// driven by an Asio timer and the socket's datagrams. Behind tools::stun_binding
// (floe/tools/stun.hpp); the ICE agent has its own pacing and drives transactions itself.
//
// The socket is connected to the server, so that an ICMP port unreachable (nothing listens
// there) ends the transaction at once: Linux reports it on a connected UDP socket as
// ECONNREFUSED on the next receive (an unconnected one never hears of it).
#pragma once

#include <cstddef>  // before asio: see rtc/udp_socket.hpp (aligned_alloc ODR, ASan)

#include <asio.hpp>

#include <array>
#include <functional>
#include <optional>
#include <system_error>

#include <floe/socket_address.hpp>

#include "capture/pcapng.hpp"
#include "common/random.hpp"
#include "common/time.hpp"
#include "stun/client_transaction.hpp"

namespace floe::rtc {

class BindingClient {
  public:
    using Event = stun::ClientTransaction::Event;
    struct Outcome {
        std::optional<Event> event;  // the response or the timeout; else `error` ended it
        std::error_code error;       // connection_refused: ICMP port unreachable
    };
    using Handler = std::function<void(const Outcome&)>;
    // What the transaction does as it happens, for a user who waits (each may be empty).
    struct Hooks {
        // Every datagram sent (outbound) and received (inbound): our address, the server's.
        std::function<void(capture::Direction, const SocketAddress& local,
                           const SocketAddress& remote, ByteSpan datagram)>
            datagram;
        // After each retransmission: requests sent so far, and the wait until the next one (or,
        // after the last, until the transaction gives up).
        std::function<void(int sent, Duration next)> retransmitted;
    };

    // Opens the socket (of the server's family, connected to it). Throws std::system_error when
    // it cannot. `software`: a SOFTWARE attribute for the request (empty: none).
    BindingClient(asio::io_context& io, const SocketAddress& server,
                  stun::RetransmissionConfig config, Random& random, std::string_view software,
                  Hooks hooks = {});

    // The socket's address: the source the route to the server uses.
    const SocketAddress& local_address() const { return local_; }
    // Requests sent so far (the first and its retransmissions).
    int requests_sent() const { return sent_; }
    // Sends the request; `done` runs once, on the io_context's thread.
    void start(Handler done);
    void cancel();

  private:
    void receive();
    void pump();
    void finish(const Outcome& outcome);

    asio::ip::udp::socket socket_;
    asio::steady_timer timer_;
    SocketAddress server_;
    SocketAddress local_;
    stun::ClientTransaction transaction_;
    Hooks hooks_;
    Handler done_;
    int sent_ = 0;
    std::array<std::uint8_t, 2048> buffer_{};
};

// The Binding request floe sends: a fresh transaction id, SOFTWARE when given, FINGERPRINT.
Bytes make_binding_request(Random& random, std::string_view software);

}  // namespace floe::rtc
