#include "stun/url.hpp"

#include <cctype>
#include <charconv>

#include <floe/socket_address.hpp>

namespace floe::stun {

std::string_view to_string(UrlScheme scheme) {
    switch (scheme) {
        case UrlScheme::stun:
            return "stun";
        case UrlScheme::stuns:
            return "stuns";
        case UrlScheme::turn:
            return "turn";
        case UrlScheme::turns:
            return "turns";
    }
    return "?";
}

std::uint16_t default_port(UrlScheme scheme) {
    return scheme == UrlScheme::stuns || scheme == UrlScheme::turns ? 5349 : 3478;
}

std::string Url::to_string() const {
    // Appending (not operator+) also keeps GCC 12's -Wrestrict false positive away at -O3.
    std::string out(stun::to_string(scheme));
    out += ':';
    if (host_is_ipv6_literal()) {
        out += '[';
        out += host;
        out += ']';
    } else {
        out += host;
    }
    out += ':';
    out += std::to_string(port);
    if (transport) out += *transport == UrlTransport::udp ? "?transport=udp" : "?transport=tcp";
    return out;
}

namespace {

// Error text by appending (operator+ chains trip GCC 12's -Wrestrict false positive at -O3).
std::string concat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts)
        out += p;
    return out;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// RFC 3986 reg-name: unreserved / pct-encoded / sub-delims. Hosts are names or IPv4 here, so we
// accept the unreserved characters and refuse the rest (a '%' or '!' in a STUN host is a typo).
bool valid_reg_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    for (char c : host)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' &&
            c != '~')
            return false;
    return true;
}

}  // namespace

Result<Url, std::string> parse_url(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return fail("no scheme (expected 'stun:host[:port]')");
    const std::string scheme = lower(text.substr(0, colon));
    Url url;
    if (scheme == "stun")
        url.scheme = UrlScheme::stun;
    else if (scheme == "stuns")
        url.scheme = UrlScheme::stuns;
    else if (scheme == "turn")
        url.scheme = UrlScheme::turn;
    else if (scheme == "turns")
        url.scheme = UrlScheme::turns;
    else
        return fail(concat({"unknown scheme '", text.substr(0, colon), "'"}));
    url.port = default_port(url.scheme);
    std::string_view rest = text.substr(colon + 1);
    if (rest.substr(0, 2) == "//") return fail("a STUN/TURN URI has no '//' (RFC 7064)");

    // The mistake browsers' configurations invite: "turn:user:pass@host". RFC 7064/7065 URIs
    // have no userinfo; the credentials are RTCIceServer's username and credential. Said plainly
    // here, or the colon in "user:pass" reads as a port and the error talks about IPv6.
    if (rest.find('@') != std::string_view::npos)
        return fail(
            "no user name or password in the URL: credentials go in username/credential, not the "
            "URL (RFC 7065)");

    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
        if (url.scheme == UrlScheme::stun || url.scheme == UrlScheme::stuns)
            return fail("a stun: URI takes no query");
    }

    std::string_view host, port;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return fail("unterminated '[' in the host");
        host = rest.substr(1, close - 1);
        auto ip = IpAddress::parse(host);
        if (!ip || !ip->is_v6()) return fail(concat({"'", host, "' is not an IPv6 address"}));
        std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail("unexpected text after ']'");
            port = after.substr(1);
            if (port.empty()) return fail("empty port");
        }
    } else {
        const auto c = rest.find(':');
        host = rest.substr(0, c);
        if (c != std::string_view::npos) {
            port = rest.substr(c + 1);
            if (port.empty()) return fail("empty port");
            if (port.find(':') != std::string_view::npos)
                return fail("an IPv6 host must be in brackets");
        }
        if (!valid_reg_name(host)) return fail(concat({"bad host '", host, "'"}));
    }
    url.host = std::string(host);
    if (!port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
            return fail(concat({"bad port '", port, "'"}));
        url.port = static_cast<std::uint16_t>(value);
    }
    if (!query.empty()) {
        const std::string q = lower(query);
        if (q == "transport=udp")
            url.transport = UrlTransport::udp;
        else if (q == "transport=tcp")
            url.transport = UrlTransport::tcp;
        else
            return fail(concat({"unknown query '", query, "' (expected transport=udp|tcp)"}));
        // RFC 7065 §3: turns: is TURN over TLS, which runs on TCP (DTLS, RFC 7350, is not
        // one of the URI forms WebRTC configurations use).
        if (url.scheme == UrlScheme::turns && url.transport == UrlTransport::udp)
            return fail("turns: runs over TLS, so its transport can only be tcp");
    }
    return url;
}

}  // namespace floe::stun
