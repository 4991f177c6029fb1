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

void print_help() {
    std::printf(
        "floe %s - a readable WebRTC data-channel stack\n\nusage: floe COMMAND [options]\n\n",
        FLOE_VERSION);
    auto all = floe::cli::commands();
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.name < b.name; });
    for (const auto& c : all)
        std::printf("  %-44.*s %.*s\n", static_cast<int>(c.synopsis.size()), c.synopsis.data(),
                    static_cast<int>(c.summary.size()), c.summary.data());
    std::printf("\ncommon options: --log-level trace|debug|info|warn|error|off\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help" ||
        std::string(argv[1]) == "-h") {
        print_help();
        return argc < 2 ? 2 : 0;
    }
    if (std::string(argv[1]) == "--version" || std::string(argv[1]) == "version") {
        std::printf("floe %s\n", FLOE_VERSION);
        return 0;
    }
    const std::string name = argv[1];
    const auto& all = floe::cli::commands();
    auto it = std::find_if(all.begin(), all.end(), [&](auto& c) { return c.name == name; });
    if (it == all.end()) {
        std::fprintf(stderr, "floe: unknown command '%s' (try 'floe help')\n", name.c_str());
        return 2;
    }
    floe::cli::Args args(std::vector<std::string>(argv + 2, argv + argc));
    try {
        if (auto level = args.value("log-level")) {
            auto parsed = floe::parse_log_level(*level);
            if (!parsed) throw floe::cli::UsageError("unknown --log-level '" + *level + "'");
            floe::set_log_level(*parsed);
        }
        return it->run(args);
    } catch (const floe::cli::UsageError& e) {
        std::fprintf(stderr, "floe %s: %s\nusage: floe %.*s\n", name.c_str(), e.what(),
                     static_cast<int>(it->synopsis.size()), it->synopsis.data());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "floe %s: %s\n", name.c_str(), e.what());
        return 1;
    }
}
