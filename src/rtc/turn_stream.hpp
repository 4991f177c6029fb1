// The connection to a TURN server on the runtime's io_context: datagrams over UDP, or a TCP or
// TLS stream framed per RFC 8656 §3.1 (turn::StreamFramer). Shared by `floe turn`'s probe and the
// PeerConnection's relay candidates over TCP/TLS (the session core stays sans-IO: it gets each
// framed message as if it were a datagram from the server).
#pragma once

#include <cstddef>  // before asio: see rtc/udp_socket.hpp

#include <asio/io_context.hpp>
#include <asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <string>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>

namespace floe::rtc {

class TurnLink {
  public:
    using OnMessage = std::function<void(ByteSpan)>;
    using OnError = std::function<void(std::string)>;
    virtual ~TurnLink() = default;
    // Reading starts: each message (one datagram, or one framed STUN/ChannelData message) goes
    // to on_message; a read or write failure, or a stream that breaks framing, to on_error (once).
    virtual void start(OnMessage on_message, OnError on_error) = 0;
    // Queued: a stream writes one message after the other.
    virtual void send(Bytes data) = 0;
    virtual void close() = 0;
    virtual SocketAddress local() const = 0;
};

// UDP from an ephemeral socket of the server's family; only the server's datagrams are read.
std::unique_ptr<TurnLink> make_udp_link(asio::io_context& io, const SocketAddress& server);

// TLS verification (RFC 8656 §3.2): the system's trust store, or `ca_file`'s certificates (a
// self-signed server pinned); `insecure` checks nothing. Throws std::system_error when ca_file
// cannot be read.
void configure_tls(asio::ssl::context& tls, const std::string& ca_file, bool insecure);

struct StreamTarget {
    SocketAddress server;
    bool tls = false;
    std::string host;  // as the URL names it: the certificate must name it (RFC 6125)
    bool insecure = false;
};

// Connects over TCP (and does the TLS handshake): on_ready("") once the stream can carry
// messages, on_ready(reason) when it cannot (no deadline here: the caller arms one). `tls` must
// outlive the link.
std::unique_ptr<TurnLink> connect_stream(asio::io_context& io, asio::ssl::context& tls,
                                         const StreamTarget& target,
                                         std::function<void(std::string)> on_ready);

}  // namespace floe::rtc
