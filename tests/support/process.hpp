// Child processes for end-to-end tests: started with posix_spawn, output captured through pipes,
// every wait bounded by a deadline, ended by PID only (never by name).
//
//   auto server = test::Process::spawn({FLOE_CLI_PATH, "stun-server", "--listen", "127.0.0.1:0"});
//   auto line = server.wait_for_output([](std::string_view out) { return out.find("\n") ... },
//                                      std::chrono::seconds(10));
//   server.signal(SIGTERM);  auto status = server.wait(std::chrono::seconds(10));
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace floe::test {

class Process {
  public:
    // Starts argv[0] (a path, or a name looked up in PATH). Throws std::runtime_error on failure.
    static Process spawn(const std::vector<std::string>& argv);
    Process(Process&& other) noexcept;
    Process& operator=(Process&&) = delete;
    Process(const Process&) = delete;
    // A child still running is killed (SIGKILL, by PID) and reaped.
    ~Process();

    pid_t pid() const { return pid_; }
    // Reads output until `ready(stdout so far)` is true, the child exits, or the deadline passes.
    bool wait_for_output(const std::function<bool(std::string_view)>& ready,
                         std::chrono::milliseconds timeout);
    // Reads output until the child exits; its exit status (or 128+signal), nullopt on deadline.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    void signal(int sig);
    bool running() const { return !status_.has_value(); }

    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }

  private:
    Process() = default;
    // Reads what arrives within `timeout`: the bytes read, or -1 when both pipes are closed.
    long pump(std::chrono::milliseconds timeout);
    void reap(bool block);

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_, err_;
    std::optional<int> status_;
};

struct RunResult {
    std::optional<int> status;  // nullopt: the deadline passed (the child was killed)
    std::string out, err;
};
// Runs a command to completion within `timeout`.
RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// A directory under $TMPDIR removed (recursively) when the object dies.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// Whether `name` is an executable in PATH (or an executable path).
bool find_program(const std::string& name);

}  // namespace floe::test
