#include "rtc_options.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <floe/error.hpp>

#include <floe/json.hpp>
#include <floe/log.hpp>

namespace floe::cli {

namespace {

// "turn:" or "turns:", in any case (URI schemes are case-insensitive, RFC 3986 §3.1).
bool is_turn_url(std::string_view url) {
    if (url.size() < 5) return false;
    std::string scheme(url.substr(0, 4));
    for (char& ch : scheme)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return scheme == "turn" && (url[4] == ':' || url[4] == 's' || url[4] == 'S');
}

}  // namespace

Configuration read_rtc_options(Args& args, const std::vector<std::string>& default_servers) {
    Configuration c;
    // --ice-username / --ice-credential apply to the turn(s): URLs given before them that have
    // none yet, so "--ice-server turn:a --ice-username u --ice-credential p --ice-server turn:b
    // --ice-username v ..." reads as written. A TURN URL still without one afterwards takes the
    // last given: the interop driver contract's "for every turn: URL", whatever the order.
    bool any_server = false;
    std::string last[2];  // username, credential
    auto field = [](IceServer& server, int which) -> std::string& {
        return which == 0 ? server.username : server.credential;
    };
    for (auto& [name, value] :
         args.ordered_values({"ice-server", "ice-username", "ice-credential"})) {
        if (name == "ice-server") {
            any_server = true;
            if (value != "none") c.ice_servers.emplace_back(std::move(value));
            continue;
        }
        const int which = name == "ice-username" ? 0 : 1;
        for (auto& server : c.ice_servers)
            if (is_turn_url(server.urls.front()) && field(server, which).empty())
                field(server, which) = value;
        last[which] = value;
    }
    bool any_turn = false;
    for (auto& server : c.ice_servers) {
        if (!is_turn_url(server.urls.front())) continue;
        any_turn = true;
        for (int which = 0; which < 2; ++which)
            if (field(server, which).empty()) field(server, which) = last[which];
    }
    if (!any_turn && (!last[0].empty() || !last[1].empty()))
        throw UsageError(
            "--ice-username/--ice-credential are for turn: or turns: servers, and "
            "no --ice-server names one");
    if (!any_server)
        for (const auto& s : default_servers)
            c.ice_servers.emplace_back(s);
    if (args.flag("relay-only")) c.ice_transport_policy = IceTransportPolicy::relay;
    if (auto file = args.value("tls-ca")) c.turn_tls_ca_file = *file;
    c.ice_lite = args.flag("ice-lite");
    c.interfaces = args.values("interface");
    // Both mean "only loopback": what a user trying two peers on one machine expects.
    const bool loopback = args.flag("loopback");
    c.loopback_only = args.flag("loopback-only") || loopback;
    c.enable_ipv6 = !args.flag("no-ipv6");
    if (auto range = args.value("port-range")) {
        const auto dash = range->find('-');
        unsigned low = 0, high = 0;
        const char* end = range->data() + range->size();
        if (dash == std::string::npos ||
            std::from_chars(range->data(), range->data() + dash, low).ec != std::errc{} ||
            std::from_chars(range->data() + dash + 1, end, high).ec != std::errc{} || low == 0 ||
            high < low || high > 65535)
            throw UsageError("--port-range wants LOW-HIGH, e.g. 50000-50100");
        c.port_range_begin = static_cast<std::uint16_t>(low);
        c.port_range_end = static_cast<std::uint16_t>(high);
    }
    if (auto size = args.integer("max-message-size", 1, 1 << 30))
        c.max_message_size = static_cast<std::size_t>(*size);
    if (auto ms = args.integer("close-linger", 0, 600000))
        c.close_linger = std::chrono::milliseconds(*ms);
    if (args.flag("trace")) set_log_level(LogLevel::trace);
    if (auto file = args.value("keylog")) c.keylog_file = *file;
    if (auto file = args.value("pcap")) c.pcap_file = *file;
    if (auto file = args.value("certificate")) c.certificates = {load_or_create_certificate(*file)};
    return c;
}

Certificate load_or_create_certificate(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
        std::ostringstream text;
        text << in.rdbuf();
        try {
            return Certificate::from_pem(text.str());
        } catch (const InvalidArgumentError& e) {
            throw InvalidArgumentError(path + ": " + e.what());
        }
    }
    if (errno != ENOENT)
        throw Error("cannot read the certificate " + path + ": " + std::strerror(errno));
    const Certificate made = Certificate::generate(std::chrono::hours(24 * 365));
    const std::string pem = made.to_pem();
    // O_EXCL: never overwrite a file that appeared meanwhile (another run making the same one).
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw Error("cannot create the certificate " + path + ": " + std::strerror(errno));
    const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
    const bool closed = ::close(fd) == 0;
    if (!written || !closed)
        throw Error("cannot write the certificate " + path + ": " + std::strerror(errno));
    return made;
}

}  // namespace floe::cli
