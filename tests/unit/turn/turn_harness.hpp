// Drives a turn::Client against the FakeTurnServer on a virtual clock: every transmit goes to the
// server at once, every answer straight back; time jumps to the client's next timeout.
#pragma once

#include <doctest/doctest.h>

#include <vector>

#include "common/random.hpp"
#include "fake_turn_server.hpp"
#include "turn/client.hpp"

namespace floe::test {

struct TurnHarness {
    FakeTurnServer server;
    SeededRandom random{42};
    Instant now = Instant{} + std::chrono::hours(1);
    const Instant start = now;
    std::optional<turn::Client> client;
    std::vector<turn::Event> events;
    std::vector<Bytes> sent;  // every transmit, in order

    explicit TurnHarness(turn::ClientConfig config = {}) { open(std::move(config)); }

    void open(turn::ClientConfig config) {
        if (config.username.empty()) config.username = server.username;
        if (config.password.empty()) config.password = server.password;
        config.server = *SocketAddress::parse("192.0.2.1:3478");
        client.emplace(std::move(config), random, now);
        exchange();
    }

    // Delivers transmits and answers until both sides are quiet.
    void exchange() {
        for (int round = 0; round < 1000; ++round) {
            auto t = client->poll_transmit();
            if (!t) break;
            sent.push_back(t->data);
            for (const Bytes& answer : server.handle(now, t->data))
                client->handle_input(now, answer);
        }
        while (auto e = client->poll_event())
            events.push_back(std::move(*e));
    }

    // Runs timers until `until` (the client's own schedule decides when it wakes).
    void advance_to(Instant until) {
        for (int steps = 0; steps < 100000; ++steps) {
            const auto at = client->poll_timeout();
            if (!at || *at > until) break;
            REQUIRE(*at >= now);  // never asks to be woken in the past twice
            now = *at;
            client->handle_timeout(now);
            exchange();
        }
        now = until;
    }
    void advance(Duration d) { advance_to(now + d); }

    std::vector<turn::Event> take(turn::Event::Kind kind) const {
        std::vector<turn::Event> out;
        for (const auto& e : events)
            if (e.kind == kind) out.push_back(e);
        return out;
    }
    void deliver(ByteSpan bytes) {
        client->handle_input(now, bytes);
        exchange();
    }
};

}  // namespace floe::test
