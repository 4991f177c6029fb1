// floe stun-server --listen ADDR:PORT ...: answers STUN Binding requests until SIGINT/SIGTERM,
// then prints its counters.
#include <csignal>
#include <cstdio>

#include "command.hpp"
#include "rtc/stun_binding_server.hpp"

namespace floe::cli {
namespace {

int run(Args& args) {
    std::vector<SocketAddress> listen;
    for (const auto& text : args.values("listen")) {
        auto address = SocketAddress::parse(text);
        if (!address)
            throw UsageError("--listen takes ADDR:PORT ([::1]:3478 for IPv6), not '" + text + "'");
        listen.push_back(*address);
    }
    stun::BindingServerConfig config;
    // Off unless asked for: every byte of an answer is amplification towards a spoofed source.
    config.software = args.value("software").value_or("");
    args.finish();
    if (listen.empty()) throw UsageError("give at least one --listen ADDR:PORT");

    asio::io_context io;
    rtc::BindingServerRunner server(io, listen, config);
    for (const auto& address : server.local_addresses())
        std::printf("listening on %s\n", address.to_string().c_str());
    std::fflush(stdout);

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int signal) {
        if (ec) return;
        std::printf("stopping on signal %d\n", signal);
        server.close();
        io.stop();
    });
    io.run();
    std::printf("counters: %s\n", to_string(server.counters()).c_str());
    std::fflush(stdout);
    return 0;
}

}  // namespace

FLOE_COMMAND("stun-server", "stun-server --listen ADDR:PORT... [--software TEXT]",
             "serve STUN Binding requests (IPv4/IPv6) until interrupted, then print counters; "
             "answers carry SOFTWARE only with --software",
             &run,
             "  --listen ADDR:PORT      an address to serve on (repeatable; [::1]:3478 for IPv6)\n"
             "  --software TEXT         add a SOFTWARE attribute to every answer\n");

}  // namespace floe::cli
