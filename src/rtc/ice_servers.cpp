#include "rtc/ice_servers.hpp"

#include <floe/error.hpp>

#include "common/log.hpp"
#include "rtc/resolver.hpp"

namespace floe::rtc {

namespace {

// "ICE server 2 (turn:x.org)": the entry by its place in the list (from 1) and the URL.
std::string entry_name(std::size_t index, std::string_view url) {
    std::string out = "ICE server " + std::to_string(index + 1);
    if (!url.empty()) {
        out += " (";
        out += url;
        out += ')';
    }
    return out;
}

}  // namespace

IceServers resolve_ice_servers(const std::vector<IceServer>& servers) {
    IceServers out;
    std::vector<stun::Url> stun_urls;
    for (std::size_t i = 0; i < servers.size(); ++i) {
        const IceServer& server = servers[i];
        if (server.urls.empty()) throw InvalidArgumentError(entry_name(i, {}) + ": no URL");
        for (const auto& text : server.urls) {
            auto url = stun::parse_url(text);
            if (!url) throw InvalidArgumentError(entry_name(i, text) + ": " + url.error());
            switch (url->scheme) {
                case stun::UrlScheme::stun:
                    stun_urls.push_back(*url);
                    break;
                case stun::UrlScheme::stuns:
                    throw InvalidArgumentError(entry_name(i, text) +
                                               ": stuns: (STUN over TLS) is not supported; "
                                               "use stun:");
                case stun::UrlScheme::turn:
                case stun::UrlScheme::turns:
                    // RFC 8656 §9.2: a TURN server authenticates every allocation with the
                    // long-term credential mechanism; without them it cannot be used at all.
                    if (server.username.empty() || server.credential.empty())
                        throw InvalidArgumentError(
                            entry_name(i, text) + ": a TURN server needs a username and a " +
                            "credential (" + (server.username.empty() ? "username" : "credential") +
                            " is empty)");
                    out.turn.push_back({*url, text, server.username, server.credential});
                    break;
            }
        }
    }
    for (const auto& url : stun_urls) {
        // Blocking lookup, once per PeerConnection; literals resolve without one.
        auto addresses = resolve(url.host, url.port, Families::any);
        if (!addresses) {
            // (Warned about by the session when it reports the candidate error.)
            FLOE_LOG(LogLevel::debug, "rtc")
                << "ICE server " << url.to_string() << ": " << addresses.error().message();
            out.unresolved.push_back({url.to_string(), "cannot resolve " + url.host + ": " +
                                                           addresses.error().message()});
            continue;
        }
        for (const auto& a : *addresses) {
            out.stun.push_back(a);
            out.stun_urls.push_back(url.to_string());
        }
    }
    return out;
}

}  // namespace floe::rtc
