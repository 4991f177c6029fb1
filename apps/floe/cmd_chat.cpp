// `floe chat --offer | --answer`: serverless copy-paste chat. Descriptions travel as one line of
// JSON each (as a browser's JSON.stringify(RTCSessionDescription) writes them), so the other side
// may be another `floe chat` or apps/floe/web/chat.html in a browser. Afterwards every input line
// is a message and every received message is printed (but "/stats" and "/stats json", which print
// the W3C stats report). Status goes to standard error.
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <floe/error.hpp>
#include <floe/peer_connection.hpp>

#include "command.hpp"
#include "rtc_options.hpp"

namespace floe::cli {
namespace {

// Ctrl-C ends the chat like Ctrl-D does: the channel is closed, so the peer hears of it at once
// instead of after the consent-freshness timeout.
volatile std::sig_atomic_t g_interrupted = 0;

void on_interrupt(int) {
    g_interrupted = 1;
}

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
    // The next input line without its end (and trailing CR / blanks of a terminal paste); false at
    // end of input, or once the chat has ended (the peer closed) while waiting for a line.
    bool read_line(std::string& line);
    // A pasted description of the expected type, applied; on anything else a hint, and false.
    bool take_remote(const std::string& line, SdpType expected);
    void wait_gathered();
    void print_description();
    // A line that is JSON signaling (a description or a candidate) is applied; false otherwise.
    bool apply_signaling(const std::string& line);
    void apply_pending_candidates();
    // "/stats" prints the W3C stats report as a few short tables, "/stats json" as JSON (one
    // line); false for any other line (a message).
    bool show_stats(const std::string& line);

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
    std::atomic<bool> closing_{false};  // we close: the channel's close is not the peer's doing
    std::string input_;                 // read from standard input, not yet returned as a line
    bool eof_ = false;
};

bool Chat::read_line(std::string& line) {
    for (;;) {
        const auto nl = input_.find('\n');
        if (nl != std::string::npos || (eof_ && !input_.empty())) {
            line = input_.substr(0, nl);
            input_.erase(0, nl == std::string::npos ? nl : nl + 1);
            while (!line.empty() &&
                   (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
                line.pop_back();
            return true;
        }
        if (eof_) return false;
        if (g_interrupted) {
            status("interrupted");
            eof_ = true;
            return false;
        }
        pollfd p{STDIN_FILENO, POLLIN, 0};
        const int n = ::poll(&p, 1, 200);
        if (n == 0 || (n < 0 && errno == EINTR)) {
            if (ended_) return false;
            continue;
        }
        char buf[4096];
        const ssize_t got = n > 0 ? ::read(STDIN_FILENO, buf, sizeof buf) : -1;
        if (got > 0)
            input_.append(buf, static_cast<std::size_t>(got));
        else if (got == 0 || errno != EINTR)
            eof_ = true;
    }
}

bool Chat::take_remote(const std::string& line, SdpType expected) {
    const std::string want(to_string(expected));
    std::optional<SessionDescription> d;
    try {
        d = SessionDescription::from_json(line);
    } catch (const std::exception&) {
        status("that is not a description: paste the whole line that starts with {\"type\":\"" +
               want + "\"");
        return false;
    }
    if (d->type != expected) {
        status("that is an " + std::string(to_string(d->type)) + ", not an " + want +
               (expected == SdpType::answer
                    ? ": paste the answer the other side printed for this offer"
                    : ": one side runs --offer, the other --answer"));
        return false;
    }
    try {
        pc_.set_remote_description(*d);
    } catch (const std::exception& e) {
        status(std::string("cannot use that ") + want + ": " + e.what());
        return false;
    }
    return true;
}

void Chat::attach(const std::shared_ptr<DataChannel>& dc) {
    {
        std::lock_guard lock(mutex_);
        channel_ = dc;
    }
    dc->on_open([this] {
        open_ = true;
        const auto stats = pc_.get_stats();
        const auto* pair = stats.selected_candidate_pair();
        const auto* peer = stats.remote_certificate();
        status("connected: " + (pair ? stats.describe(*pair) : std::string("?")));
        status("DTLS " + (stats.transport ? stats.transport->dtls_cipher : std::string()) +
               ", peer " + (peer ? describe(*peer) : std::string("?")));
        status("channel open: type a line and press enter");
    });
    dc->on_message([](Message m) {
        if (m.binary)
            print_line("[binary message, " + std::to_string(m.size()) + " bytes]");
        else
            print_line(std::string(m.text()));
    });
    dc->on_close([this] {
        // Only a channel that opened can have been closed by a peer (else there was none).
        if (!closing_ && open_) status("channel closed by the peer");
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
        if (pc_.remote_description()) {
            try {
                pc_.add_ice_candidate(IceCandidate::from_json(line));
            } catch (const std::exception& e) {
                status(std::string("candidate ignored: ") + e.what());
            }
        } else
            pending_remote_.push_back(line);  // applied once the description is
        return true;
    }
    return false;
}

void Chat::apply_pending_candidates() {
    for (const auto& line : pending_remote_) {
        try {
            pc_.add_ice_candidate(IceCandidate::from_json(line));
        } catch (const std::exception& e) {
            status(std::string("candidate ignored: ") + e.what());
        }
    }
    pending_remote_.clear();
}

bool Chat::show_stats(const std::string& line) {
    if (line != "/stats" && line != "/stats json") return false;
    const StatsReport report = pc_.get_stats();
    if (line == "/stats") {
        std::string text = report.to_text();
        if (!text.empty() && text.back() == '\n') text.pop_back();
        print_line(text);
    } else {
        print_line(report.to_json());
    }
    return true;
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
    pc_.on_ice_candidate_error([](const IceCandidateError& e) {
        status("ICE candidate error " + std::to_string(e.error_code) +
               (e.url.empty() ? "" : " (" + e.url + ")") + ": " + e.error_text);
    });

    std::string line;
    if (offer_) {
        attach(pc_.create_data_channel("chat"));
        pc_.set_local_description(pc_.create_offer());
        if (!trickle_) wait_gathered();
        status("send this offer to the other side, then paste its answer:");
        print_description();
        bool answered = false;
        while (!answered && read_line(line)) {
            if (line.empty() || apply_signaling(line)) continue;
            answered = take_remote(line, SdpType::answer);
        }
        if (!answered) {
            status("no answer was pasted; bye");
            closing_ = true;
            pc_.close();
            return 1;
        }
        apply_pending_candidates();
        status("answer applied; connecting...");
    } else {
        status("paste the offer (one line of JSON) and press enter:");
        bool offered = false;
        while (!offered && read_line(line)) {
            if (line.empty() || apply_signaling(line)) continue;
            offered = take_remote(line, SdpType::offer);
        }
        if (!offered) {
            status("no offer was pasted; bye");
            closing_ = true;
            pc_.close();
            return 1;
        }
        apply_pending_candidates();
        pc_.set_local_description(pc_.create_answer());
        if (!trickle_) wait_gathered();
        status("send this answer to the other side:");
        print_description();
    }
    while (!ended_ && read_line(line)) {
        if (line.empty()) continue;
        if (line.front() == '{' && apply_signaling(line)) continue;
        if (show_stats(line)) continue;
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
    const auto stats = pc_.get_stats();
    status("sent " + std::to_string(stats.floe.messages_sent) + " messages, received " +
           std::to_string(stats.floe.messages_received));
    closing_ = true;
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
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    Chat chat(offer, trickle, std::move(config));
    return chat.run();
}

}  // namespace

FLOE_COMMAND("chat",
             "chat --offer|--answer [--ice-server URL|none]... [--trickle] [--loopback] "
             "[--interface NAME] [--trace] [--keylog FILE] [--pcap FILE] [--certificate FILE]",
             "copy-paste chat over a data channel (JSON descriptions on stdin/stdout)", run_chat,
             "  --offer                 make the offer (the other side runs --answer)\n"
             "  --answer                wait for an offer on stdin and answer it\n"
             "  --trickle               send candidates as they come, one JSON line "
             "each\n" FLOE_RTC_OPTIONS_HELP
             "Once connected, each input line is a message, except:\n"
             "  /stats                  print the W3C stats (candidates, pairs, transport, ...)\n"
             "  /stats json             the same as one line of JSON, as a browser's getStats()\n");

}  // namespace floe::cli
