// floe turn URL --username U --credential P [--peer ADDR:PORT]: allocates a relay on a TURN
// server, optionally sends datagrams through it to a UDP echo, and deallocates. The TURN
// counterpart of `floe stun`; all the work is the tools API's turn_probe (floe/tools/turn.hpp).
#include <chrono>
#include <cstdio>

#include <floe/json.hpp>
#include <floe/tools/turn.hpp>

#include "command.hpp"

namespace floe::cli {
namespace {

using tools::TurnProbeOptions;
using tools::TurnProbeResult;
using Duration = std::chrono::steady_clock::duration;

std::string ms(Duration d) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", std::chrono::duration<double, std::milli>(d).count());
    return text;
}

void print_json(const std::string& url, const TurnProbeOptions& o, const TurnProbeResult& r) {
    std::string s = "{\"url\":" + json::quote(url) + ",\"server\":\"" + r.server.to_string() +
                    "\",\"transport\":\"" + std::string(to_string(r.transport)) + "\"";
    s += ",\"local\":\"" + r.local.to_string() + "\"";
    s += ",\"allocated\":" + std::string(r.allocated ? "true" : "false");
    if (r.relayed) s += ",\"relayed\":\"" + r.relayed->to_string() + "\"";
    if (r.mapped) s += ",\"mapped\":\"" + r.mapped->to_string() + "\"";
    if (r.allocated) {
        s += ",\"lifetime_s\":" +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(r.lifetime).count());
        s += ",\"allocate_ms\":" + ms(r.allocate_time);
    }
    if (o.peer) {
        s += ",\"peer\":\"" + o.peer->to_string() + "\"";
        s += ",\"permission\":" + std::string(r.permission ? "true" : "false");
        if (r.channel) s += ",\"channel\":" + std::to_string(*r.channel);
        s += ",\"echoes\":[";
        for (std::size_t i = 0; i < r.echoes.size(); ++i) {
            s += i ? "," : "";
            s += "{\"via\":\"" + std::string(r.echoes[i].channel ? "channel" : "indication") +
                 "\",\"rtt_ms\":" + (r.echoes[i].rtt ? ms(*r.echoes[i].rtt) : "null") + "}";
        }
        s += "]";
    }
    s += ",\"refreshes\":" + std::to_string(r.refreshes) +
         ",\"stale_nonces\":" + std::to_string(r.stale_nonces);
    s += ",\"deallocated\":" + std::string(r.deallocated ? "true" : "false");
    if (!r.error.empty())
        s += ",\"code\":" + std::to_string(r.code) + ",\"error\":" + json::quote(r.error);
    std::printf("%s}\n", s.c_str());
}

void print_text(const std::string& url, const TurnProbeOptions& o, const TurnProbeResult& r) {
    std::printf("server       %s (%s over %.*s)\n", url.c_str(), r.server.to_string().c_str(),
                static_cast<int>(to_string(r.transport).size()), to_string(r.transport).data());
    if (r.local.port() != 0) std::printf("local        %s\n", r.local.to_string().c_str());
    if (!r.allocated) return;
    std::printf("relayed      %s\n", r.relayed->to_string().c_str());
    std::printf("mapped       %s\n", r.mapped ? r.mapped->to_string().c_str() : "(none)");
    std::printf("lifetime     %lld s\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::seconds>(r.lifetime).count()));
    std::printf("allocate     %s ms (with the 401 challenge)\n", ms(r.allocate_time).c_str());
    if (o.peer) {
        std::printf("permission   %s %s\n", o.peer->ip().to_string().c_str(),
                    r.permission ? "created" : "not created");
        if (r.channel) std::printf("channel      0x%04X\n", *r.channel);
        for (std::size_t i = 0; i < r.echoes.size(); ++i) {
            const auto& e = r.echoes[i];
            std::printf("echo %zu       via %-10s %s\n", i + 1,
                        e.channel ? "channel" : "indication",
                        e.rtt ? (ms(*e.rtt) + " ms").c_str() : "no echo");
        }
    }
    if (o.hold > Duration::zero())
        std::printf("held         %lld s: %llu refresh(es), %llu stale nonce(s)\n",
                    static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::seconds>(o.hold).count()),
                    static_cast<unsigned long long>(r.refreshes),
                    static_cast<unsigned long long>(r.stale_nonces));
    std::printf("deallocated  %s\n", r.deallocated ? "yes" : "no");
}

int run(Args& args) {
    TurnProbeOptions o;
    const bool json = args.flag("json");
    const bool trace = args.flag("trace");
    auto username = args.value("username");
    auto credential = args.value("credential");
    auto peer = args.value("peer");
    if (auto n = args.integer("count", 0, 100)) o.datagrams = static_cast<int>(*n);
    if (auto ms = args.integer("rto-ms", 1, 60000)) o.initial_rto = std::chrono::milliseconds(*ms);
    if (auto rc = args.integer("rc", 1, 100)) o.max_transmissions = static_cast<int>(*rc);
    if (auto hold = args.integer("hold", 0, 3600)) o.hold = std::chrono::seconds(*hold);
    if (auto ca = args.value("tls-ca")) o.tls_ca_file = *ca;
    o.tls_insecure = args.flag("tls-insecure");
    auto positionals = args.positionals();
    args.finish();
    if (positionals.size() != 1) throw UsageError("one turn: or turns: URL");
    if (!username || !credential) throw UsageError("--username and --credential are required");
    const std::string& text = positionals.front();
    if (peer) {
        o.peer = SocketAddress::parse(*peer);
        if (!o.peer) throw UsageError("--peer takes ADDRESS:PORT, not '" + *peer + "'");
    }
    o.username = *username;
    o.password = *credential;
    o.software = "floe " FLOE_VERSION;
    if (trace)
        o.trace = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };

    const auto probed = tools::turn_probe(text, o);
    if (!probed) {
        std::fprintf(stderr, "floe turn: %s: %s\n", text.c_str(), probed.error().message.c_str());
        return probed.error().kind == tools::TurnProbeError::Kind::unresolved ? 1 : 2;
    }
    const TurnProbeResult& result = *probed;
    if (json)
        print_json(text, o, result);
    else
        print_text(text, o, result);
    std::fflush(stdout);
    bool echoed = true;
    for (const auto& e : result.echoes)
        echoed = echoed && e.rtt.has_value();
    if (!result.error.empty()) {
        std::fprintf(stderr, "floe turn: %s\n", result.error.c_str());
        return 1;
    }
    if (o.peer && (!echoed || static_cast<int>(result.echoes.size()) < o.datagrams)) {
        std::fprintf(stderr, "floe turn: the echo at %s did not answer every datagram\n",
                     o.peer->to_string().c_str());
        return 1;
    }
    return 0;
}

}  // namespace

FLOE_COMMAND(
    "turn",
    "turn URL --username U --credential P [--peer ADDR:PORT] [--count N] [--hold S] "
    "[--trace] [--tls-ca FILE] [--tls-insecure] [--rto-ms N] [--rc N]",
    "allocate a relay on a TURN server, send datagrams through it to a UDP echo, and "
    "deallocate",
    &run,
    "  URL                     turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT]\n"
    "                          (RFC 7065; turns: is TLS over TCP, default port 5349)\n"
    "  --username U            the TURN user (long-term credential)\n"
    "  --credential P          its password\n"
    "  --peer ADDR:PORT        a UDP echo server to reach through the relay: a permission\n"
    "                          for it, one datagram as a Send indication, the rest as\n"
    "                          ChannelData on a bound channel; each round trip printed\n"
    "  --count N               datagrams to the peer (3)\n"
    "  --hold S                keep the allocation S seconds first, refreshing it (0)\n"
    "  --json                  print the result as JSON\n"
    "  --trace                 print every message to and from the server on stderr\n"
    "  --tls-ca FILE           turns: trust this PEM file (e.g. a self-signed server\n"
    "                          certificate) instead of the system's trust store\n"
    "  --tls-insecure          turns: do not check the server's certificate (testing)\n"
    "  --rto-ms N              UDP: first retransmission timeout (500)\n"
    "  --rc N                  UDP: requests sent at most (7)\n");

}  // namespace floe::cli
