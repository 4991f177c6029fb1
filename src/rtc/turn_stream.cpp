#include "rtc/turn_stream.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <asio.hpp>
#include <asio/ssl.hpp>

#include <array>
#include <deque>

#include "rtc/udp_socket.hpp"
#include "turn/stream_framer.hpp"

namespace floe::rtc {

namespace {

class UdpLink final : public TurnLink {
  public:
    UdpLink(asio::io_context& io, const SocketAddress& server)
        : socket_(io, SocketAddress(IpAddress::any(server.family()), 0)), server_(server) {}
    void start(OnMessage on_message, OnError on_error) override {
        socket_.start_receive(
            [this, on_message](const SocketAddress& from, ByteSpan data) {
                if (from == server_) on_message(data);  // only the server speaks TURN to us
            },
            [on_error](std::error_code ec) { on_error("UDP receive failed: " + ec.message()); });
    }
    void send(Bytes data) override { socket_.send_to(data, server_); }
    void close() override { socket_.close(); }
    SocketAddress local() const override { return socket_.local_address(); }

  private:
    UdpSocket socket_;
    SocketAddress server_;
};

// TCP, or TLS over TCP: RFC 8656 §3.1 frames STUN and ChannelData on the stream (StreamFramer).
template <class Stream>
class StreamLink final : public TurnLink {
  public:
    template <class... Args>
    explicit StreamLink(Args&&... args) : stream_(std::forward<Args>(args)...) {}
    Stream& stream() { return stream_; }
    void start(OnMessage on_message, OnError on_error) override {
        on_message_ = std::move(on_message);
        on_error_ = std::move(on_error);
        read();
    }
    void send(Bytes data) override {
        queue_.push_back(std::move(data));
        if (queue_.size() == 1) write();
    }
    void close() override {
        closed_ = true;
        std::error_code ignored;
        tcp().close(ignored);
    }
    SocketAddress local() const override {
        std::error_code ec;
        const auto ep = const_cast<StreamLink*>(this)->tcp().local_endpoint(ec);
        return ec ? SocketAddress{} : from_endpoint({ep.address(), ep.port()});
    }

  private:
    asio::ip::tcp::socket& tcp() {
        if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>)
            return stream_;
        else
            return stream_.next_layer();
    }
    void read() {
        stream_.async_read_some(asio::buffer(buffer_), [this](std::error_code ec, std::size_t n) {
            if (closed_) return;
            if (ec) {
                on_error_(ec == asio::error::eof ? "the server closed the connection"
                                                 : "reading from the server: " + ec.message());
                return;
            }
            if (!framer_.push(ByteSpan(buffer_.data(), n))) {
                on_error_("the server's stream broke framing: " +
                          std::string(turn::to_string(*framer_.error())));
                return;
            }
            while (auto m = framer_.next())
                on_message_(*m);
            if (framer_.error()) {
                on_error_("the server's stream broke framing: " +
                          std::string(turn::to_string(*framer_.error())));
                return;
            }
            read();
        });
    }
    void write() {
        asio::async_write(stream_, asio::buffer(queue_.front()),
                          [this](std::error_code ec, std::size_t) {
                              if (closed_) return;
                              if (ec) {
                                  on_error_("writing to the server: " + ec.message());
                                  return;
                              }
                              queue_.pop_front();
                              if (!queue_.empty()) write();
                          });
    }

    Stream stream_;
    std::array<std::uint8_t, 16384> buffer_{};
    turn::StreamFramer framer_;
    std::deque<Bytes> queue_;
    OnMessage on_message_;
    OnError on_error_;
    bool closed_ = false;
};

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

}  // namespace

std::unique_ptr<TurnLink> make_udp_link(asio::io_context& io, const SocketAddress& server) {
    return std::make_unique<UdpLink>(io, server);
}

void configure_tls(asio::ssl::context& tls, const std::string& ca_file, bool insecure) {
    if (insecure) {
        tls.set_verify_mode(asio::ssl::verify_none);
        return;
    }
    tls.set_verify_mode(asio::ssl::verify_peer);
    if (!ca_file.empty())
        tls.load_verify_file(ca_file);  // throws std::system_error if unreadable
    else
        tls.set_default_verify_paths();
}

std::unique_ptr<TurnLink> connect_stream(asio::io_context& io, asio::ssl::context& tls,
                                         const StreamTarget& target,
                                         std::function<void(std::string)> on_ready) {
    const auto endpoint =
        asio::ip::tcp::endpoint(to_endpoint(target.server).address(), target.server.port());
    if (!target.tls) {
        auto link = std::make_unique<StreamLink<asio::ip::tcp::socket>>(io);
        link->stream().async_connect(endpoint, [on_ready](std::error_code ec) {
            on_ready(ec ? "cannot connect over TCP: " + ec.message() : std::string());
        });
        return link;
    }
    auto link = std::make_unique<StreamLink<TlsStream>>(io, tls);
    auto& stream = link->stream();
    SSL* ssl = stream.native_handle();
    const auto ip = IpAddress::parse(target.host);
    if (!target.insecure) {
        // RFC 8656 §3.2 (RFC 6125): the certificate must name the host of the URL.
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (ip)
            X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str());
        else
            X509_VERIFY_PARAM_set1_host(param, target.host.c_str(), 0);
    }
    if (!ip) SSL_set_tlsext_host_name(ssl, target.host.c_str());
    // The link owns the stream; its handlers run only while the link lives (close() cancels).
    stream.next_layer().async_connect(endpoint, [&stream, on_ready](std::error_code ec) {
        if (ec) return on_ready("cannot connect over TCP: " + ec.message());
        stream.async_handshake(asio::ssl::stream_base::client, [&stream,
                                                                on_ready](std::error_code ec) {
            if (!ec) return on_ready(std::string());
            const long verify = SSL_get_verify_result(stream.native_handle());
            std::string why = "TLS handshake failed: " + ec.message();
            if (verify != X509_V_OK)
                why += " (certificate: " + std::string(X509_verify_cert_error_string(verify)) + ")";
            on_ready(why);
        });
    });
    return link;
}

}  // namespace floe::rtc
