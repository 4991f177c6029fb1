// `floe peer`: the scriptable peer of the interop kit's driver contract
// (../shared/interop/README.md): file signaling in --signal DIR, echo / send-check / bulk modes,
// one `RESULT {json}` line on stdout. Pairs with the reference peers through run-pair.sh.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <floe/error.hpp>
#include <floe/json.hpp>
#include <floe/peer_connection.hpp>
#include <floe/tools/sctp.hpp>

#include "command.hpp"
#include "interop_messages.hpp"
#include "rtc_options.hpp"

namespace floe::cli {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// usrsctp's retransmission counters of this process (its one association), for floe bench W7.
std::string sctp_counters_json() {
    const auto c = tools::sctp_counters();
    char out[256];
    std::snprintf(out, sizeof out,
                  ",\"sctp\":{\"data_chunks_sent\":%llu,\"retransmitted_chunks\":%llu,"
                  "\"fast_retransmits\":%llu,\"t3_timeouts\":%llu,\"init_timeouts\":%llu}",
                  static_cast<unsigned long long>(c.data_chunks_sent),
                  static_cast<unsigned long long>(c.retransmitted_chunks),
                  static_cast<unsigned long long>(c.fast_retransmits),
                  static_cast<unsigned long long>(c.t3_timeouts),
                  static_cast<unsigned long long>(c.init_timeouts));
    return out;
}

std::atomic<bool> g_terminated{false};
extern "C" void on_sigterm(int) {
    g_terminated.store(true);
}

const auto g_start = SteadyClock::now();
double elapsed_ms() {
    return std::chrono::duration<double, std::milli>(SteadyClock::now() - g_start).count();
}

void say(const std::string& line) {
    std::fprintf(stderr, "%9.3f peer  %s\n", elapsed_ms() / 1000, line.c_str());
}

std::optional<std::string> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_atomically(const fs::path& path, const std::string& content) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
    }
    fs::rename(tmp, path);
}

std::string message_kind(const Message& m) {
    return m.binary ? "binary(" + std::to_string(m.size()) + " B)"
                    : "text(" + std::to_string(m.size()) + " B)";
}

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

void Peer::setup_callbacks() {
    pc_->on_ice_candidate([this](std::optional<IceCandidate> c) {
        if (c) {
            ++local_candidates_;
            say("local candidate: " + c->candidate);
        } else {
            mark("gathering_complete");
        }
        if (o_.trickle) {
            const fs::path file = o_.signal / (o_.role + ".candidates");
            std::ofstream out(file, std::ios::app);
            out << (c ? c->to_json() : std::string(R"({"done":true})")) << "\n";
        }
        if (!c) {
            std::lock_guard lock(mutex_);
            gathered_ = true;
            cv_.notify_all();
        }
    });
    pc_->on_ice_connection_state_change(
        [](IceConnectionState s) { say("ice state " + std::string(to_string(s))); });
    pc_->on_connection_state_change([this](PeerConnectionState s) {
        say("state conn=" + std::string(to_string(s)));
        if (s == PeerConnectionState::connected) {
            mark("connected");
            std::lock_guard lock(mutex_);
            connected_ = true;
            cv_.notify_all();
        }
        if (s == PeerConnectionState::failed) fail("connection failed");
        if ((s == PeerConnectionState::closed || s == PeerConnectionState::disconnected) &&
            mark_of("connected")) {
            std::lock_guard lock(mutex_);
            if (passive_done_.empty()) passive_done_ = "connection " + std::string(to_string(s));
            cv_.notify_all();
        }
    });
    pc_->on_data_channel([this](std::shared_ptr<DataChannel> dc) {
        say("remote opened channel: " + dc->label() +
            " id=" + std::to_string(dc->id().value_or(0)));
        if (active_ && o_.role == "offer" && dc->label() == label_) return;
        attach_echo(dc);
        if (dc->ready_state() == DataChannelState::open) mark("dc_open");
        if (active_ && o_.role == "answer") open_answerer_channel();
    });
}

void Peer::attach_echo(const std::shared_ptr<DataChannel>& dc) {
    {
        std::lock_guard lock(mutex_);
        ++channels_seen_;
        echo_channels_.push_back(dc);
    }
    const bool is_bulk = dc->label() == "bulk";
    DataChannel* raw = dc.get();  // the channel outlives its callbacks (cleared on close)
    dc->on_open([this, raw] {
        mark("dc_open");
        say("echo channel open: " + raw->label() + " id=" + std::to_string(raw->id().value_or(0)));
    });
    auto bulk_bytes = std::make_shared<std::uint64_t>(0);
    dc->on_message([this, raw, is_bulk, bulk_bytes](Message m) {
        try {
            if (is_bulk) {
                if (m.binary) {
                    *bulk_bytes += m.size();
                } else {
                    say("bulk text \"" + std::string(m.text()) + "\" after " +
                        std::to_string(*bulk_bytes) + " B");
                    raw->send(std::string(m.text()) + " " + std::to_string(*bulk_bytes));
                }
                return;
            }
            if (echoed_++ < 100)
                say("echo #" + std::to_string(echoed_ - 1) + " " + message_kind(m));
            if (m.binary)
                raw->send(m.data);
            else
                raw->send(m.text());
        } catch (const Error& e) {
            say(std::string("echo failed: ") + e.what());
        }
    });
    dc->on_close([this, raw] {
        say("channel closed: " + raw->label());
        std::lock_guard lock(mutex_);
        if (passive_done_.empty()) passive_done_ = "channel closed";
        cv_.notify_all();
    });
}

void Peer::setup_active(const std::shared_ptr<DataChannel>& dc) {
    {
        std::lock_guard lock(mutex_);
        active_dc_ = dc;
    }
    DataChannel* raw = dc.get();
    dc->on_open([this, raw] {
        mark("dc_open");
        say("channel open: " + raw->label() + " id=" + std::to_string(raw->id().value_or(0)));
        std::lock_guard lock(mutex_);
        active_open_ = true;
        cv_.notify_all();
    });
    dc->on_message([this](Message m) {
        std::lock_guard lock(mutex_);
        inbox_.push_back(std::move(m));
        cv_.notify_all();
    });
    dc->on_buffered_amount_low([this] { cv_.notify_all(); });
    dc->on_close([this] {
        std::lock_guard lock(mutex_);
        if (passive_done_.empty()) passive_done_ = "channel closed";
        cv_.notify_all();
    });
    if (dc->ready_state() == DataChannelState::open) {
        mark("dc_open");
        std::lock_guard lock(mutex_);
        active_open_ = true;
    }
}

void Peer::open_answerer_channel() {
    if (answerer_channel_opened_.exchange(true)) return;
    say("answerer is the active side: opening channel " + label_);
    setup_active(pc_->create_data_channel(label_));
}

void Peer::wait_gathered() {
    const auto limit = std::min(deadline_, SteadyClock::now() + std::chrono::seconds(10));
    Lock lock(mutex_);
    while (!gathered_ && SteadyClock::now() < limit && !g_terminated.load())
        cv_.wait_for(lock, std::chrono::milliseconds(10));
    if (!gathered_)
        say("WARNING: ICE gathering did not complete within 10 s; sending what we have");
}

void Peer::read_remote_candidates() {
    if (!o_.trickle || remote_candidates_done_) return;
    auto text = read_file(o_.signal / (other() + ".candidates"));
    if (!text) return;
    std::size_t index = 0, pos = 0;
    while (pos < text->size()) {
        const auto nl = text->find('\n', pos);
        if (nl == std::string::npos) break;  // only complete lines
        const std::string line = text->substr(pos, nl - pos);
        pos = nl + 1;
        if (index++ < candidates_read_ || line.empty()) continue;
        ++candidates_read_;
        try {
            auto object = json::parse_flat_object(line);
            if (object && object->get("done", json::Kind::boolean) == "true") {
                say("remote end-of-candidates");
                pc_->add_ice_candidate(std::nullopt);
                remote_candidates_done_ = true;
                return;
            }
            auto c = IceCandidate::from_json(line);
            pc_->add_ice_candidate(c);
            say("added remote candidate: " + c.candidate);
        } catch (const Error& e) {
            say(std::string("addIceCandidate failed: ") + e.what());
        }
    }
}

void Peer::report_pair() {
    if (!selected_pair_.empty()) return;
    const auto stats = pc_->get_stats();
    if (const auto* pair = stats.selected_candidate_pair()) {
        selected_pair_ = stats.describe(*pair);
        say("SELECTED PAIR: " + selected_pair_);
        say("DTLS cipher " + stats.transport->dtls_cipher);
    }
}

std::optional<Message> Peer::next_message() {
    std::optional<Message> out;
    wait_for([&] { return !inbox_.empty(); }, [this] { read_remote_candidates(); });
    std::lock_guard lock(mutex_);
    if (!inbox_.empty()) {
        out = std::move(inbox_.front());
        inbox_.pop_front();
    }
    return out;
}

void Peer::drain_to(std::size_t limit) {
    auto dc = active_dc_;
    wait_for([&] { return dc->buffered_amount() <= limit; });
}

constexpr std::size_t kHigh = 1 << 20;
constexpr std::size_t kLow = 256 * 1024;

bool Peer::send_check() {
    const auto messages = build_interop_messages(o_.count, o_.empty);
    say("sending " + std::to_string(messages.size()) + " messages");
    active_dc_->set_buffered_amount_low_threshold(kLow);
    const double start = elapsed_ms();
    for (const auto& m : messages) {
        if (m.binary)
            active_dc_->send(m.data);
        else
            active_dc_->send(m.text());
        drain_to(kHigh);
    }
    int bad = 0;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        auto got = next_message();
        if (!got) {
            result_extra_ +=
                ",\"received\":" + std::to_string(i) + ",\"mismatches\":" + std::to_string(bad);
            throw Error("timeout waiting for message: got " + std::to_string(i) + " of " +
                        std::to_string(messages.size()) + " echoes; #" + std::to_string(i) + " (" +
                        message_kind(messages[i]) + ") never came back");
        }
        if (got->binary != messages[i].binary || got->data != messages[i].data) {
            ++bad;
            say("MISMATCH #" + std::to_string(i) + ": sent " + message_kind(messages[i]) + " got " +
                message_kind(*got));
        } else {
            say("ok #" + std::to_string(i) + " " + message_kind(messages[i]));
        }
    }
    result_extra_ += ",\"messages\":" + std::to_string(messages.size()) +
                     ",\"mismatches\":" + std::to_string(bad) +
                     ",\"roundtrip_ms\":" + std::to_string(std::lround(elapsed_ms() - start));
    return bad == 0;
}

// floe's own mode (floe bench W7, not the kit's contract): --count K ping-pongs of a 100-byte
// message against an echo peer, one at a time (W3's pattern); round trips in the RESULT line.
bool Peer::ping() {
    std::vector<double> rtts;
    for (int i = 0; i < o_.count; ++i) {
        Bytes payload = interop_binary(100, static_cast<std::uint32_t>(i + 1));
        const double start = elapsed_ms();
        active_dc_->send(ByteSpan(payload));
        auto got = next_message();
        if (!got) throw Error("timeout waiting for echo #" + std::to_string(i));
        if (!got->binary || got->data != payload)
            throw Error("echo #" + std::to_string(i) + " differs");
        rtts.push_back(elapsed_ms() - start);
    }
    std::sort(rtts.begin(), rtts.end());
    const auto at = [&](double p) {
        return rtts.empty()
                   ? 0.0
                   : rtts[std::min(rtts.size() - 1, static_cast<std::size_t>(p * rtts.size()))];
    };
    char figures[160];
    std::snprintf(figures, sizeof figures,
                  ",\"pings\":%zu,\"rtt_median_ms\":%.3f,\"rtt_p90_ms\":%.3f,\"rtt_max_ms\":%.3f",
                  rtts.size(), at(0.5), at(0.9), rtts.empty() ? 0.0 : rtts.back());
    result_extra_ += figures;
    return true;
}

bool Peer::bulk() {
    const auto total = static_cast<std::uint64_t>(std::llround(o_.bulk_mib * 1048576));
    const Bytes payload = interop_binary(o_.chunk, 7);
    active_dc_->set_buffered_amount_low_threshold(kLow);
    std::uint64_t sent = 0;
    const double start = elapsed_ms();
    while (sent < total) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(o_.chunk, total - sent));
        active_dc_->send(ByteSpan(payload.data(), n));
        sent += n;
        if (active_dc_->buffered_amount() > kHigh) {
            drain_to(kLow);
            if (expired())
                throw Error("timeout: send buffer not draining (bufferedAmount=" +
                            std::to_string(active_dc_->buffered_amount()) + ")");
        }
    }
    const double send_loop = elapsed_ms() - start;
    active_dc_->send("FIN");
    if (!o_.close_after_send.empty()) {
        say("closing the " + o_.close_after_send + " right after " + std::to_string(total) +
            " B and FIN");
        if (o_.close_after_send == "pc") {
            pc_->close();  // returns once the peer acknowledged everything (or close_linger)
        } else {
            active_dc_->close();
            if (!wait_for([&] { return active_dc_->ready_state() == DataChannelState::closed; }))
                throw Error("timeout waiting for the channel to close");
        }
        result_extra_ += ",\"close_after_send\":" + json::quote(o_.close_after_send);
        return true;
    }
    auto reply = next_message();
    if (!reply) throw Error("timeout waiting for the FIN reply");
    const double seconds = (elapsed_ms() - start) / 1000;
    const double mbps = static_cast<double>(total) / 1e6 / seconds;
    const std::string text = reply->binary ? message_kind(*reply) : std::string(reply->text());
    char figures[160];
    std::snprintf(figures, sizeof figures,
                  ",\"bulk_bytes\":%llu,\"bulk_chunk\":%zu,\"bulk_seconds\":%.3f,"
                  "\"bulk_MBps\":%.2f,\"bulk_send_loop_ms\":%ld",
                  static_cast<unsigned long long>(total), o_.chunk, seconds, mbps,
                  std::lround(send_loop));
    result_extra_ += figures;
    result_extra_ += ",\"bulk_reply\":" + json::quote(text);
    say("bulk: " + std::to_string(total) + " B in " + std::to_string(seconds) +
        " s = " + std::to_string(mbps) + " MB/s (reply \"" + text + "\")");
    return !reply->binary && text == "FIN " + std::to_string(total);
}

int Peer::run() {
    bool ok = false;
    std::string error;
    std::optional<double> time_to_open;
    try {
        pc_ = std::make_unique<PeerConnection>(config_);
        mark("pc_created");
        setup_callbacks();
        write_atomically(o_.signal / (o_.role + ".ready"), std::to_string(getpid()));
        const auto read_desc = [&](const std::string& role) -> std::optional<SessionDescription> {
            std::optional<SessionDescription> d;
            wait_for([&] {
                if (auto text = read_file(o_.signal / (role + ".json")))
                    d = SessionDescription::from_json(*text);
                return d.has_value();
            });
            return d;
        };
        if (o_.role == "offer") {
            auto dc = pc_->create_data_channel(label_);
            if (active_)
                setup_active(dc);
            else
                attach_echo(dc);
            pc_->set_local_description(pc_->create_offer());
            mark("local_desc_set");
            if (!o_.trickle) wait_gathered();
            write_atomically(o_.signal / "offer.json", pc_->local_description()->to_json());
            mark("offer_written");
            auto answer = read_desc("answer");
            if (!answer) throw Error("timeout waiting for answer.json");
            mark("answer_read");
            say("REMOTE SDP (answer):\n" + answer->sdp);
            pc_->set_remote_description(*answer);
            mark("remote_desc_set");
        } else {
            auto offer = read_desc("offer");
            if (!offer) throw Error("timeout waiting for offer.json");
            mark("offer_read");
            say("REMOTE SDP (offer):\n" + offer->sdp);
            pc_->set_remote_description(*offer);
            mark("remote_desc_set");
            pc_->set_local_description(pc_->create_answer());
            mark("local_desc_set");
            if (!o_.trickle) wait_gathered();
            write_atomically(o_.signal / "answer.json", pc_->local_description()->to_json());
            mark("answer_written");
        }
        read_remote_candidates();

        if (!active_) {
            wait_for([&] { return !passive_done_.empty(); },
                     [this] {
                         read_remote_candidates();
                         if (mark_of("dc_open")) report_pair();
                     });
            std::string why;
            {
                std::lock_guard lock(mutex_);
                why = !passive_done_.empty() ? passive_done_
                      : !failure_.empty()    ? "failed: " + failure_
                      : g_terminated.load()  ? "terminated"
                                             : "timeout";
            }
            say("echo side finished: " + why + "; echoed " + std::to_string(echoed_) + " messages");
            ok = mark_of("dc_open").has_value() && why.rfind("failed", 0) != 0;
            if (!ok) error = why;
        } else {
            if (o_.role == "answer") {
                // Open our own channel once the transport is up (or when the offerer's arrives).
                wait_for([&] { return connected_ || answerer_channel_opened_.load(); },
                         [this] { read_remote_candidates(); });
                if (connected_) open_answerer_channel();
            }
            if (!wait_for([&] { return active_open_; }, [this] { read_remote_candidates(); }))
                throw Error(failure_.empty() ? "timeout waiting for data channel open" : failure_);
            const double opened = *mark_of("dc_open");
            time_to_open = o_.role == "offer" ? opened : opened - mark_of("offer_read").value_or(0);
            report_pair();
            ok = o_.mode == "send-check" ? send_check() : o_.mode == "ping" ? ping() : bulk();
        }
    } catch (const std::exception& e) {
        error = e.what();
        say(std::string("ERROR: ") + e.what());
    }
    {
        std::lock_guard lock(mutex_);
        if (error.empty() && !ok && !failure_.empty()) error = failure_;
    }
    if (pc_) report_pair();
    std::string json = "{\"impl\":\"floe\",\"version\":" + json::quote(FLOE_VERSION) +
                       ",\"role\":" + json::quote(o_.role) + ",\"mode\":" + json::quote(o_.mode) +
                       ",\"trickle\":" + (o_.trickle ? "true" : "false") +
                       ",\"ok\":" + (ok ? "true" : "false");
    if (time_to_open) json += ",\"time_to_open_ms\":" + std::to_string(std::lround(*time_to_open));
    if (!selected_pair_.empty()) json += ",\"selected_pair\":" + json::quote(selected_pair_);
    if (!error.empty()) json += ",\"error\":" + json::quote(error);
    json += ",\"local_candidates\":" + std::to_string(local_candidates_);
    json += sctp_counters_json();
    json += result_extra_ + "}";
    std::printf("RESULT %s\n", json.c_str());
    std::fflush(stdout);
    try {
        write_atomically(o_.signal / (o_.role + ".result.json"), json + "\n");
    } catch (const std::exception&) {
    }
    if (active_ && pc_ && active_dc_) {
        active_dc_->close();
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    pc_.reset();
    return ok ? 0 : 1;
}

int run_peer(Args& args) {
    Options o;
    o.role = args.value("role").value_or("");
    if (o.role != "offer" && o.role != "answer")
        throw UsageError("--role offer|answer is required");
    auto signal = args.value("signal");
    if (!signal) throw UsageError("--signal DIR is required");
    o.signal = *signal;
    o.mode = args.value("mode").value_or("echo");
    if (o.mode != "echo" && o.mode != "send-check" && o.mode != "bulk" && o.mode != "ping")
        throw UsageError("--mode echo|send-check|bulk|ping");
    o.trickle = args.flag("trickle");
    o.count = static_cast<int>(args.integer("count", 0, 100000).value_or(20));
    o.empty = args.flag("empty");
    if (auto v = args.value("bulk-mib")) o.bulk_mib = std::stod(*v);
    o.chunk = static_cast<std::size_t>(args.integer("chunk", 1, 1 << 30).value_or(16384));
    if (auto v = args.value("timeout")) o.timeout_s = std::stod(*v);
    o.close_after_send = args.value("close-after-send").value_or("");
    if (!o.close_after_send.empty() &&
        (o.mode != "bulk" || (o.close_after_send != "pc" && o.close_after_send != "channel")))
        throw UsageError("--close-after-send pc|channel goes with --mode bulk");
    auto config = read_rtc_options(args, {});
    args.finish();
    std::signal(SIGTERM, on_sigterm);
    std::signal(SIGINT, on_sigterm);
    Peer peer(std::move(o), std::move(config));
    return peer.run();
}

}  // namespace

FLOE_COMMAND("peer",
             "peer --role offer|answer --signal DIR [--mode echo|send-check|bulk|ping] "
             "[--trickle] [--count K] [--empty] [--bulk-mib N] [--chunk B] [--timeout S] "
             "[--close-after-send pc|channel]",
             "scriptable peer of the interop driver contract (../shared/interop)", run_peer,
             "  --role offer|answer     which side of the offer/answer this peer is\n"
             "  --signal DIR            directory for file signaling (the contract's files)\n"
             "  --mode M                echo (default), send-check, bulk, or ping (floe's own:\n"
             "                          round trips of 100-byte messages, for floe bench W7)\n"
             "  --trickle               trickle candidates through DIR/<role>.candidates\n"
             "  --count K               send-check / ping: messages to send (20)\n"
             "  --empty                 send-check: also empty text and binary messages\n"
             "  --bulk-mib N            bulk: MiB to send (64)\n"
             "  --chunk B               bulk: message size (16384)\n"
             "  --timeout S             give up after S seconds from the start (30)\n"
             "  --close-after-send pc|channel\n"
             "                          bulk: close right after the data and FIN, without "
             "waiting\n" FLOE_RTC_OPTIONS_HELP);

}  // namespace floe::cli
