// `floe help COMMAND`, `floe COMMAND --help` and `-h` print the command's usage with every option
// it reads: the options are found in the command's own source, so a new option without a help
// line fails here.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace floe::test;
using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The options a source file reads through Args: flag("x"), value("x"), values("x"), integer("x"),
// ordered_values({"x", "y"}).
std::set<std::string> options_read(const std::string& source) {
    static const std::regex read(R"(args\.(flag|value|values|integer)\("([a-z0-9-]+)\")");
    std::set<std::string> out;
    for (std::sregex_iterator it(source.begin(), source.end(), read), end; it != end; ++it)
        out.insert("--" + (*it)[2].str());
    // ordered_values({"a", "b"}): options read together, in command-line order.
    static const std::regex ordered(R"(args\.ordered_values\(\{([^}]*)\})");
    static const std::regex name("\"([a-z0-9-]+)\"");
    for (std::sregex_iterator it(source.begin(), source.end(), ordered), end; it != end; ++it) {
        const std::string list = (*it)[1].str();
        for (std::sregex_iterator n(list.begin(), list.end(), name); n != end; ++n)
            out.insert("--" + (*n)[1].str());
    }
    return out;
}

std::vector<std::string> command_names() {
    const auto help = run({FLOE_CLI_PATH, "help"}, 10s);
    REQUIRE(help.status == 0);
    std::vector<std::string> names;
    std::istringstream lines(help.out);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("  ", 0) == 0) names.push_back(line.substr(2, line.find(' ', 2) - 2));
    return names;
}

}  // namespace

TEST_CASE("every command's --help, -h and help COMMAND list every option it reads, exit 0") {
    const auto names = command_names();
    REQUIRE(names.size() >= 7);  // bench chat demo peer sdp stun stun-server
    const std::string rtc_options = read_file(FLOE_SOURCE_DIR "/apps/floe/rtc_options.cpp");
    for (const auto& name : names) {
        CAPTURE(name);
        const auto by_help = run({FLOE_CLI_PATH, "help", name}, 10s);
        const auto by_flag = run({FLOE_CLI_PATH, name, "--help"}, 10s);
        const auto by_h = run({FLOE_CLI_PATH, name, "-h"}, 10s);
        CHECK(by_help.status == 0);
        CHECK(by_flag.status == 0);
        CHECK(by_h.status == 0);
        CHECK(by_flag.out == by_help.out);
        CHECK(by_h.out == by_help.out);
        CHECK(by_help.out.rfind("usage: floe " + name, 0) == 0);
        std::string file = "cmd_" + name + ".cpp";
        std::replace(file.begin(), file.end(), '-', '_');
        const std::string source = read_file(FLOE_SOURCE_DIR "/apps/floe/" + file);
        REQUIRE_FALSE(source.empty());
        auto wanted = options_read(source);
        if (source.find("read_rtc_options(") != std::string::npos) {
            const auto shared = options_read(rtc_options);
            wanted.insert(shared.begin(), shared.end());
        }
        for (const auto& option : wanted) {
            CAPTURE(option);
            CHECK(by_help.out.find(option) != std::string::npos);
        }
    }
}

TEST_CASE("an unknown option names itself and points to --help") {
    const auto r = run({FLOE_CLI_PATH, "sdp", "--no-such-option", "-"}, 10s);
    CHECK(r.status == 2);
    CHECK(r.err.find("unknown option '--no-such-option'") != std::string::npos);
    CHECK(r.err.find("floe sdp --help") != std::string::npos);
}
