#include "rtc/stun_binding_client.hpp"

#include <floe/stun/builder.hpp>

#include "common/time.hpp"

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

BindingClient::BindingClient(asio::io_context& io, UdpSocket& socket, const SocketAddress& server,
                             stun::RetransmissionConfig config, Random& random,
                             std::string_view software)
    : timer_(io),
      socket_(socket),
      transaction_(make_binding_request(random, software), server, Clock::now(), config) {}

void BindingClient::start(Handler done) {
    done_ = std::move(done);
    socket_.start_receive([this](const SocketAddress& from, ByteSpan data) {
        transaction_.handle_input(Clock::now(), from, data);
        pump();
    });
    pump();
}

void BindingClient::cancel() {
    timer_.cancel();
    done_ = nullptr;
}

// After every input or timer: send what is due, report what happened, re-arm the timer.
void BindingClient::pump() {
    while (auto tx = transaction_.poll_transmit())
        socket_.send_to(tx->data, tx->destination);
    if (auto event = transaction_.poll_event()) {
        timer_.cancel();
        if (auto done = std::move(done_)) done(*event);
        return;
    }
    if (auto at = transaction_.poll_timeout()) {
        timer_.expires_at(*at);
        timer_.async_wait([this](std::error_code ec) {
            if (ec) return;  // cancelled
            transaction_.handle_timeout(Clock::now());
            pump();
        });
    }
}

}  // namespace floe::rtc
