// The process plumbing of `floe bench W6`: child processes of this binary with a line protocol on
// their stdin/stdout, lines read with deadlines, Unix-socket addresses, and what /proc says about a
// process's and the machine's CPU time. Nothing here knows about WebRTC.
#pragma once

#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace floe::cli::bench {

// Raises this process's open-file limit to its hard limit: each PeerConnection takes a socket, and
// a thousand clients need more than the usual 1,024.
void raise_fd_limit();

// Writes all of `text`; throws std::runtime_error when the descriptor fails.
void write_all(int fd, std::string_view text);

sockaddr_un unix_address(const std::string& path);  // throws when the path is too long

// Lines from a file descriptor, each read with a deadline. Lines are bounded (a description is a
// few kB; a client's result line carries its round-trip samples).
class LineReader {
  public:
    explicit LineReader(int fd) : fd_(fd) {}
    // nullopt at end of file; throws when the deadline passes.
    std::optional<std::string> next(std::chrono::steady_clock::duration timeout);

  private:
    int fd_;
    std::string buffer_;
};

// A child process of this binary with a pipe to its stdin and one from its stdout. Destroying it
// kills the child (by its PID) unless wait() reaped it.
class Child {
  public:
    explicit Child(const std::vector<std::string>& args);
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    void send(std::string_view line) { write_all(stdin_, std::string(line) + "\n"); }
    // The next line starting with `tag ` (other output is passed through to our stderr).
    std::string expect(std::string_view tag, std::chrono::steady_clock::duration timeout);
    // The exit status, or 128 + the signal that ended it.
    int wait(std::chrono::steady_clock::duration timeout);

  private:
    pid_t pid_ = -1;
    int stdin_ = -1, stdout_ = -1;
    bool reaped_ = false;
    std::optional<LineReader> reader_;
};

// utime + stime of a process, seconds (/proc/PID/stat fields 14 and 15).
double process_cpu_seconds(pid_t pid);

// What the scheduler says of a process's threads, summed over them (/proc/PID/task/*/schedstat,
// nanoseconds there): time on a core, and time runnable but waiting for one. Zeros where the
// kernel keeps no such statistics.
struct SchedulerTimes {
    double running_seconds = 0, waiting_seconds = 0;
};
SchedulerTimes scheduler_times(pid_t pid);

// The machine's CPU time from /proc/stat's first line, in clock ticks: what every core spent
// working (user, nice, system, irq, softirq), what the hypervisor took from this virtual machine
// (steal), and the total including idle time.
struct MachineCpu {
    double busy = 0, steal = 0, total = 0;
};
MachineCpu machine_cpu();

}  // namespace floe::cli::bench
