#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace floe::test {

namespace {
using Clock = std::chrono::steady_clock;
}

Process Process::spawn(const std::vector<std::string>& argv) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        throw std::runtime_error("pipe failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    Process p;
    const int rc = posix_spawnp(&p.pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(out[0]);
        close(err[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    p.out_fd_ = out[0];
    p.err_fd_ = err[0];
    return p;
}

Process::Process(Process&& o) noexcept
    : pid_(o.pid_),
      out_fd_(o.out_fd_),
      err_fd_(o.err_fd_),
      out_(std::move(o.out_)),
      err_(std::move(o.err_)),
      status_(o.status_) {
    o.pid_ = -1;
    o.out_fd_ = o.err_fd_ = -1;
}

Process::~Process() {
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
}

void Process::signal(int sig) {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

void Process::reap(bool block) {
    if (pid_ <= 0 || status_) return;
    int st = 0;
    const pid_t r = waitpid(pid_, &st, block ? 0 : WNOHANG);
    if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

long Process::pump(std::chrono::milliseconds timeout) {
    pollfd fds[2];
    int n = 0;
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    if (n == 0) return -1;
    if (::poll(fds, n, static_cast<int>(timeout.count())) <= 0) return 0;
    long total = 0;
    for (int i = 0; i < n; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[4096];
        const ssize_t got = read(fds[i].fd, buf, sizeof buf);
        std::string& sink = fds[i].fd == out_fd_ ? out_ : err_;
        if (got > 0) {
            sink.append(buf, static_cast<std::size_t>(got));
            total += got;
        } else if (got == 0 || errno != EINTR) {
            int& fd = fds[i].fd == out_fd_ ? out_fd_ : err_fd_;
            close(fd);
            fd = -1;
        }
    }
    return total;
}

bool Process::wait_for_output(const std::function<bool(std::string_view)>& ready,
                              std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (ready(out_)) return true;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        if (pump(left) < 0) {  // both pipes closed: the child is gone
            reap(true);
            return ready(out_);
        }
    }
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!status_) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return std::nullopt;
        // Output first (EOF comes with the exit), then a non-blocking look at the exit itself.
        if (pump(std::min(left, std::chrono::milliseconds(50))) < 0) {
            reap(true);
            break;
        }
        reap(false);
    }
    // What the child wrote just before exiting; never block (a grandchild may hold the pipe).
    while (pump(std::chrono::milliseconds(0)) > 0) {
    }
    return status_;
}

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    Process p = Process::spawn(argv);
    RunResult r;
    r.status = p.wait(timeout);
    r.out = p.out();
    r.err = p.err();
    return r;  // a child past its deadline is killed by ~Process
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/floe-test-XXXXXX";
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

bool find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0;
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const auto end = dirs.find(':', start);
        const std::string dir =
            dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return true;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return false;
}

}  // namespace floe::test
