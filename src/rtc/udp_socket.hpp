// A UDP socket on an Asio io_context: bound to a SocketAddress, delivering each datagram with its
// sender, sending to any address. The runtime's one socket type; protocol cores never see it.
//
//   asio::io_context io;
//   rtc::UdpSocket socket(io, *SocketAddress::parse("127.0.0.1:0"));   // port 0: ephemeral
//   socket.start_receive([&](const SocketAddress& from, ByteSpan data) { ... });
//   socket.send_to(bytes, peer);
//   io.run();
//
// All calls and handlers run on the io_context's thread. An IPv6 socket is IPv6-only, so an IPv4
// and an IPv6 socket may share a port number.
#pragma once

#include <asio.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <system_error>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>

namespace floe::rtc {

// Asio endpoints from floe addresses and back.
asio::ip::udp::endpoint to_endpoint(const SocketAddress& address);
SocketAddress from_endpoint(const asio::ip::udp::endpoint& endpoint);

class UdpSocket {
  public:
    // Called for every datagram; `data` is valid only during the call.
    using ReceiveHandler = std::function<void(const SocketAddress& from, ByteSpan data)>;
    // Called when receiving stops on an error other than close() (the socket is then closed).
    using ErrorHandler = std::function<void(std::error_code)>;

    // Binds to `local`. Throws std::system_error (address in use, family unavailable, ...).
    UdpSocket(asio::io_context& io, const SocketAddress& local);
    ~UdpSocket();
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    // The bound address, with the port the system picked for port 0.
    const SocketAddress& local_address() const { return local_; }

    // Receives until close(); datagrams larger than the buffer (64 KiB) are truncated by the OS.
    void start_receive(ReceiveHandler on_datagram, ErrorHandler on_error = {});
    // Sends now (UDP sends do not block in practice). Errors (unreachable, wrong family) are
    // returned, never thrown: a peer going away must not take the runtime down.
    std::error_code send_to(ByteSpan data, const SocketAddress& to);
    void close();
    bool is_open() const { return socket_.is_open(); }

  private:
    void receive_next();

    asio::ip::udp::socket socket_;
    SocketAddress local_;
    asio::ip::udp::endpoint sender_;
    std::array<std::uint8_t, 65536> buffer_;
    ReceiveHandler on_datagram_;
    ErrorHandler on_error_;
};

}  // namespace floe::rtc
