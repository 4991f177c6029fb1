#include "rtc/resolver.hpp"

#include <algorithm>

#include "common/text.hpp"
#include "rtc/udp_socket.hpp"

namespace floe::rtc {

namespace {

std::string strip_brackets(std::string_view host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    return std::string(host);
}

asio::ip::udp::resolver::protocol_type protocol(Families families) {
    return families == Families::ipv6 ? asio::ip::udp::v6() : asio::ip::udp::v4();
}

Result<Addresses, std::error_code> collect(const asio::ip::udp::resolver::results_type& results,
                                           Families families) {
    Addresses out;
    for (const auto& entry : results) {
        const SocketAddress a = from_endpoint(entry.endpoint());
        if ((families == Families::ipv4 && !a.is_v4()) ||
            (families == Families::ipv6 && !a.is_v6()))
            continue;
        if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    if (out.empty()) return fail(std::error_code(asio::error::host_not_found));
    return out;
}

// RFC 6761 §6.4: "invalid" and the names below it never exist; resolvers answer that at once
// rather than asking a DNS server. (glibc asks; so this does, and no query leaves the host.)
bool special_invalid(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    constexpr std::string_view tld = "invalid";
    if (name.size() < tld.size()) return false;
    const std::string_view tail = name.substr(name.size() - tld.size());
    return text::iequals(tail, tld) &&
           (name.size() == tld.size() || name[name.size() - tld.size() - 1] == '.');
}

}  // namespace

Result<Addresses, std::error_code> resolve(std::string_view host, std::uint16_t port,
                                           Families families) {
    asio::io_context io;
    asio::ip::udp::resolver resolver(io);
    std::error_code ec;
    const std::string name = strip_brackets(host);
    if (special_invalid(name)) return fail(std::error_code(asio::error::host_not_found));
    const std::string service = std::to_string(port);
    auto results =
        families == Families::any
            ? resolver.resolve(name, service, asio::ip::udp::resolver::numeric_service, ec)
            : resolver.resolve(protocol(families), name, service,
                               asio::ip::udp::resolver::numeric_service, ec);
    if (ec) return fail(ec);
    return collect(results, families);
}

void Resolver::async_resolve(std::string_view host, std::uint16_t port, Families families,
                             Handler handler) {
    auto done = [families, handler = std::move(handler)](
                    std::error_code ec, asio::ip::udp::resolver::results_type results) {
        if (ec)
            handler(fail(ec));
        else
            handler(collect(results, families));
    };
    const std::string name = strip_brackets(host);
    if (special_invalid(name)) {
        // Answered on the io_context like a lookup, never from inside this call.
        asio::post(resolver_.get_executor(),
                   [done = std::move(done)]() mutable { done(asio::error::host_not_found, {}); });
        return;
    }
    const std::string service = std::to_string(port);
    if (families == Families::any)
        resolver_.async_resolve(name, service, asio::ip::udp::resolver::numeric_service,
                                std::move(done));
    else
        resolver_.async_resolve(protocol(families), name, service,
                                asio::ip::udp::resolver::numeric_service, std::move(done));
}

}  // namespace floe::rtc
