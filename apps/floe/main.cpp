// floe: the command line. `floe help` lists the subcommands; each is in apps/floe/cmd_*.cpp.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <floe/error.hpp>
#include <floe/log.hpp>

#include "command.hpp"

namespace {

void print_command_help(const floe::cli::Command& c) {
    std::printf("usage: floe %.*s\n\n%.*s\n\noptions:\n%.*s", static_cast<int>(c.synopsis.size()),
                c.synopsis.data(), static_cast<int>(c.summary.size()), c.summary.data(),
                static_cast<int>(c.options.size()), c.options.data());
    std::printf(
        "  --log-level LEVEL       trace, debug, info, warn (default), error or off\n"
        "  --help, -h              this text\n");
}

const floe::cli::Command* find_command(const std::string& name) {
    const auto& all = floe::cli::commands();
    auto it = std::find_if(all.begin(), all.end(), [&](auto& c) { return c.name == name; });
    return it == all.end() ? nullptr : &*it;
}

void print_help() {
    std::printf(
        "floe %s - a readable WebRTC data-channel stack\n\nusage: floe COMMAND [options]\n\n",
        FLOE_VERSION);
    auto all = floe::cli::commands();
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; });
    for (const auto& c : all)
        std::printf("  %-44.*s %.*s\n", static_cast<int>(c.synopsis.size()), c.synopsis.data(),
                    static_cast<int>(c.summary.size()), c.summary.data());
    std::printf(
        "\ncommon options: --log-level trace|debug|info|warn|error|off\n"
        "'floe help COMMAND' or 'floe COMMAND --help' lists a command's options\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help" ||
        std::string(argv[1]) == "-h") {
        if (argc >= 3 && std::string(argv[1]) == "help") {
            const auto* c = find_command(argv[2]);
            if (!c) {
                std::fprintf(stderr, "floe: unknown command '%s' (try 'floe help')\n", argv[2]);
                return 2;
            }
            print_command_help(*c);
            return 0;
        }
        print_help();
        return argc < 2 ? 2 : 0;
    }
    if (std::string(argv[1]) == "--version" || std::string(argv[1]) == "version") {
        std::printf("floe %s\n", FLOE_VERSION);
        return 0;
    }
    const std::string name = argv[1];
    const auto* it = find_command(name);
    if (!it) {
        std::fprintf(stderr, "floe: unknown command '%s' (try 'floe help')\n", name.c_str());
        return 2;
    }
    const std::vector<std::string> words(argv + 2, argv + argc);
    if (std::find_if(words.begin(), words.end(), [](const std::string& w) {
            return w == "--help" || w == "-h";
        }) != words.end()) {
        print_command_help(*it);
        return 0;
    }
    floe::cli::Args args(words);
    try {
        if (auto level = args.value("log-level")) {
            auto parsed = floe::parse_log_level(*level);
            if (!parsed) throw floe::cli::UsageError("unknown --log-level '" + *level + "'");
            floe::set_log_level(*parsed);
        }
        return it->run(args);
    } catch (const floe::cli::UsageError& e) {
        std::fprintf(stderr, "floe %s: %s\nusage: floe %.*s\n(floe %s --help lists the options)\n",
                     name.c_str(), e.what(), static_cast<int>(it->synopsis.size()),
                     it->synopsis.data(), name.c_str());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "floe %s: %s\n", name.c_str(), e.what());
        return 1;
    }
}
