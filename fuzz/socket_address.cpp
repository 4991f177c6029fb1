// Socket address text: parse, format, parse again; the two values must be equal.
#include <cstdlib>
#include <string_view>

#include <floe/socket_address.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto a = floe::SocketAddress::parse(text)) {
        auto again = floe::SocketAddress::parse(a->to_string());
        if (!again || *again != *a) std::abort();
    }
    if (auto ip = floe::IpAddress::parse(text)) {
        auto again = floe::IpAddress::parse(ip->to_string());
        if (!again || *again != *ip) std::abort();
    }
    return 0;
}
