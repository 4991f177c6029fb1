#include "bench_loss.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace floe::cli::bench {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) {
    g_interrupted.store(true);
}

void check_interrupted() {
    if (g_interrupted.load()) throw std::runtime_error("interrupted");
}

// Runs a shell command of this file's own making (no outside input); throws when it fails.
void sh(const std::string& command) {
    const int rc = std::system(command.c_str());
    if (rc != 0)
        throw std::runtime_error("W7 set-up failed (" + std::to_string(rc) + "): " + command);
}

std::string self_path() {
    char self[4096];
    const auto n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw std::runtime_error("cannot find /proc/self/exe");
    self[n] = '\0';
    return self;
}

// Two namespaces joined by a veth pair, each with lo, eth0 and an egress filter that drops
// anything not sent to loopback or 198.18.0.0/15 (as the interop kit's lib/netns.sh does).
// Segmentation offload and GRO are off on the link so that one loss is one datagram.
class Namespaces {
  public:
    Namespaces() : id_(std::to_string(getpid())) {
        a_ = "floe-w7-" + id_ + "-a";
        b_ = "floe-w7-" + id_ + "-b";
        try {
            up();
        } catch (...) {
            down();
            throw;
        }
    }
    ~Namespaces() { down(); }
    Namespaces(const Namespaces&) = delete;
    Namespaces& operator=(const Namespaces&) = delete;

    const std::string& a() const { return a_; }
    const std::string& b() const { return b_; }

    // Drops `percent` % of the UDP datagrams arriving at each side (0: none).
    void set_loss(int percent) {
        for (const auto& ns : {a_, b_}) {
            sh("ip netns exec " + ns + " nft flush chain inet floe_loss in");
            if (percent > 0)
                sh("ip netns exec " + ns +
                   " nft add rule inet floe_loss in iifname eth0 meta l4proto udp numgen random "
                   "mod 100 '<' " +
                   std::to_string(percent) + " counter drop");
        }
    }

  private:
    void up() {
        const std::string va = "fw7a" + id_, vb = "fw7b" + id_;
        for (const auto& ns : {a_, b_}) {
            sh("ip netns add " + ns);
            created_.push_back(ns);
            sh("ip -n " + ns + " link set lo up");
            sh("ip netns exec " + ns +
               " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
        }
        sh("ip link add " + va + " type veth peer name " + vb);
        sh("ip link set " + va + " netns " + a_);
        sh("ip link set " + vb + " netns " + b_);
        sh("ip -n " + a_ + " link set " + va + " name eth0");
        sh("ip -n " + b_ + " link set " + vb + " name eth0");
        sh("ip -n " + a_ + " addr add 198.19.7.1/24 dev eth0");
        sh("ip -n " + b_ + " addr add 198.19.7.2/24 dev eth0");
        for (const auto& ns : {a_, b_}) {
            sh("ip -n " + ns + " link set eth0 up");
            sh("ip netns exec " + ns +
               " ethtool -K eth0 tx-udp-segmentation off gro off >/dev/null");
            sh("ip netns exec " + ns +
               " nft -f - <<'NFT'\n"
               "table inet floe_w7 {\n"
               "  chain out {\n"
               "    type filter hook output priority 0; policy accept;\n"
               "    oifname \"lo\" accept\n"
               "    meta nfproto ipv4 ip daddr 198.18.0.0/15 accept\n"
               "    drop\n"
               "  }\n"
               "}\n"
               "table inet floe_loss {\n"
               "  chain in { type filter hook input priority 0; }\n"
               "}\n"
               "NFT");
        }
    }
    void down() {
        for (const auto& ns : created_)
            std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
        created_.clear();
    }

    std::string id_, a_, b_;
    std::vector<std::string> created_;
};

// One `floe peer` started by us inside a namespace, stdout and stderr into files; ended by PID.
class Child {
  public:
    Child(const std::string& ns, const std::vector<std::string>& peer_args, const fs::path& out,
          const fs::path& err) {
        std::vector<std::string> argv = {"ip", "netns", "exec", ns, self_path(), "peer"};
        argv.insert(argv.end(), peer_args.begin(), peer_args.end());
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const int in = open("/dev/null", O_RDONLY);
            const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (in < 0 || o < 0 || e < 0) _exit(127);
            dup2(in, 0);
            dup2(o, 1);
            dup2(e, 2);
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            std::vector<char*> raw;
            for (auto& s : argv)
                raw.push_back(s.data());
            raw.push_back(nullptr);
            execvp("ip", raw.data());
            _exit(127);
        }
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // Exit status, or nullopt when it is still running at the deadline (or we were interrupted).
    std::optional<int> wait_until(Clock::time_point deadline) {
        while (pid_ > 0) {
            int status = 0;
            const pid_t r = waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            if (Clock::now() >= deadline || g_interrupted.load()) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return std::nullopt;
    }
    // SIGTERM, then SIGKILL a second later.
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        const bool interrupted = g_interrupted.exchange(false);  // let wait_until wait
        if (!wait_until(Clock::now() + std::chrono::seconds(1)) && pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
        if (interrupted) g_interrupted.store(true);
    }

  private:
    pid_t pid_ = -1;
};

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A number after "key": in a RESULT line (every key used here appears once).
std::optional<double> number(const std::string& json, const std::string& key) {
    const auto at = json.find("\"" + key + "\":");
    if (at == std::string::npos) return std::nullopt;
    const char* start = json.c_str() + at + key.size() + 3;
    char* end = nullptr;
    const double v = std::strtod(start, &end);
    if (end == start) return std::nullopt;
    return v;
}

struct RunResult {
    std::string offer;   // the offerer's RESULT line (the active side)
    std::string answer;  // the echo side's
};

// One pair: the answerer echoes, the offerer runs `mode` with `mode_args`. Throws on failure.
RunResult run_pair(const Namespaces& ns, const std::string& mode,
                   const std::vector<std::string>& mode_args, double timeout_s) {
    char tmpl[] = "/tmp/floe-w7-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    const fs::path dir = tmpl;
    const fs::path signal = dir / "signal";
    fs::create_directory(signal);
    const std::string timeout = std::to_string(static_cast<int>(timeout_s));
    std::vector<std::string> answer_args = {"--role", "answer", "--signal",  signal.string(),
                                            "--mode", "echo",   "--timeout", timeout};
    std::vector<std::string> offer_args = {"--role", "offer", "--signal",  signal.string(),
                                           "--mode", mode,    "--timeout", timeout};
    offer_args.insert(offer_args.end(), mode_args.begin(), mode_args.end());
    answer_args.insert(answer_args.end(), mode_args.begin(), mode_args.end());
    RunResult result;
    std::string failure;
    {
        Child answer(ns.b(), answer_args, dir / "answer.stdout", dir / "answer.log");
        const auto ready_by = Clock::now() + std::chrono::seconds(10);
        while (!fs::exists(signal / "answer.ready") && Clock::now() < ready_by) {
            check_interrupted();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        Child offer(ns.a(), offer_args, dir / "offer.stdout", dir / "offer.log");
        const auto rc = offer.wait_until(
            Clock::now() + std::chrono::milliseconds(static_cast<int>(timeout_s * 1000) + 3000));
        check_interrupted();
        // The echo side notices the channel close and exits; else it is stopped.
        answer.wait_until(Clock::now() + std::chrono::seconds(3));
        result.offer = read_file(dir / "offer.stdout");
        result.answer = read_file(dir / "answer.stdout");
        if (!rc)
            failure = "the offerer did not finish in time";
        else if (*rc != 0 || result.offer.find("\"ok\":true") == std::string::npos)
            failure = "the offerer failed: " + result.offer;
    }
    if (!failure.empty())
        throw std::runtime_error("W7 " + mode + ": " + failure + " (logs in " + dir.string() + ")");
    fs::remove_all(dir);
    return result;
}

std::string mib_text(double mib) {
    char s[32];
    std::snprintf(s, sizeof s, "%g", mib);
    return s;
}

}  // namespace

void loss_workload(const LossOptions& o, const FigureSink& figure) {
    if (geteuid() != 0) throw std::runtime_error("W7 needs root (network namespaces)");
    g_interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    struct sigaction old_int {
    }, old_term{};
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct Restore {
        struct sigaction i, t;
        ~Restore() {
            sigaction(SIGINT, &i, nullptr);
            sigaction(SIGTERM, &t, nullptr);
        }
    } restore{old_int, old_term};

    Namespaces ns;
    for (const int rate : o.rates) {
        check_interrupted();
        ns.set_loss(rate);
        const std::string prefix = "loss_" + std::to_string(rate) + "pct_";
        const double mib = o.mib > 0 ? o.mib : rate >= 20 ? 4 : rate >= 10 ? 8 : 16;
        // Content first: every message echoed back, checked byte for byte and in order.
        run_pair(ns, "send-check", {"--count", "100"}, o.run_timeout_s);
        std::vector<double> rate_mbps, open_ms, retransmitted, fast, t3;
        for (int i = 0; i < o.runs; ++i) {
            const auto r = run_pair(ns, "bulk", {"--bulk-mib", mib_text(mib)}, o.run_timeout_s);
            rate_mbps.push_back(number(r.offer, "bulk_MBps").value_or(0));
            open_ms.push_back(number(r.offer, "time_to_open_ms").value_or(0));
            // The offerer sends the data: its retransmissions are the ones that count.
            retransmitted.push_back(number(r.offer, "retransmitted_chunks").value_or(0));
            fast.push_back(number(r.offer, "fast_retransmits").value_or(0));
            t3.push_back(number(r.offer, "t3_timeouts").value_or(0));
        }
        const std::string bulk = prefix + "bulk_" + mib_text(mib) + "MiB";
        figure(bulk + "_throughput", rate_mbps, "MB/s");
        figure(prefix + "time_to_open", open_ms, "ms");
        figure(bulk + "_retransmitted_chunks", retransmitted, "chunks");
        figure(bulk + "_fast_retransmits", fast, "chunks");
        figure(bulk + "_t3_timeouts", t3, "timeouts");
        if (std::find(o.ping_rates.begin(), o.ping_rates.end(), rate) != o.ping_rates.end()) {
            std::vector<double> median, p90;
            for (int i = 0; i < o.runs; ++i) {
                const auto r =
                    run_pair(ns, "ping", {"--count", std::to_string(o.pings)}, o.run_timeout_s);
                median.push_back(number(r.offer, "rtt_median_ms").value_or(0));
                p90.push_back(number(r.offer, "rtt_p90_ms").value_or(0));
            }
            figure(prefix + "round_trip_100B_median", median, "ms");
            figure(prefix + "round_trip_100B_p90", p90, "ms");
        }
    }
}

}  // namespace floe::cli::bench
