// floe stun-server --listen ADDR:PORT ...: answers STUN Binding requests until SIGINT/SIGTERM,
// then prints its counters.
#include <pthread.h>

#include <csignal>
#include <cstdio>

#include <floe/tools/stun.hpp>

#include "command.hpp"

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
    // Off unless asked for: every byte of an answer is amplification towards a spoofed source.
    const std::string software = args.value("software").value_or("");
    args.finish();
    if (listen.empty()) throw UsageError("give at least one --listen ADDR:PORT");

    // SIGINT and SIGTERM are blocked before the server's thread starts (it inherits the mask) and
    // taken below with sigwait: no handler runs anywhere.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    tools::StunServer server(listen, software);
    for (const auto& address : server.local_addresses())
        std::printf("listening on %s\n", address.to_string().c_str());
    std::fflush(stdout);

    int signal = 0;
    sigwait(&stop_signals, &signal);
    std::printf("stopping on signal %d\n", signal);
    server.stop();
    std::printf("counters: %s\n", server.counters().c_str());
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
