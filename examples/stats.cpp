// What a PeerConnection reports about itself (W3C getStats, as plain data): the candidate pair
// ICE selected, the DTLS cipher and both certificate fingerprints, messages and bytes per channel,
// and what was dropped from the wire. Two PeerConnections in this process exchange a few
// messages, then each prints its figures.
#include <floe/peer_connection.hpp>

#include <cstdio>
#include <future>
#include <string>

#include "loopback.hpp"

namespace {

void print_stats(const char* who, const floe::PeerConnectionStats& s) {
    std::printf("%s:\n", who);
    std::printf("  selected pair:     %s\n", s.selected_candidate_pair.value_or("(none)").c_str());
    std::printf("  DTLS cipher:       %s\n", s.dtls_cipher.c_str());
    std::printf("  local fingerprint: %s\n", s.local_fingerprint.c_str());
    std::printf("  peer fingerprint:  %s\n", s.remote_fingerprint.c_str());
    std::printf("  messages sent:     %llu (%llu bytes)\n",
                static_cast<unsigned long long>(s.messages_sent),
                static_cast<unsigned long long>(s.bytes_sent));
    std::printf("  messages received: %llu (%llu bytes)\n",
                static_cast<unsigned long long>(s.messages_received),
                static_cast<unsigned long long>(s.bytes_received));
    // Wire input floe refused is counted, never an error: on a quiet loopback these stay 0.
    std::printf("  refused datagrams: %llu, dropped STUN: %llu\n",
                static_cast<unsigned long long>(s.datagrams_refused),
                static_cast<unsigned long long>(s.stun_dropped));
    for (const auto& c : s.channels)
        std::printf("  channel \"%s\" (id %d, %s): %llu sent, %llu received\n", c.label.c_str(),
                    c.id ? int(*c.id) : -1, std::string(floe::to_string(c.state)).c_str(),
                    static_cast<unsigned long long>(c.messages_sent),
                    static_cast<unsigned long long>(c.messages_received));
}

}  // namespace

int main() {
    floe::PeerConnection a(loopback_configuration()), b(loopback_configuration());
    constexpr int count = 10;

    // b answers every message; a counts the answers.
    b.on_data_channel([](std::shared_ptr<floe::DataChannel> dc) {
        dc->on_message([dc](floe::Message m) { dc->send("re: " + std::string(m.text())); });
    });
    std::promise<void> answered;
    auto dc = a.create_data_channel("stats");
    dc->on_open([dc] {
        for (int i = 0; i < count; ++i)
            dc->send("ping " + std::to_string(i));
    });
    dc->on_message([&, answers = 0](floe::Message) mutable {
        if (++answers == count) answered.set_value();
    });

    connect_in_process(a, b);
    auto done = answered.get_future();
    wait_for(done, "the answers");
    print_stats("a", a.get_stats());
    print_stats("b", b.get_stats());
    return 0;
}
