// Copy-paste chat: two people, no server. Each runs this program; the descriptions are pasted
// between the two terminals (or sent by mail, or a chat app), then every line typed is a message.
//
//   terminal 1: ./chat offer      prints a line of JSON (the offer): paste it into terminal 2
//   terminal 2: ./chat answer     reads that line, prints the answer: paste it into terminal 1
//   then type lines in either terminal; Ctrl-D ends the chat.
//
// Add --loopback to try it with both terminals on one machine (gathers on 127.0.0.1 only).
// Without it, floe gathers on every interface and asks Google's public STUN server for the
// public address, so that two machines behind NATs can find each other.
#include <floe/peer_connection.hpp>

#include <future>
#include <iostream>
#include <mutex>
#include <string>

namespace {

std::mutex print_mutex;  // callbacks run on floe's thread, the main thread reads stdin

void print(const std::string& line) {
    std::lock_guard lock(print_mutex);
    std::cout << line << std::endl;  // flushed at once: the other side may be a pipe
}

}  // namespace

int main(int argc, char** argv) {
    const std::string role = argc > 1 ? argv[1] : "";
    const bool loopback = argc > 2 && std::string(argv[2]) == "--loopback";
    if (role != "offer" && role != "answer") {
        std::cerr << "usage: chat offer|answer [--loopback]\n";
        return 2;
    }

    floe::Configuration config;
    if (loopback) {
        config.loopback_only = true;
        config.enable_ipv6 = false;
    } else {
        config.ice_servers = {"stun:stun.l.google.com:19302"};
    }
    floe::PeerConnection pc(config);

    // Without trickle, a description is complete once gathering is: wait for that before
    // printing it, so that one paste carries every candidate.
    std::promise<void> gathered;
    pc.on_ice_gathering_state_change([&](floe::IceGatheringState state) {
        if (state == floe::IceGatheringState::complete) gathered.set_value();
    });

    // The offerer creates the channel; the answerer receives it through on_data_channel.
    std::shared_ptr<floe::DataChannel> channel;
    std::promise<std::shared_ptr<floe::DataChannel>> opened;
    auto use = [&](std::shared_ptr<floe::DataChannel> dc) {
        dc->on_open([&opened, dc] {
            print("* connected: type a line and press Enter");
            opened.set_value(dc);
        });
        dc->on_message([](floe::Message m) { print("peer: " + std::string(m.text())); });
        dc->on_close([] { print("* the peer left"); });
    };
    if (role == "offer") {
        channel = pc.create_data_channel("chat");
        use(channel);
        pc.set_local_description(pc.create_offer());
    } else {
        pc.on_data_channel(use);
        std::string offer;
        std::getline(std::cin, offer);
        pc.set_remote_description(floe::SessionDescription::from_json(offer));
        pc.set_local_description(pc.create_answer());
    }
    gathered.get_future().wait();
    print(pc.local_description()->to_json());  // paste this on the other side

    if (role == "offer") {
        std::string answer;
        std::getline(std::cin, answer);
        pc.set_remote_description(floe::SessionDescription::from_json(answer));
    }
    channel = opened.get_future().get();

    // Every line typed is a message; end of input ends the chat.
    for (std::string line; std::getline(std::cin, line);)
        channel->send(line);
    // close() lets what send() accepted reach the peer first (a graceful SCTP shutdown).
    pc.close();
    return 0;
}
