#include "rtc_options.hpp"

#include <charconv>

#include <floe/json.hpp>
#include <floe/log.hpp>

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
    return c;
}

}  // namespace floe::cli
