#include "rtc/udp_socket.hpp"

#include "common/log.hpp"

namespace floe::rtc {

asio::ip::udp::endpoint to_endpoint(const SocketAddress& address) {
    const auto octets = address.ip().octets();
    if (address.is_v4()) {
        asio::ip::address_v4::bytes_type b{octets[0], octets[1], octets[2], octets[3]};
        return {asio::ip::address_v4(b), address.port()};
    }
    asio::ip::address_v6::bytes_type b;
    std::copy(octets.begin(), octets.end(), b.begin());
    return {asio::ip::address_v6(b), address.port()};
}

SocketAddress from_endpoint(const asio::ip::udp::endpoint& endpoint) {
    const auto ip = endpoint.address();
    if (ip.is_v4()) return {IpAddress::v4(ip.to_v4().to_bytes()), endpoint.port()};
    return {IpAddress::v6(ip.to_v6().to_bytes()), endpoint.port()};
}

UdpSocket::UdpSocket(asio::io_context& io, const SocketAddress& local) : socket_(io) {
    const auto endpoint = to_endpoint(local);
    socket_.open(endpoint.protocol());
    if (local.is_v6()) socket_.set_option(asio::ip::v6_only(true));
    socket_.bind(endpoint);
    local_ = from_endpoint(socket_.local_endpoint());
}

UdpSocket::~UdpSocket() {
    close();
}

void UdpSocket::start_receive(ReceiveHandler on_datagram, ErrorHandler on_error) {
    on_datagram_ = std::move(on_datagram);
    on_error_ = std::move(on_error);
    receive_next();
}

void UdpSocket::receive_next() {
    socket_.async_receive_from(
        asio::buffer(buffer_), sender_, [this](std::error_code ec, std::size_t size) {
            if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
            if (ec) {
                // ICMP errors surface on Linux as ECONNREFUSED on the next receive; they do not
                // end a UDP socket's life.
                if (ec == asio::error::connection_refused) {
                    receive_next();
                    return;
                }
                FLOE_LOG(LogLevel::warn, "rtc")
                    << "udp receive on " << local_.to_string() << " failed: " << ec.message();
                close();
                if (on_error_) on_error_(ec);
                return;
            }
            if (on_datagram_) on_datagram_(from_endpoint(sender_), ByteSpan(buffer_.data(), size));
            if (socket_.is_open()) receive_next();
        });
}

std::error_code UdpSocket::send_to(ByteSpan data, const SocketAddress& to) {
    std::error_code ec;
    socket_.send_to(asio::buffer(data.data(), data.size()), to_endpoint(to), 0, ec);
    if (ec) {
        FLOE_LOG(LogLevel::debug, "rtc")
            << "udp send to " << to.to_string() << " failed: " << ec.message();
    }
    return ec;
}

void UdpSocket::close() {
    std::error_code ignored;
    if (socket_.is_open()) socket_.close(ignored);
}

}  // namespace floe::rtc
