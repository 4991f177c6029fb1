#include "rtc/ice_servers.hpp"

#include <floe/error.hpp>

#include "common/log.hpp"
#include "rtc/resolver.hpp"
#include "stun/url.hpp"

namespace floe::rtc {

std::vector<SocketAddress> resolve_ice_servers(const std::vector<std::string>& urls) {
    std::vector<SocketAddress> out;
    for (const auto& text : urls) {
        auto url = stun::parse_url(text);
        if (!url) throw InvalidArgumentError("ICE server '" + text + "': " + url.error());
        if (url->scheme != stun::UrlScheme::stun)
            throw InvalidArgumentError("ICE server '" + text +
                                       "': only stun: servers are supported so far");
        // Blocking lookup, once per PeerConnection; literals resolve without one.
        auto addresses = resolve(url->host, url->port, Families::any);
        if (!addresses) {
            FLOE_LOG(LogLevel::warn, "rtc")
                << "ICE server " << text << ": " << addresses.error().message();
            continue;
        }
        for (const auto& a : *addresses)
            out.push_back(a);
    }
    return out;
}

}  // namespace floe::rtc
