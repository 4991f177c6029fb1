// floe stun [URL]: asks a STUN server for our mapped address (a Binding request, retransmitted).
#include <cstdio>

#include "command.hpp"
#include "common/random.hpp"
#include "rtc/resolver.hpp"
#include "rtc/stun_binding_client.hpp"
#include "stun/url.hpp"
#include "stun_report.hpp"

namespace floe::cli {
namespace {

constexpr const char* default_url = "stun:stun.l.google.com:19302";

rtc::Families parse_family(const std::optional<std::string>& text) {
    if (!text || *text == "any") return rtc::Families::any;
    if (*text == "4" || *text == "ipv4") return rtc::Families::ipv4;
    if (*text == "6" || *text == "ipv6") return rtc::Families::ipv6;
    throw UsageError("--family takes any, 4 or 6, not '" + *text + "'");
}

stun::RetransmissionConfig parse_retransmission(Args& args) {
    stun::RetransmissionConfig config;
    if (auto ms = args.integer("rto-ms", 1, 60000))
        config.initial_rto = std::chrono::milliseconds(*ms);
    if (auto rc = args.integer("rc", 1, 100)) config.max_transmissions = static_cast<int>(*rc);
    if (auto rm = args.integer("rm", 1, 1000)) config.final_wait_multiplier = static_cast<int>(*rm);
    return config;
}

int run(Args& args) {
    const bool json = args.flag("json");
    const rtc::Families families = parse_family(args.value("family"));
    const auto config = parse_retransmission(args);
    auto positionals = args.positionals();
    args.finish();
    if (positionals.size() > 1) throw UsageError("one URL at most");
    const std::string text = positionals.empty() ? default_url : positionals.front();

    auto url = stun::parse_url(text);
    if (!url) {
        std::fprintf(stderr, "floe stun: bad URL '%s': %s\n", text.c_str(), url.error().c_str());
        return 2;
    }
    if (url->scheme != stun::UrlScheme::stun) {
        std::fprintf(stderr, "floe stun: %.*s: URLs are not supported here (only stun:)\n",
                     static_cast<int>(to_string(url->scheme).size()),
                     to_string(url->scheme).data());
        return 2;
    }
    auto addresses = rtc::resolve(url->host, url->port, families);
    if (!addresses) {
        std::fprintf(stderr, "floe stun: cannot resolve '%s': %s\n", url->host.c_str(),
                     addresses.error().message().c_str());
        return 1;
    }
    const SocketAddress server = addresses->front();

    asio::io_context io;
    rtc::UdpSocket socket(io, SocketAddress(IpAddress::any(server.family()), 0));
    rtc::BindingClient client(io, socket, server, config, crypto_random(), "floe " FLOE_VERSION);
    int status = 1;
    client.start([&](const rtc::BindingClient::Event& event) {
        status = report_binding({text, server, socket.local_address(), json}, event);
        socket.close();
    });
    io.run();
    return status;
}

}  // namespace

FLOE_COMMAND("stun", "stun [URL] [--json] [--family any|4|6] [--rto-ms N] [--rc N] [--rm N]",
             "ask a STUN server for this host's mapped address (default "
             "stun:stun.l.google.com:19302)",
             &run,
             "  URL                     stun:HOST[:PORT] (RFC 7064)\n"
             "  --json                  print the result as JSON\n"
             "  --family any|4|6        which address family of the server to use\n"
             "  --rto-ms N              first retransmission timeout (500)\n"
             "  --rc N                  requests sent at most (7)\n"
             "  --rm N                  the last wait, in RTOs (16)\n");

}  // namespace floe::cli
