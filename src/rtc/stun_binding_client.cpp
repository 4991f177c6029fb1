#include "rtc/stun_binding_client.hpp"

#include <floe/stun/builder.hpp>

#include "rtc/udp_socket.hpp"

namespace floe::rtc {

Bytes make_binding_request(Random& random, std::string_view software) {
    stun::TransactionId id;
    random.fill(id);
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::binding, stun::MessageClass::request}, id);
    if (!software.empty()) b.add_software(software);
    b.add_fingerprint();
    return out;
}

namespace {

asio::ip::udp::socket connected_socket(asio::io_context& io, const SocketAddress& server) {
    asio::ip::udp::socket socket(io, server.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4());
    socket.connect(to_endpoint(server));  // throws std::system_error
    return socket;
}

}  // namespace

BindingClient::BindingClient(asio::io_context& io, const SocketAddress& server,
                             stun::RetransmissionConfig config, Random& random,
                             std::string_view software, Hooks hooks)
    : socket_(connected_socket(io, server)),
      timer_(io),
      server_(server),
      local_(from_endpoint(socket_.local_endpoint())),
      transaction_(make_binding_request(random, software), server, Clock::now(), config),
      hooks_(std::move(hooks)) {}

void BindingClient::start(Handler done) {
    done_ = std::move(done);
    receive();
    pump();
}

void BindingClient::cancel() {
    timer_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    done_ = nullptr;
}

void BindingClient::receive() {
    socket_.async_receive(asio::buffer(buffer_), [this](std::error_code ec, std::size_t size) {
        if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
        if (ec) {
            // ECONNREFUSED: the server's host answered our request with an ICMP port
            // unreachable (RFC 1122 §4.1.3.3 passes it to the application). Retransmitting to a
            // closed port is pointless: the transaction ends now, saying why.
            finish({std::nullopt, ec});
            return;
        }
        const ByteSpan data(buffer_.data(), size);
        if (hooks_.datagram) hooks_.datagram(capture::Direction::inbound, local_, server_, data);
        transaction_.handle_input(Clock::now(), server_, data);
        pump();
        if (socket_.is_open()) receive();
    });
}

void BindingClient::finish(const Outcome& outcome) {
    timer_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    if (auto done = std::move(done_)) done(outcome);
}

// After every input or timer: send what is due, report what happened, re-arm the timer.
void BindingClient::pump() {
    bool sent = false;
    while (auto tx = transaction_.poll_transmit()) {
        std::error_code ec;
        socket_.send(asio::buffer(tx->data.data(), tx->data.size()), 0, ec);
        // A refusal already queued on the socket may show here rather than on receive.
        if (ec == asio::error::connection_refused) {
            finish({std::nullopt, ec});
            return;
        }
        if (hooks_.datagram)
            hooks_.datagram(capture::Direction::outbound, local_, server_, tx->data);
        ++sent_;
        sent = true;
    }
    if (auto event = transaction_.poll_event()) {
        finish({*event, {}});
        return;
    }
    const auto at = transaction_.poll_timeout();
    if (sent && sent_ > 1 && hooks_.retransmitted && at)
        hooks_.retransmitted(sent_, *at - Clock::now());
    if (at) {
        timer_.expires_at(*at);
        timer_.async_wait([this](std::error_code ec) {
            if (ec) return;  // cancelled
            transaction_.handle_timeout(Clock::now());
            pump();
        });
    }
}

}  // namespace floe::rtc
