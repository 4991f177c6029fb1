#include "rtc_options.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <floe/error.hpp>

#include <floe/log.hpp>

#include "common/json.hpp"

namespace floe::cli {

Configuration read_rtc_options(Args& args, const std::vector<std::string>& default_servers) {
    Configuration c;
    auto servers = args.values("ice-server");
    if (servers.empty()) servers = default_servers;
    for (auto& s : servers)
        if (s != "none") c.ice_servers.push_back(s);
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
    if (args.flag("trace")) set_log_level(LogLevel::trace);
    if (auto file = args.value("keylog")) c.keylog_file = *file;
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

std::string json_quote(std::string_view text) {
    std::string out;
    json::append_string(out, text);
    return out;
}

}  // namespace floe::cli
