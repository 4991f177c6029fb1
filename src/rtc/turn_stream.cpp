#include "rtc/turn_stream.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <asio.hpp>
#include <asio/ssl.hpp>

#include <array>
#include <deque>
#include <memory>
#include <type_traits>

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
// The stream and its buffers live in a shared State that every pending operation holds: Asio runs
// a cancelled operation's handler later (operation_aborted), and an SSL stream's operations touch
// the stream itself before that, so the State must outlive them, not the link. Once the link is
// closed or gone, handlers return without calling back.
template <class Stream>
class StreamLink final : public TurnLink {
  public:
    struct State {
        template <class... Args>
        explicit State(Args&&... args) : stream(std::forward<Args>(args)...) {}
        asio::ip::tcp::socket& tcp() {
            if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>)
                return stream;
            else
                return stream.next_layer();
        }
        Stream stream;
        std::array<std::uint8_t, 16384> buffer{};
        turn::StreamFramer framer;
        std::deque<Bytes> queue;
        OnMessage on_message;
        OnError on_error;
        bool open = true;
    };

    template <class... Args>
    explicit StreamLink(Args&&... args)
        : state_(std::make_shared<State>(std::forward<Args>(args)...)) {}
    ~StreamLink() override { close(); }
    const std::shared_ptr<State>& state() const { return state_; }
    void start(OnMessage on_message, OnError on_error) override {
        state_->on_message = std::move(on_message);
        state_->on_error = std::move(on_error);
        read(state_);
    }
    void send(Bytes data) override {
        state_->queue.push_back(std::move(data));
        if (state_->queue.size() == 1) write(state_);
    }
    void close() override {
        state_->open = false;
        std::error_code ignored;
        state_->tcp().close(ignored);
    }
    SocketAddress local() const override {
        std::error_code ec;
        const auto ep = state_->tcp().local_endpoint(ec);
        return ec ? SocketAddress{} : from_endpoint({ep.address(), ep.port()});
    }

  private:
    static void read(const std::shared_ptr<State>& s) {
        s->stream.async_read_some(asio::buffer(s->buffer), [s](std::error_code ec, std::size_t n) {
            if (!s->open) return;
            if (ec) {
                s->on_error(ec == asio::error::eof ? "the server closed the connection"
                                                   : "reading from the server: " + ec.message());
                return;
            }
            if (!s->framer.push(ByteSpan(s->buffer.data(), n))) {
                s->on_error("the server's stream broke framing: " +
                            std::string(turn::to_string(*s->framer.error())));
                return;
            }
            while (auto m = s->framer.next()) {
                s->on_message(*m);
                if (!s->open) return;  // the callback closed the link
            }
            if (s->framer.error()) {
                s->on_error("the server's stream broke framing: " +
                            std::string(turn::to_string(*s->framer.error())));
                return;
            }
            read(s);
        });
    }
    static void write(const std::shared_ptr<State>& s) {
        asio::async_write(s->stream, asio::buffer(s->queue.front()),
                          [s](std::error_code ec, std::size_t) {
                              if (!s->open) return;
                              if (ec) {
                                  s->on_error("writing to the server: " + ec.message());
                                  return;
                              }
                              s->queue.pop_front();
                              if (!s->queue.empty()) write(s);
                          });
    }

    std::shared_ptr<State> state_;
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
        link->state()->stream.async_connect(
            endpoint, [on_ready, s = link->state()](std::error_code ec) {
                if (!s->open) return;
                on_ready(ec ? "cannot connect over TCP: " + ec.message() : std::string());
            });
        return link;
    }
    auto link = std::make_unique<StreamLink<TlsStream>>(io, tls);
    const auto state = link->state();
    SSL* ssl = state->stream.native_handle();
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
    // The handlers hold the stream's state; they act only while the link is open.
    state->tcp().async_connect(endpoint, [state, on_ready](std::error_code ec) {
        if (!state->open) return;
        if (ec) return on_ready("cannot connect over TCP: " + ec.message());
        state->stream.async_handshake(asio::ssl::stream_base::client, [state, on_ready](
                                                                          std::error_code ec) {
            if (!state->open) return;
            if (!ec) return on_ready(std::string());
            const long verify = SSL_get_verify_result(state->stream.native_handle());
            std::string why = "TLS handshake failed: " + ec.message();
            if (verify != X509_V_OK)
                why += " (certificate: " + std::string(X509_verify_cert_error_string(verify)) + ")";
            on_ready(why);
        });
    });
    return link;
}

}  // namespace floe::rtc
