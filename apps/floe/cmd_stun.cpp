// floe stun [URL]: asks a STUN server for our mapped address (a Binding request, retransmitted),
// saying on stderr while it waits, and ending at once when the server's port is closed (ICMP).
#include <chrono>
#include <cstdio>

#include <floe/tools/stun.hpp>

#include "command.hpp"
#include "stun_report.hpp"

namespace floe::cli {
namespace {

constexpr const char* default_url = "stun:stun.l.google.com:19302";

tools::AddressFamilies parse_family(const std::optional<std::string>& text) {
    if (!text || *text == "any") return tools::AddressFamilies::any;
    if (*text == "4" || *text == "ipv4") return tools::AddressFamilies::ipv4;
    if (*text == "6" || *text == "ipv6") return tools::AddressFamilies::ipv6;
    throw UsageError("--family takes any, 4 or 6, not '" + *text + "'");
}

int run(Args& args) {
    const bool json = args.flag("json");
    tools::StunBindingOptions options;
    options.families = parse_family(args.value("family"));
    if (auto ms = args.integer("rto-ms", 1, 60000))
        options.initial_rto = std::chrono::milliseconds(*ms);
    if (auto rc = args.integer("rc", 1, 100)) options.max_transmissions = static_cast<int>(*rc);
    if (auto rm = args.integer("rm", 1, 1000))
        options.final_wait_multiplier = static_cast<int>(*rm);
    options.software = "floe " FLOE_VERSION;
    // What it is doing while the user waits, on stderr (stdout keeps the result alone).
    options.progress = [](const std::string& line) {
        std::fprintf(stderr, "floe stun: %s\n", line.c_str());
    };
    if (args.flag("trace"))
        options.trace = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    if (auto pcap = args.value("pcap")) options.pcap_file = *pcap;
    auto positionals = args.positionals();
    args.finish();
    if (positionals.size() > 1) throw UsageError("one URL at most");
    const std::string text = positionals.empty() ? default_url : positionals.front();

    auto result = tools::stun_binding(text, options);
    if (!result) {
        using Kind = tools::StunBindingError::Kind;
        const std::string& why = result.error().message;
        switch (result.error().kind) {
            case Kind::bad_url:
                std::fprintf(stderr, "floe stun: bad URL '%s': %s\n", text.c_str(), why.c_str());
                return 2;
            case Kind::unsupported_scheme:
                std::fprintf(stderr, "floe stun: %s (only stun:)\n", why.c_str());
                return 2;
            case Kind::unresolved:
            case Kind::socket:
                break;
        }
        std::fprintf(stderr, "floe stun: %s\n", why.c_str());
        return 1;
    }
    return report_binding(text, *result, json);
}

}  // namespace

FLOE_COMMAND("stun",
             "stun [URL] [--json] [--family any|4|6] [--rto-ms N] [--rc N] [--rm N] [--trace] "
             "[--pcap FILE]",
             "ask a STUN server for this host's mapped address (default "
             "stun:stun.l.google.com:19302)",
             &run,
             "  URL                     stun:HOST[:PORT] (RFC 7064)\n"
             "  --json                  print the result as JSON\n"
             "  --family any|4|6        which address family of the server to use\n"
             "  --rto-ms N              first retransmission timeout (500)\n"
             "  --rc N                  requests sent at most (7)\n"
             "  --rm N                  the last wait, in RTOs (16)\n"
             "  --trace                 print each datagram out and in, decoded, on stderr\n"
             "  --pcap FILE             write the datagrams to FILE (pcapng, docs/capture.md)\n");

}  // namespace floe::cli
