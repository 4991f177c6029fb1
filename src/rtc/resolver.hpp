// Host name resolution to SocketAddresses with Asio (getaddrinfo underneath), IPv4 and/or IPv6.
// Literal addresses ("127.0.0.1", "::1", "[::1]") resolve without a lookup, and names under
// "invalid" (RFC 6761 §6.4) fail without one.
//
//   auto addresses = rtc::resolve("stun.example.org", 3478, rtc::Families::any);
//   rtc::Resolver r(io);  r.async_resolve("host", 3478, rtc::Families::ipv6, handler);
#pragma once

// A standard header first: asio/detail/config.hpp decides whether to use std::aligned_alloc by
// looking at libstdc++'s _GLIBCXX_HAVE_ALIGNED_ALLOC. With <asio.hpp> first, this file's users
// would free with ::operator delete what other files allocated with aligned_alloc (an ODR
// violation ASan reports as alloc-dealloc-mismatch).
#include <cstddef>

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <floe/result.hpp>
#include <floe/socket_address.hpp>

namespace floe::rtc {

enum class Families : std::uint8_t { any, ipv4, ipv6 };

using Addresses = std::vector<SocketAddress>;

// Blocking. The addresses in the system's preference order, duplicates removed; an error (host
// not found, no address of the wanted family: asio::error::host_not_found) when there is none.
Result<Addresses, std::error_code> resolve(std::string_view host, std::uint16_t port,
                                           Families families);

// Asynchronous, on an io_context (the handler runs on its thread). Destroying the Resolver
// cancels a lookup in progress (the handler then gets operation_aborted).
class Resolver {
  public:
    using Handler = std::function<void(Result<Addresses, std::error_code>)>;
    explicit Resolver(asio::io_context& io) : resolver_(io) {}
    void async_resolve(std::string_view host, std::uint16_t port, Families families,
                       Handler handler);
    void cancel() { resolver_.cancel(); }

  private:
    asio::ip::udp::resolver resolver_;
};

}  // namespace floe::rtc
