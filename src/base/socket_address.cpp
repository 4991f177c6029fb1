#include <floe/socket_address.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace floe {

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> octets) {
    IpAddress ip;
    ip.family_ = AddressFamily::ipv4;
    std::memcpy(ip.bytes_.data(), octets.data(), 4);
    return ip;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> octets) {
    IpAddress ip;
    ip.family_ = AddressFamily::ipv6;
    ip.bytes_ = octets;
    return ip;
}

IpAddress IpAddress::loopback(AddressFamily family) {
    if (family == AddressFamily::ipv4) return v4({127, 0, 0, 1});
    std::array<std::uint8_t, 16> b{};
    b[15] = 1;
    return v6(b);
}

IpAddress IpAddress::any(AddressFamily family) {
    return family == AddressFamily::ipv4 ? v4({0, 0, 0, 0}) : v6({});
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    if (auto zone = text.find('%'); zone != std::string_view::npos) text = text.substr(0, zone);
    if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN + 1];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    std::array<std::uint8_t, 16> bytes{};
    if (inet_pton(AF_INET, buf, bytes.data()) == 1) return v4({bytes[0], bytes[1], bytes[2], bytes[3]});
    if (inet_pton(AF_INET6, buf, bytes.data()) == 1) return v6(bytes);
    return std::nullopt;
}

bool IpAddress::is_loopback() const {
    if (is_v4()) return bytes_[0] == 127;
    return *this == loopback(AddressFamily::ipv6);
}

bool IpAddress::is_unspecified() const { return *this == any(family_); }

bool IpAddress::is_link_local() const {
    if (is_v4()) return bytes_[0] == 169 && bytes_[1] == 254;
    return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
}

bool IpAddress::is_v4_mapped() const {
    static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return is_v6() && std::memcmp(bytes_.data(), prefix, 12) == 0;
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
    return buf;
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
    std::string_view host, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || port.empty() || value > 65535)
        return std::nullopt;
    auto ip = IpAddress::parse(host);
    if (!ip) return std::nullopt;
    return SocketAddress(*ip, static_cast<std::uint16_t>(value));
}

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* address) {
    if (!address) return std::nullopt;
    if (address->sa_family == AF_INET) {
        sockaddr_in in;
        std::memcpy(&in, address, sizeof in);
        std::array<std::uint8_t, 4> b;
        std::memcpy(b.data(), &in.sin_addr, 4);
        return SocketAddress(IpAddress::v4(b), ntohs(in.sin_port));
    }
    if (address->sa_family == AF_INET6) {
        sockaddr_in6 in6;
        std::memcpy(&in6, address, sizeof in6);
        std::array<std::uint8_t, 16> b;
        std::memcpy(b.data(), &in6.sin6_addr, 16);
        return SocketAddress(IpAddress::v6(b), ntohs(in6.sin6_port));
    }
    return std::nullopt;
}

unsigned SocketAddress::to_sockaddr(sockaddr_storage& out) const {
    std::memset(&out, 0, sizeof out);
    if (is_v4()) {
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_port = htons(port_);
        std::memcpy(&in.sin_addr, ip_.data(), 4);
        std::memcpy(&out, &in, sizeof in);
        return sizeof in;
    }
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port_);
    std::memcpy(&in6.sin6_addr, ip_.data(), 16);
    std::memcpy(&out, &in6, sizeof in6);
    return sizeof in6;
}

std::string SocketAddress::to_string() const {
    std::string out;
    out.reserve(INET6_ADDRSTRLEN + 8);
    if (is_v6()) out += '[';
    out += ip_.to_string();
    if (is_v6()) out += ']';
    out += ':';
    out += std::to_string(port_);
    return out;
}

}  // namespace floe

std::size_t std::hash<floe::IpAddress>::operator()(const floe::IpAddress& ip) const noexcept {
    // FNV-1a over the address bytes.
    std::size_t h = 1469598103934665603ull;
    for (std::size_t i = 0; i < ip.size(); ++i) h = (h ^ ip.data()[i]) * 1099511628211ull;
    return h ^ static_cast<std::size_t>(ip.family());
}

std::size_t std::hash<floe::SocketAddress>::operator()(const floe::SocketAddress& a) const noexcept {
    return std::hash<floe::IpAddress>()(a.ip()) * 31 + a.port();
}
