#include "bench_workloads.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <floe/peer_connection.hpp>
#include <floe/runtime.hpp>

namespace floe::cli::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSetupDeadline = std::chrono::seconds(30);

std::uint16_t max_streams = Configuration{}.max_streams;
std::vector<Certificate> certificates;

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const auto s = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

}  // namespace

Configuration loopback(const std::shared_ptr<Runtime>& runtime) {
    Configuration c;
    c.runtime = runtime;
    c.max_streams = max_streams;
    c.certificates = certificates;
    c.loopback_only = true;
    c.enable_ipv6 = false;
    return c;
}

double proc_status(const std::string& field, const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1));
    return 0;
}

namespace {

// Set once from any thread; waited for with a deadline. The waiting thread sleeps, so it costs
// no CPU while the runtime thread works.
class Flag {
  public:
    // Notified under the lock: the waiter may destroy the Flag as soon as it sees set_, so the
    // notification must be over by then (ThreadSanitizer saw pthread_cond_destroy race with it).
    void set() {
        std::lock_guard lock(mutex_);
        set_ = true;
        cv_.notify_all();
    }
    void fail(std::string why) {
        std::lock_guard lock(mutex_);
        if (error_.empty()) error_ = std::move(why);
        set_ = true;
        cv_.notify_all();
    }
    // Throws when the deadline passes first or when fail() was called.
    void wait(Clock::duration timeout, const char* what) {
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, timeout, [&] { return set_; }))
            throw std::runtime_error(std::string("timed out waiting for ") + what);
        if (!error_.empty()) throw std::runtime_error(error_);
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool set_ = false;
    std::string error_;
};

// Two PeerConnections; `a` offers one reliable ordered channel, `b` answers. Signalling is
// in-process and non-trickle: each description is passed on once its gathering is complete.
struct Pair {
    std::shared_ptr<Runtime> runtime;
    std::unique_ptr<PeerConnection> a;
    std::unique_ptr<PeerConnection> b;
    std::shared_ptr<DataChannel> local;   // on a
    std::shared_ptr<DataChannel> remote;  // on b
    Flag a_gathered, b_gathered, a_open, b_open;

    explicit Pair(std::shared_ptr<Runtime> rt) : runtime(std::move(rt)) {}

    // Starts the offer; finish() completes the exchange and waits until the channel is open.
    void start() {
        a = std::make_unique<PeerConnection>(loopback(runtime));
        b = std::make_unique<PeerConnection>(loopback(runtime));
        b->on_data_channel([this](std::shared_ptr<DataChannel> ch) {
            remote = std::move(ch);
            b_open.set();
        });
        local = a->create_data_channel("bench");
        local->on_open([this] { a_open.set(); });
        a->on_ice_candidate([this](std::optional<IceCandidate> c) {
            if (!c) a_gathered.set();
        });
        b->on_ice_candidate([this](std::optional<IceCandidate> c) {
            if (!c) b_gathered.set();
        });
        a->set_local_description(a->create_offer());
    }
    void answer() {
        a_gathered.wait(kSetupDeadline, "the offerer's gathering");
        b->set_remote_description(*a->local_description());
        b->set_local_description(b->create_answer());
    }
    void finish() {
        b_gathered.wait(kSetupDeadline, "the answerer's gathering");
        a->set_remote_description(*b->local_description());
        a_open.wait(kSetupDeadline, "the channel to open on the offerer");
        b_open.wait(kSetupDeadline, "the channel to open on the answerer");
    }
    void connect() {
        start();
        answer();
        finish();
    }
    ~Pair() { end(); }
    // PeerConnection's destructor runs on the runtime thread and no callback fires after it.
    void end() {
        a.reset();
        b.reset();
    }
};

// Ends a Pair's PeerConnections when it goes out of scope. Declared after the locals that the
// pair's callbacks use, it runs before they are destroyed, on every way out: a failed check
// throws from Flag::wait while the runtime thread may still be inside such a callback.
struct EndFirst {
    Pair& pair;
    ~EndFirst() { pair.end(); }
};

void put_u64(std::uint8_t* p, std::uint64_t v) {
    std::memcpy(p, &v, sizeof v);
}
std::uint64_t get_u64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

ThroughputResult throughput(const std::shared_ptr<Runtime>& runtime, std::uint64_t total,
                            std::size_t message_size) {
    if (message_size < 16) throw std::invalid_argument("message size below 16 bytes");
    constexpr std::size_t high = 1 << 20, low = 512 << 10;
    const std::uint64_t messages = (total + message_size - 1) / message_size;
    Pair p(runtime);
    p.connect();

    // Each message carries its sequence number in its first and last 8 bytes; the receiver
    // checks both and the size, so loss, reordering, duplication or truncation all fail.
    Flag done;
    std::uint64_t expected = 0;  // the receiver's thread only
    p.remote->on_message([&](Message m) {
        if (!m.binary || m.size() != message_size || get_u64(m.data.data()) != expected ||
            get_u64(m.data.data() + message_size - 8) != expected)
            return done.fail(
                "message " + std::to_string(expected) + " is wrong or missing: got " +
                std::to_string(m.size()) + " bytes" + (m.binary ? "" : " of text") +
                (m.size() >= 8 ? ", first sequence number " + std::to_string(get_u64(m.data.data()))
                               : std::string()) +
                (m.size() >= 16 ? ", last " + std::to_string(get_u64(m.data.data() + m.size() - 8))
                                : std::string()));
        if (++expected == messages) done.set();
    });

    Bytes chunk(message_size, 0x42);
    // The first pump runs on this thread, the others on the sender's (on_buffered_amount_low),
    // which with a Runtime of several threads need not be the Runtime's first.
    std::mutex pump_mutex;
    std::uint64_t next = 0;
    auto pump = [&] {
        std::lock_guard lock(pump_mutex);
        while (next < messages && p.local->buffered_amount() + message_size <= high) {
            put_u64(chunk.data(), next);
            put_u64(chunk.data() + message_size - 8, next);
            p.local->send(chunk);
            ++next;
        }
    };
    const EndFirst end_first{p};
    p.local->set_buffered_amount_low_threshold(low);
    p.local->on_buffered_amount_low(pump);

    const double cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    pump();
    // 256 MiB at 1 MB/s would still finish: a bound, not a goal.
    done.wait(std::chrono::seconds(300), "every message to arrive");
    ThroughputResult r;
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.cpu_seconds = cpu_seconds() - cpu0;
    r.mb_per_s = double(messages * message_size) / 1e6 / r.seconds;
    p.local->on_buffered_amount_low(nullptr);
    p.remote->on_message(nullptr);
    return r;
}

double setup_ms(const std::shared_ptr<Runtime>& runtime) {
    const auto t0 = Clock::now();
    Pair p(runtime);
    p.connect();
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::vector<double> round_trips_us(const std::shared_ptr<Runtime>& runtime, int count,
                                   int warm_up) {
    Pair p(runtime);
    p.connect();
    constexpr std::size_t size = 100;
    p.remote->on_message([ch = p.remote.get()](Message m) { ch->send(ByteSpan(m.data)); });

    // The next ping is sent from the callback of the previous pong: the runtime thread does
    // everything, so each sample is the stack's time and not a thread wake-up. The first is sent
    // from here: send() hands it to the sender's thread, and what this thread wrote before is
    // visible there.
    const int total = count + warm_up;
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(count));
    Bytes ping(size, 0x50);
    std::uint64_t seq = 0;
    Clock::time_point sent_at;
    Flag done;
    auto send_ping = [&] {
        put_u64(ping.data(), seq);
        sent_at = Clock::now();
        p.local->send(ping);
    };
    const EndFirst end_first{p};
    p.local->on_message([&](Message m) {
        const auto now = Clock::now();
        if (!m.binary || m.size() != size || get_u64(m.data.data()) != seq)
            return done.fail("pong " + std::to_string(seq) + " is wrong");
        if (seq >= static_cast<std::uint64_t>(warm_up))
            us.push_back(std::chrono::duration<double, std::micro>(now - sent_at).count());
        if (++seq == static_cast<std::uint64_t>(total)) return done.set();
        send_ping();
    });
    send_ping();
    done.wait(std::chrono::seconds(60), "the ping-pongs");
    p.local->on_message(nullptr);
    p.remote->on_message(nullptr);
    return us;
}

void set_certificate(Certificate certificate) {
    certificates = {std::move(certificate)};
}

void set_max_streams(std::uint16_t streams) {
    max_streams = streams;
}

ScaleResult scale(const std::shared_ptr<Runtime>& runtime, int pairs) {
    // Up to `window` pairs are set up at once: their handshakes overlap on the runtime thread.
    constexpr int window = 32;
    ScaleResult r;
    // One pair first, not counted: the process-wide start-up (OpenSSL, usrsctp, the runtime
    // thread) is not a cost per pair.
    Pair warm_up(runtime);
    warm_up.connect();
    r.rss_before_kb = proc_status("VmRSS");
    std::vector<std::unique_ptr<Pair>> all;
    all.reserve(static_cast<std::size_t>(pairs));
    const double cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    for (int begin = 0; begin < pairs; begin += window) {
        const int end = std::min(pairs, begin + window);
        for (int i = begin; i < end; ++i) {
            all.push_back(std::make_unique<Pair>(runtime));
            all.back()->start();
        }
        for (int i = begin; i < end; ++i)
            all[static_cast<std::size_t>(i)]->answer();
        for (int i = begin; i < end; ++i)
            all[static_cast<std::size_t>(i)]->finish();
    }
    // One message on every channel, checked.
    std::vector<std::unique_ptr<Flag>> got;
    for (int i = 0; i < pairs; ++i) {
        got.push_back(std::make_unique<Flag>());
        auto& flag = *got.back();
        const std::string want = "pair " + std::to_string(i);
        all[static_cast<std::size_t>(i)]->remote->on_message([&flag, want](Message m) {
            if (m.binary || m.text() != want) return flag.fail("wrong message on " + want);
            flag.set();
        });
        all[static_cast<std::size_t>(i)]->local->send(want);
    }
    for (auto& flag : got)
        flag->wait(kSetupDeadline, "a message on every pair");
    r.establish_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.establish_cpu_seconds = cpu_seconds() - cpu0;
    r.peak_rss_kb = proc_status("VmHWM");
    r.kb_per_pair = (proc_status("VmRSS") - r.rss_before_kb) / pairs;
    r.threads = static_cast<int>(proc_status("Threads"));
    for (auto& p : all)
        p->remote->on_message(nullptr);
    return r;
}

}  // namespace floe::cli::bench
