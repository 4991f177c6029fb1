// Arbitrary datagrams fed to a DTLS transport before, during and after a real handshake.
// Input: one mode byte, then datagrams, each as a 2-byte big-endian length and its bytes.
//   mode % 4 == 0: datagrams arrive before start() (kept), then a handshake runs;
//             == 1: datagrams reach the server between the real flights of a handshake;
//             == 2: datagrams reach both sides after the handshake, then data is sent;
//             == 3: a lone server receives them (the fast path for ClientHello parsing).
// Between datagrams the virtual clock advances, so retransmission timers fire too.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/certificate.hpp>

#include "common/byte_reader.hpp"
#include "common/log.hpp"
#include "dtls/transport.hpp"

using namespace floe;
using namespace floe::dtls;

namespace {

const Certificate& client_cert() {
    static const Certificate c = Certificate::generate();
    return c;
}
const Certificate& server_cert() {
    static const Certificate c = Certificate::generate();
    return c;
}

void drain(Transport& from, Transport* to, Instant now) {
    while (auto d = from.poll_transmit()) {
        if (d->size() > 1200) std::abort();  // the MTU holds whatever happened
        if (to) to->handle_input(now, *d);
    }
    while (auto e = from.poll_event()) {
        if (from.state() != State::connected && std::holds_alternative<event::DataReceived>(*e) &&
            from.state() != State::closed && from.state() != State::failed)
            std::abort();  // data only ever arrives once the handshake has been verified
    }
}

void pump(Transport& a, Transport& b, Instant now, int rounds = 20) {
    for (int i = 0; i < rounds; ++i) {
        drain(a, &b, now);
        drain(b, &a, now);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    set_log_level(LogLevel::off);
    ByteReader reader(ByteSpan(data, size));
    const auto mode = reader.u8();
    if (!mode) return 0;
    std::vector<ByteSpan> datagrams;
    while (auto length = reader.u16()) {
        auto bytes = reader.bytes(std::min<std::size_t>(*length, reader.remaining()));
        if (!bytes) break;
        datagrams.push_back(*bytes);
        if (datagrams.size() >= 64) break;
    }

    Instant now = Instant{} + std::chrono::hours(1);
    Transport client(client_cert());
    Transport server(server_cert());
    auto feed_all = [&](Transport& t) {
        for (ByteSpan d : datagrams) {
            t.handle_input(now, d);
            now += 100ms;
            t.handle_timeout(now);
        }
    };

    switch (*mode % 4) {
        case 0:
            feed_all(server);
            server.start(now, Role::server, client_cert().fingerprint());
            client.start(now, Role::client, server_cert().fingerprint());
            pump(client, server, now);
            break;
        case 1:
            server.start(now, Role::server, client_cert().fingerprint());
            client.start(now, Role::client, server_cert().fingerprint());
            drain(client, &server, now);  // ClientHello
            feed_all(server);
            pump(client, server, now);
            break;
        case 2: {
            server.start(now, Role::server, client_cert().fingerprint());
            client.start(now, Role::client, server_cert().fingerprint());
            pump(client, server, now);
            if (client.state() != State::connected || server.state() != State::connected)
                std::abort();
            feed_all(server);
            feed_all(client);
            const std::uint8_t hello[] = {'h', 'i'};
            const bool sent = client.send(hello);
            pump(client, server, now);
            if (sent && server.state() == State::connected && server.stats().records_received == 0)
                std::abort();  // injected input must not stop real data
            break;
        }
        default:
            server.start(now, Role::server, client_cert().fingerprint());
            feed_all(server);
            drain(server, nullptr, now);
            break;
    }
    drain(client, nullptr, now);
    drain(server, nullptr, now);
    return 0;
}
