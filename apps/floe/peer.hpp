// `floe peer`, the scriptable peer of the interop kit's driver contract
// (../shared/interop/README.md), in four files by job: cmd_peer.cpp (the command: options, the
// peer's life from start to the RESULT line), peer_signaling.cpp (the contract's file signaling:
// descriptions, trickled candidates), peer_channels.cpp (the callbacks and channels: echo side,
// active side) and peer_modes.cpp (the active side's workloads: send-check, ping, bulk).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <floe/peer_connection.hpp>

namespace floe::cli::peer {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// SIGTERM/SIGINT seen: every wait ends.
extern std::atomic<bool> g_terminated;
extern const SteadyClock::time_point g_start;
double elapsed_ms();                         // since the process started
void say(const std::string& line);           // a log line on stderr, with the time
std::string message_kind(const Message& m);  // "text(5 B)", "binary(16384 B)"
// The signaling directory's files (peer_signaling.cpp): whole, and replaced at once (a rename).
std::optional<std::string> read_file(const fs::path& path);
void write_atomically(const fs::path& path, const std::string& content);

// What the active side keeps queued (buffered_amount) and refills from.
inline constexpr std::size_t kHigh = 1 << 20;
inline constexpr std::size_t kLow = 256 * 1024;

struct Options {
    std::string role;
    fs::path signal;
    std::string mode = "echo";
    bool trickle = false;
    int count = 20;
    bool empty = false;
    double bulk_mib = 64;
    std::size_t chunk = 16384;
    double timeout_s = 30;
    // floe's own (not the contract's): bulk sends its data and "FIN", then closes at once,
    // the channel or the whole PeerConnection, without waiting for the reply. The other side's
    // log shows whether everything arrived (scripts/interop.sh checks it).
    std::string close_after_send;
};

class Peer {
  public:
    Peer(Options o, Configuration config) : o_(std::move(o)), config_(std::move(config)) {
        active_ = o_.mode != "echo";
        label_ = o_.mode == "bulk"         ? "bulk"
                 : o_.mode == "send-check" ? "test"
                 : o_.mode == "ping"       ? "ping"
                                           : "echo";
        deadline_ = g_start + std::chrono::milliseconds(static_cast<long>(o_.timeout_s * 1000));
    }

    int run();

  private:
    using Lock = std::unique_lock<std::mutex>;

    std::string other() const { return o_.role == "offer" ? "answer" : "offer"; }
    void mark(const std::string& what) {
        std::lock_guard lock(marks_mutex_);
        if (marks_.count(what)) return;
        marks_[what] = elapsed_ms();
        say("mark " + what + " +" + std::to_string(static_cast<long>(marks_[what])) + "ms");
    }
    std::optional<double> mark_of(const std::string& what) {
        std::lock_guard lock(marks_mutex_);
        auto it = marks_.find(what);
        if (it == marks_.end()) return std::nullopt;
        return it->second;
    }
    bool expired() const { return g_terminated.load() || SteadyClock::now() >= deadline_; }
    void fail(const std::string& why) {
        std::lock_guard lock(mutex_);
        if (failure_.empty()) failure_ = why;
        cv_.notify_all();
    }
    // Waits until pred() (under the lock) or the deadline; polls `tick` every 10 ms meanwhile.
    template <class P>
    bool wait_for(P pred, const std::function<void()>& tick = {}) {
        Lock lock(mutex_);
        while (!pred()) {
            if (!failure_.empty() || expired()) return false;
            cv_.wait_for(lock, std::chrono::milliseconds(10));
            if (tick) {
                lock.unlock();
                tick();
                lock.lock();
            }
        }
        return true;
    }

    void setup_callbacks();
    void exchange_descriptions();
    void write_result(bool ok, const std::string& error, std::optional<double> time_to_open);
    void attach_echo(const std::shared_ptr<DataChannel>& dc);
    void setup_active(const std::shared_ptr<DataChannel>& dc);
    void open_answerer_channel();
    void wait_gathered();
    void read_remote_candidates();
    void report_pair();
    bool send_check();
    bool ping();
    bool bulk();
    void drain_to(std::size_t limit);
    std::optional<Message> next_message();

    Options o_;
    Configuration config_;
    bool active_ = false;
    std::string label_;
    SteadyClock::time_point deadline_;
    std::unique_ptr<PeerConnection> pc_;

    std::mutex marks_mutex_;
    std::map<std::string, double> marks_;

    std::mutex mutex_;
    std::condition_variable cv_;
    std::string failure_;
    bool gathered_ = false;
    bool connected_ = false;
    bool active_open_ = false;
    std::string passive_done_;
    int channels_seen_ = 0;
    std::deque<Message> inbox_;
    std::shared_ptr<DataChannel> active_dc_;
    std::vector<std::shared_ptr<DataChannel>> echo_channels_;
    std::atomic<bool> answerer_channel_opened_{false};
    std::uint64_t echoed_ = 0;
    std::size_t candidates_read_ = 0;
    bool remote_candidates_done_ = false;
    std::string selected_pair_;
    int local_candidates_ = 0;
    std::string result_extra_;  // more ",key":value pairs for the RESULT line
};

}  // namespace floe::cli::peer
