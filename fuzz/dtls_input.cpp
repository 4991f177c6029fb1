// Arbitrary datagrams fed to a DTLS transport before, during and after a real handshake.
// Input: one mode byte, then datagrams, each as a 2-byte big-endian length and its bytes.
//   mode % 4 == 0: datagrams arrive before start() (kept), then a handshake runs;
//             == 1: datagrams reach the server between the real flights of a handshake;
//             == 2: datagrams reach both sides after the handshake, then data is sent;
//             == 3: a lone server receives them (the fast path for ClientHello parsing);
//             == 4: each datagram is an operation on genuine records after a handshake: the
//                   client seals a numbered record, or one of those is delivered again, out of
//                   order, altered or cut short. No number may be delivered twice, and nothing
//                   the client did not send may be delivered (floe's replay window and AEAD).
// Between datagrams the virtual clock advances, so retransmission timers fire too.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/certificate.hpp>

#include "common/byte_reader.hpp"
#include "common/log.hpp"
#include "dtls/certificate.hpp"
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

// Mode 4 (see the top of the file).
void genuine_records(Transport& client, Transport& server, const std::vector<ByteSpan>& operations,
                     Instant now) {
    server.start(now, Role::server, floe::dtls::identity(client_cert()).fingerprint);
    client.start(now, Role::client, floe::dtls::identity(server_cert()).fingerprint);
    pump(client, server, now);
    if (client.state() != State::connected || server.state() != State::connected) std::abort();
    std::vector<Bytes> sealed;  // every datagram the client produced, in order
    std::uint64_t next_number = 0;
    std::set<std::uint64_t> delivered;
    auto check_delivered = [&] {
        while (auto e = server.poll_event()) {
            const auto* d = std::get_if<event::DataReceived>(&*e);
            if (!d) continue;
            ByteReader r(d->data);
            const auto number = r.u64();
            if (!number || !r.empty() || *number >= next_number) std::abort();  // not sent
            if (!delivered.insert(*number).second) std::abort();                // twice
        }
    };
    for (ByteSpan op : operations) {
        ByteReader r(op);
        const std::uint8_t code = r.u8().value_or(0);
        const std::size_t pick = r.u8().value_or(0);
        const std::size_t at = r.u16().value_or(0);
        if (code % 4 == 0 || sealed.empty()) {
            Bytes number(8);
            for (int i = 0; i < 8; ++i)
                number[static_cast<std::size_t>(i)] =
                    static_cast<std::uint8_t>(next_number >> (56 - 8 * i));
            ++next_number;
            if (!client.send(number)) std::abort();
            while (auto d = client.poll_transmit())
                sealed.emplace_back(d->begin(), d->end());
            continue;
        }
        Bytes datagram = sealed[pick % sealed.size()];
        if (code % 4 == 2) datagram[at % datagram.size()] ^= static_cast<std::uint8_t>(code | 1);
        if (code % 4 == 3) datagram.resize(at % datagram.size());
        server.handle_input(now, datagram);
        check_delivered();
        if (server.state() != State::connected) std::abort();  // nothing here may end it
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

    switch (*mode % 5) {
        case 0:
            feed_all(server);
            server.start(now, Role::server, floe::dtls::identity(client_cert()).fingerprint);
            client.start(now, Role::client, floe::dtls::identity(server_cert()).fingerprint);
            pump(client, server, now);
            break;
        case 1:
            server.start(now, Role::server, floe::dtls::identity(client_cert()).fingerprint);
            client.start(now, Role::client, floe::dtls::identity(server_cert()).fingerprint);
            drain(client, &server, now);  // ClientHello
            feed_all(server);
            pump(client, server, now);
            break;
        case 2: {
            server.start(now, Role::server, floe::dtls::identity(client_cert()).fingerprint);
            client.start(now, Role::client, floe::dtls::identity(server_cert()).fingerprint);
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
        case 3:
            server.start(now, Role::server, floe::dtls::identity(client_cert()).fingerprint);
            feed_all(server);
            drain(server, nullptr, now);
            break;
        default:
            genuine_records(client, server, datagrams, now);
            break;
    }
    drain(client, nullptr, now);
    drain(server, nullptr, now);
    return 0;
}
