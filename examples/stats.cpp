// What a PeerConnection reports about itself (W3C getStats, as typed structs): the candidate pair
// ICE selected with its round trip, the DTLS cipher and both certificates, messages and bytes per
// channel, and what was dropped from the wire; then the whole report as W3C JSON. Two
// PeerConnections in this process exchange a few messages, then each prints its figures.
#include <floe/peer_connection.hpp>

#include <cstdio>
#include <future>
#include <string>

#include "loopback.hpp"

namespace {

void print_stats(const char* who, const floe::StatsReport& s) {
    std::printf("%s:\n", who);
    // The report holds W3C objects that refer to each other by id: the transport names the
    // selected candidate pair, the pair names its two candidates.
    const floe::IceCandidatePairStats* pair = s.selected_candidate_pair();
    std::printf("  selected pair:     %s\n", pair ? s.describe(*pair).c_str() : "(none)");
    if (pair)
        std::printf("  round trip:        %.3f ms, %llu checks sent, %llu answered\n",
                    pair->current_round_trip_time.value_or(0) * 1000,
                    static_cast<unsigned long long>(pair->requests_sent),
                    static_cast<unsigned long long>(pair->responses_received));
    std::printf("  DTLS cipher:       %s\n", s.transport ? s.transport->dtls_cipher.c_str() : "");
    if (const auto* c = s.local_certificate())
        std::printf("  local fingerprint: %s\n", floe::describe(*c).c_str());
    if (const auto* c = s.remote_certificate())
        std::printf("  peer fingerprint:  %s\n", floe::describe(*c).c_str());
    // Totals over every channel, closed ones included, are floe's own (not a W3C dictionary).
    std::printf("  messages sent:     %llu (%llu bytes)\n",
                static_cast<unsigned long long>(s.floe.messages_sent),
                static_cast<unsigned long long>(s.floe.bytes_sent));
    std::printf("  messages received: %llu (%llu bytes)\n",
                static_cast<unsigned long long>(s.floe.messages_received),
                static_cast<unsigned long long>(s.floe.bytes_received));
    // Wire input floe refused is counted, never an error: on a quiet loopback these stay 0.
    std::printf("  refused datagrams: %llu, dropped STUN: %llu\n",
                static_cast<unsigned long long>(s.floe.datagrams_refused),
                static_cast<unsigned long long>(s.floe.stun_dropped));
    for (const auto& c : s.data_channels)
        std::printf("  channel \"%s\" (id %d, %s): %llu sent, %llu received\n", c.label.c_str(),
                    c.data_channel_identifier ? int(*c.data_channel_identifier) : -1,
                    std::string(floe::to_string(c.state)).c_str(),
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
    // The same report as a browser's getStats() serialises it: objects keyed by id.
    std::printf("a as JSON: %s\n", a.get_stats().to_json().c_str());
    return 0;
}
