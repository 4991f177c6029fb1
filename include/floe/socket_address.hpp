// IP addresses and socket addresses (IPv4 and IPv6), as plain values with parse and format.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

struct sockaddr;
struct sockaddr_storage;

namespace floe {

enum class AddressFamily : std::uint8_t { ipv4 = 4, ipv6 = 6 };

class IpAddress {
  public:
    IpAddress() = default;  // 0.0.0.0
    static IpAddress v4(std::array<std::uint8_t, 4> octets);
    static IpAddress v6(std::array<std::uint8_t, 16> octets);
    static IpAddress loopback(AddressFamily family);
    static IpAddress any(AddressFamily family);
    // "192.0.2.1", "2001:db8::1", "[2001:db8::1]", "fe80::1%eth0" (the zone is ignored).
    static std::optional<IpAddress> parse(std::string_view text);

    AddressFamily family() const { return family_; }
    bool is_v4() const { return family_ == AddressFamily::ipv4; }
    bool is_v6() const { return family_ == AddressFamily::ipv6; }
    // 4 bytes for IPv4, 16 for IPv6, network order.
    std::array<std::uint8_t, 16> octets() const { return bytes_; }
    std::size_t size() const { return is_v4() ? 4 : 16; }
    const std::uint8_t* data() const { return bytes_.data(); }

    bool is_loopback() const;
    bool is_unspecified() const;
    bool is_link_local() const;
    bool is_v4_mapped() const;

    std::string to_string() const;

    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

  private:
    AddressFamily family_ = AddressFamily::ipv4;
    std::array<std::uint8_t, 16> bytes_{};
};

class SocketAddress {
  public:
    SocketAddress() = default;
    SocketAddress(IpAddress ip, std::uint16_t port) : ip_(ip), port_(port) {}
    // "192.0.2.1:3478", "[2001:db8::1]:3478".
    static std::optional<SocketAddress> parse(std::string_view text);
    static std::optional<SocketAddress> from_sockaddr(const sockaddr* address);

    const IpAddress& ip() const { return ip_; }
    std::uint16_t port() const { return port_; }
    AddressFamily family() const { return ip_.family(); }
    bool is_v4() const { return ip_.is_v4(); }
    bool is_v6() const { return ip_.is_v6(); }

    // Fills `out`; returns the length to pass to the socket call.
    unsigned to_sockaddr(sockaddr_storage& out) const;
    // "192.0.2.1:3478" or "[2001:db8::1]:3478".
    std::string to_string() const;

    friend auto operator<=>(const SocketAddress&, const SocketAddress&) = default;

  private:
    IpAddress ip_;
    std::uint16_t port_ = 0;
};

}  // namespace floe

template <>
struct std::hash<floe::IpAddress> {
    std::size_t operator()(const floe::IpAddress& ip) const noexcept;
};
template <>
struct std::hash<floe::SocketAddress> {
    std::size_t operator()(const floe::SocketAddress& address) const noexcept;
};

#pragma GCC visibility pop
