// `floe chat --offer | --answer`: serverless copy-paste chat. Descriptions travel as one line of
// JSON each (as a browser's JSON.stringify(RTCSessionDescription) writes them), so the other side
// may be another `floe chat` or apps/floe/web/chat.html in a browser. Afterwards every input line
// is a message and every received message is printed. Status goes to standard error.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <floe/error.hpp>
#include <floe/peer_connection.hpp>

#include "command.hpp"
#include "rtc_options.hpp"

namespace floe::cli {
namespace {

void status(const std::string& line) {
    std::fprintf(stderr, "-- %s\n", line.c_str());
}

void print_line(const std::string& line) {
    static std::mutex m;
    std::lock_guard lock(m);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

class Chat {
  public:
    Chat(bool offer, bool trickle, Configuration config)
        : offer_(offer), trickle_(trickle), pc_(std::move(config)) {}

    int run();

  private:
    void attach(const std::shared_ptr<DataChannel>& dc);
    bool read_line(std::string& line) { return static_cast<bool>(std::getline(std::cin, line)); }
    void wait_gathered();
    void print_description();
    // A line that is JSON signaling (a description or a candidate) is applied; false otherwise.
    bool apply_signaling(const std::string& line);
    void apply_pending_candidates();

    bool offer_;
    bool trickle_;
    PeerConnection pc_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool gathered_ = false;
    bool described_ = false;                   // our description is out: candidates may follow
    std::vector<std::string> pending_local_;   // candidates found before that
    std::vector<std::string> pending_remote_;  // candidates read before the remote description
    std::shared_ptr<DataChannel> channel_;
    std::atomic<bool> open_{false};
    std::atomic<bool> ended_{false};
};

void Chat::attach(const std::shared_ptr<DataChannel>& dc) {
    {
        std::lock_guard lock(mutex_);
        channel_ = dc;
    }
    dc->on_open([this] {
        open_ = true;
        auto stats = pc_.get_stats();
        status("connected: " + stats.selected_candidate_pair.value_or("?"));
        status("DTLS " + stats.dtls_cipher + ", peer " + stats.remote_fingerprint);
        status("channel open: type a line and press enter");
    });
    dc->on_message([](Message m) {
        if (m.binary)
            print_line("[binary message, " + std::to_string(m.size()) + " bytes]");
        else
            print_line(std::string(m.text()));
    });
    dc->on_close([this] {
        status("channel closed by the peer");
        ended_ = true;
    });
    if (dc->ready_state() == DataChannelState::open) open_ = true;
}

void Chat::wait_gathered() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [this] { return gathered_; }))
        status("gathering takes more than 10 s; using the candidates found so far");
}

void Chat::print_description() {
    // Asked before taking the lock: the runtime thread's candidate callback takes it too.
    const std::string description = pc_.local_description()->to_json();
    std::lock_guard lock(mutex_);
    print_line(description);
    described_ = true;
    for (const auto& c : pending_local_)
        print_line(c);
    pending_local_.clear();
}

bool Chat::apply_signaling(const std::string& line) {
    if (line.find("\"candidate\"") != std::string::npos && line.front() == '{') {
        if (pc_.remote_description())
            pc_.add_ice_candidate(IceCandidate::from_json(line));
        else
            pending_remote_.push_back(line);  // applied once the description is
        return true;
    }
    return false;
}

void Chat::apply_pending_candidates() {
    for (const auto& line : pending_remote_)
        pc_.add_ice_candidate(IceCandidate::from_json(line));
    pending_remote_.clear();
}

int Chat::run() {
    pc_.on_ice_candidate([this](std::optional<IceCandidate> c) {
        if (c) status("local candidate " + c->candidate);
        if (trickle_ && c) {
            // Candidates go out after the description they belong to.
            std::lock_guard lock(mutex_);
            if (described_)
                print_line(c->to_json());
            else
                pending_local_.push_back(c->to_json());
        }
        if (!c) {
            std::lock_guard lock(mutex_);
            gathered_ = true;
            cv_.notify_all();
        }
    });
    pc_.on_connection_state_change([this](PeerConnectionState s) {
        status("connection " + std::string(to_string(s)));
        if (s == PeerConnectionState::failed || s == PeerConnectionState::closed) ended_ = true;
    });
    pc_.on_data_channel([this](std::shared_ptr<DataChannel> dc) { attach(dc); });

    std::string line;
    if (offer_) {
        attach(pc_.create_data_channel("chat"));
        pc_.set_local_description(pc_.create_offer());
        if (!trickle_) wait_gathered();
        status("send this offer to the other side, then paste its answer:");
        print_description();
        while (read_line(line)) {
            if (line.empty() || apply_signaling(line)) continue;
            pc_.set_remote_description(SessionDescription::from_json(line));
            apply_pending_candidates();
            break;
        }
    } else {
        status("paste the offer:");
        while (read_line(line)) {
            if (line.empty() || apply_signaling(line)) continue;
            pc_.set_remote_description(SessionDescription::from_json(line));
            apply_pending_candidates();
            break;
        }
        if (!std::cin) return 1;
        pc_.set_local_description(pc_.create_answer());
        if (!trickle_) wait_gathered();
        status("send this answer to the other side:");
        print_description();
    }
    if (!std::cin) return 1;
    while (!ended_ && read_line(line)) {
        if (line.empty()) continue;
        if (line.front() == '{' && apply_signaling(line)) continue;
        if (!open_) {
            status("not connected yet; message not sent");
            continue;
        }
        std::shared_ptr<DataChannel> dc;
        {
            std::lock_guard lock(mutex_);
            dc = channel_;
        }
        try {
            dc->send(line);
        } catch (const Error& e) {
            status(std::string("not sent: ") + e.what());
        }
    }
    auto stats = pc_.get_stats();
    status("sent " + std::to_string(stats.messages_sent) + " messages, received " +
           std::to_string(stats.messages_received));
    pc_.close();
    return 0;
}

int run_chat(Args& args) {
    const bool offer = args.flag("offer");
    const bool answer = args.flag("answer");
    if (offer == answer) throw UsageError("give exactly one of --offer and --answer");
    const bool trickle = args.flag("trickle");
    auto config = read_rtc_options(args, {"stun:stun.l.google.com:19302"});
    args.finish();
    Chat chat(offer, trickle, std::move(config));
    return chat.run();
}

}  // namespace

FLOE_COMMAND("chat",
             "chat --offer|--answer [--ice-server URL|none]... [--trickle] [--loopback] "
             "[--interface NAME] [--trace] [--keylog FILE]",
             "copy-paste chat over a data channel (JSON descriptions on stdin/stdout)", run_chat);

}  // namespace floe::cli
