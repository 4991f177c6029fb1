// `floe chat` processes for the CLI tests, each reading its "terminal" from a FIFO: what a test
// writes there is typed into the chat.
#pragma once

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "support/process.hpp"

namespace floe::test {

inline std::string first_line(std::string_view out) {
    return std::string(out.substr(0, out.find('\n') + 1));
}

inline void write_all(int fd, const std::string& text) {
    REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
}

// `floe chat ROLE` (--offer or --answer) on loopback, reading the FIFO `input` it makes.
inline Process spawn_chat(const std::string& role, const std::string& input) {
    REQUIRE(::mkfifo(input.c_str(), 0600) == 0);
    return Process::spawn({"/bin/sh", "-c",
                           "exec " + std::string(FLOE_CLI_PATH) + " chat " + role +
                               " --ice-server none --loopback-only --no-ipv6 < " + input});
}

// The FIFO's writing end (opening it waits for the chat to open its end).
inline int open_input(const std::string& input) {
    const int fd = ::open(input.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    return fd;
}

}  // namespace floe::test
