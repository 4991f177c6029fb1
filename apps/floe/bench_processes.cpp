#include "bench_processes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace floe::cli::bench {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

void write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("W6: write failed: " + std::string(strerror(errno)));
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.size() >= sizeof a.sun_path) throw std::runtime_error("W6: socket path too long");
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    return a;
}

std::optional<std::string> LineReader::next(Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
            std::string line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        if (buffer_.size() > (64u << 20)) throw std::runtime_error("W6: line too long");
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) throw std::runtime_error("W6: timed out waiting for a line");
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000))) <= 0) continue;
        char chunk[65536];
        const ssize_t n = ::read(fd_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

Child::Child(const std::vector<std::string>& args) {
    char self[4096];
    const auto n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw std::runtime_error("W6: cannot find /proc/self/exe");
    self[n] = '\0';
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error("W6: pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> argv{self};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    for (auto& a : argv)
        c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, self, &actions, nullptr, c_argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    if (rc != 0) throw std::runtime_error("W6: cannot start a child process");
    reader_.emplace(stdout_);
}

Child::~Child() {
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ > 0 && !reaped_) {
        ::kill(pid_, SIGKILL);  // only our own child, by its PID
        waitpid(pid_, nullptr, 0);
    }
    ::close(stdout_);
}

std::string Child::expect(std::string_view tag, Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto line = reader_->next(std::max<Clock::duration>(deadline - Clock::now(), 1ms));
        if (!line)
            throw std::runtime_error("W6: a child ended before saying '" + std::string(tag) + "'");
        if (line->rfind(std::string(tag) + " ", 0) == 0) return line->substr(tag.size() + 1);
        std::fprintf(stderr, "%s\n", line->c_str());
    }
}

int Child::wait(Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) throw std::runtime_error("W6: a child did not exit");
        std::this_thread::sleep_for(5ms);
    }
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i)
        fields >> skip;
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

SchedulerTimes scheduler_times(pid_t pid) {
    SchedulerTimes times;
    std::error_code error;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream in(task.path() / "schedstat");
        double running_ns = 0, waiting_ns = 0;
        if (!(in >> running_ns >> waiting_ns)) continue;  // a thread that just ended
        times.running_seconds += running_ns / 1e9;
        times.waiting_seconds += waiting_ns / 1e9;
    }
    return times;
}

MachineCpu machine_cpu() {
    std::ifstream in("/proc/stat");
    std::string label;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
        label != "cpu")
        return {};
    const double busy = user + nice + system + irq + softirq;
    return {busy, steal, busy + steal + idle + iowait};
}

}  // namespace floe::cli::bench
