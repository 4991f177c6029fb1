// Many channels on one connection, each with its own reliability (RFC 8831 §6.1):
//   reliable + ordered     TCP-like: everything arrives, in order (the default)
//   reliable + unordered   everything arrives, a late message does not hold back the others
//   max_retransmits = 0    sent once, never again: lost is lost (live game state)
//   max_packet_life_time   retransmitted for at most this many milliseconds (live audio levels)
// The peer learns each channel's settings from its DATA_CHANNEL_OPEN message (RFC 8832) and
// reports them through on_data_channel. Here the link is loopback, which loses nothing, so every
// message arrives on every channel; on a lossy link the partially reliable ones would drop some.
#include <floe/peer_connection.hpp>

#include <atomic>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include "loopback.hpp"

namespace {

constexpr int messages_per_channel = 100;

std::string describe(const floe::DataChannel& dc) {
    std::string s = dc.ordered() ? "ordered" : "unordered";
    if (dc.max_retransmits()) s += ", max_retransmits " + std::to_string(*dc.max_retransmits());
    if (dc.max_packet_life_time())
        s += ", max_packet_life_time " + std::to_string(*dc.max_packet_life_time()) + " ms";
    if (!dc.max_retransmits() && !dc.max_packet_life_time()) s += ", reliable";
    return s;
}

}  // namespace

int main() {
    floe::PeerConnection a(loopback_configuration()), b(loopback_configuration());

    // DataChannelInit{} is reliable and ordered; each of the others changes one or two fields.
    std::map<std::string, floe::DataChannelInit> kinds;
    kinds["reliable"] = {};
    kinds["unordered"].ordered = false;
    kinds["fire-and-forget"].ordered = false;
    kinds["fire-and-forget"].max_retransmits = 0;
    kinds["fresh-only"].ordered = false;
    kinds["fresh-only"].max_packet_life_time = 150;  // milliseconds

    // b counts what arrives on each channel; the last message of the last channel ends the wait.
    std::mutex mutex;
    std::map<std::string, int> received;
    std::promise<void> all_received;
    int complete = 0;
    b.on_data_channel([&](std::shared_ptr<floe::DataChannel> dc) {
        std::printf("b sees channel %-16s %s\n", dc->label().c_str(), describe(*dc).c_str());
        std::fflush(stdout);
        dc->on_message([&, label = dc->label()](floe::Message) {
            std::lock_guard lock(mutex);
            if (++received[label] == messages_per_channel && ++complete == int(kinds.size()))
                all_received.set_value();
        });
    });

    // a opens the four channels and, once each is open, sends its messages on it. (A callback may
    // hold its own channel: floe releases a channel's callbacks when it closes.)
    for (const auto& [label, init] : kinds) {
        auto dc = a.create_data_channel(label, init);
        dc->on_open([dc] {
            for (int i = 0; i < messages_per_channel; ++i)
                dc->send("message " + std::to_string(i));
        });
    }

    connect_in_process(a, b);
    auto done = all_received.get_future();
    wait_for(done, "every message on every channel");
    std::lock_guard lock(mutex);
    for (const auto& [label, count] : received)
        std::printf("%-16s %d/%d messages\n", label.c_str(), count, messages_per_channel);
    return 0;
}
