// The `floe` command line: each subcommand lives in its own cmd_<name>.cpp and registers itself
// with a static FLOE_COMMAND(...) so that adding one touches no shared file.
#pragma once

#include <string_view>
#include <vector>

#include "args.hpp"

namespace floe::cli {

struct Command {
    std::string_view name;
    std::string_view synopsis;  // "stun [URL] [--json] [--timeout-ms N]"
    std::string_view summary;   // one line for `floe help`
    int (*run)(Args& args);     // exit status
    // `floe help NAME` / `floe NAME --help`: one line per option, "  --name VALUE   what it does".
    // tests/e2e/test_cli_help.cpp checks that every option the command reads is listed.
    std::string_view options = {};
};

void register_command(const Command& command);
const std::vector<Command>& commands();

struct CommandRegistration {
    explicit CommandRegistration(const Command& command) { register_command(command); }
};

}  // namespace floe::cli

#define FLOE_CLI_CONCAT_(a, b) a##b
#define FLOE_CLI_CONCAT(a, b) FLOE_CLI_CONCAT_(a, b)
#define FLOE_COMMAND(...)                                          \
    static const ::floe::cli::CommandRegistration FLOE_CLI_CONCAT( \
        floe_command_, __LINE__)(::floe::cli::Command{__VA_ARGS__})
