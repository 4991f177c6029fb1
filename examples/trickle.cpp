// Trickle ICE between two processes that talk through pipes, the way two programs talk through a
// signaling server: each candidate is sent the moment it is found (RFC 8838), not gathered first
// into one description as the copy-paste chat does, so connectivity checks start sooner.
//
//   ./trickle       forks: the parent offers, the child answers; they chat once and exit
//
// The signaling messages are lines of text, one JSON object each (the browser's format):
//   description {"type":"offer","sdp":"..."}
//   candidate {"candidate":"candidate:...","sdpMid":"0","sdpMLineIndex":0}
//   end-of-candidates
#include <floe/peer_connection.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "loopback.hpp"

namespace {

// One side's signaling channel: lines out on one pipe, lines in on the other.
class Signaling {
  public:
    Signaling(int in, int out) : in_(fdopen(in, "r")), out_(out) {}

    void send(const std::string& line) {
        std::lock_guard lock(mutex_);  // candidates come from floe's thread, descriptions from main
        if (out_ < 0) return;
        const std::string text = line + "\n";
        for (std::size_t done = 0; done < text.size();) {
            const ssize_t n = write(out_, text.data() + done, text.size() - done);
            if (n <= 0) return;  // the other side is gone
            done += static_cast<std::size_t>(n);
        }
    }
    // Done talking: the other side's receive() returns false once it has read everything.
    void close_out() {
        std::lock_guard lock(mutex_);
        close(out_);
        out_ = -1;
    }
    // The next line, or false when the other side closed its end.
    bool receive(std::string& line) {
        line.clear();
        for (int c; (c = std::fgetc(in_)) != EOF;) {
            if (c == '\n') return true;
            line += static_cast<char>(c);
        }
        return false;
    }

  private:
    FILE* in_;
    int out_;
    std::mutex mutex_;
};

// Applies what the other side sends, until it closes the pipe.
void apply_signaling(Signaling& signaling, floe::PeerConnection& pc, bool offerer) {
    for (std::string line; signaling.receive(line);) {
        const auto space = line.find(' ');
        const std::string kind = line.substr(0, space);
        const std::string json = space == std::string::npos ? "" : line.substr(space + 1);
        if (kind == "description") {
            pc.set_remote_description(floe::SessionDescription::from_json(json));
            if (!offerer) {
                // As in connect_in_process: send the answer before setting it locally, which starts
                // gathering, so the offerer has it before the first of our candidates.
                const auto answer = pc.create_answer();
                signaling.send("description " + answer.to_json());
                pc.set_local_description(answer);
            }
        } else if (kind == "candidate") {
            pc.add_ice_candidate(floe::IceCandidate::from_json(json));
        } else if (kind == "end-of-candidates") {
            pc.add_ice_candidate(std::nullopt);
        }
    }
}

int run(bool offerer, Signaling& signaling) {
    const char* me = offerer ? "offerer" : "answerer";
    floe::PeerConnection pc(loopback_configuration());
    // Trickle: every candidate goes out as soon as it is found; nullopt means gathering is done.
    pc.on_ice_candidate([&](std::optional<floe::IceCandidate> c) {
        if (c) std::printf("%s: trickling %s\n", me, c->candidate.c_str());
        std::fflush(stdout);
        signaling.send(c ? "candidate " + c->to_json() : "end-of-candidates");
    });

    std::promise<std::string> reply;  // what the peer says
    auto use = [&](std::shared_ptr<floe::DataChannel> dc) {
        dc->on_open([dc, offerer] {
            if (offerer) dc->send("hello, found you by trickle ICE");
        });
        dc->on_message([dc, offerer, &reply](floe::Message m) {
            if (!offerer) dc->send("hello back");
            reply.set_value(std::string(m.text()));
        });
    };
    std::shared_ptr<floe::DataChannel> channel;
    if (offerer) {
        channel = pc.create_data_channel("trickle");
        use(channel);
        const auto offer = pc.create_offer();
        signaling.send("description " + offer.to_json());
        pc.set_local_description(offer);
    } else {
        pc.on_data_channel(use);
    }

    std::thread reader([&] { apply_signaling(signaling, pc, offerer); });
    auto said = reply.get_future();
    try {
        std::printf("%s: the peer said \"%s\"\n", me, wait_for(said, "the peer's message").c_str());
        std::fflush(stdout);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", me, e.what());
        std::_Exit(1);
    }
    pc.close();  // delivers what was sent before it ends the association
    // Each side closes its pipe, then waits for the other's: the reader ends before `pc` does.
    signaling.close_out();
    reader.join();
    return 0;
}

}  // namespace

int main() {
    // Two pipes, one each way. Fork before creating anything of floe's: a forked child keeps only
    // the thread that forked, and floe's runtime thread would be missing from it.
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0) return 1;
    const pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        Signaling signaling(to_child[0], to_parent[1]);
        std::_Exit(run(false, signaling));  // no atexit handlers of the parent's copy
    }
    close(to_child[0]);
    close(to_parent[1]);
    Signaling signaling(to_parent[0], to_child[1]);
    const int result = run(true, signaling);
    int status = 0;
    waitpid(child, &status, 0);
    return result == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
