// floe demo: for now, a STUN round trip inside one process: a Binding server on 127.0.0.1
// (ephemeral port) and the `floe stun` client asking it, printing each step. It stays on loopback.
// The data-channel demo will replace this file.
#include <cstdio>

#include "command.hpp"
#include "common/random.hpp"
#include "rtc/stun_binding_client.hpp"
#include "rtc/stun_binding_server.hpp"
#include "stun_report.hpp"

namespace floe::cli {
namespace {

int run(Args& args) {
    args.finish();
    asio::io_context io;
    const SocketAddress loopback(IpAddress::loopback(AddressFamily::ipv4), 0);

    std::printf("1. starting a STUN Binding server on 127.0.0.1 (ephemeral port)\n");
    rtc::BindingServerRunner server(io, {loopback}, {.software = "floe-demo-server"});
    const SocketAddress address = server.local_addresses().front();
    std::printf("   listening on %s\n", address.to_string().c_str());

    rtc::UdpSocket socket(io, loopback);
    std::printf("2. client socket bound to %s; sending a Binding request\n",
                socket.local_address().to_string().c_str());
    std::fflush(stdout);
    rtc::BindingClient client(io, socket, address, {}, crypto_random(), "floe-demo-client");
    int status = 1;
    client.start([&](const rtc::BindingClient::Event& event) {
        std::printf("3. response received:\n");
        status = report_binding(
            {"stun:" + address.to_string(), address, socket.local_address(), false}, event);
        socket.close();
        server.close();
    });
    io.run();
    std::printf("4. server counters: %s\n", to_string(server.counters()).c_str());
    std::printf(status == 0
                    ? "demo: ok (the mapped address is the client socket: no NAT on loopback)\n"
                    : "demo: FAILED\n");
    return status;
}

}  // namespace

FLOE_COMMAND("demo", "demo", "run a STUN server and client on loopback in one process", &run);

}  // namespace floe::cli
