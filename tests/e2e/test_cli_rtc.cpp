// `floe chat` and `floe peer` as processes on loopback: the chat's copy-paste signaling through
// pipes, and two `floe peer`s following the interop driver contract through a signal directory.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <string>
#include <vector>

#include "chat_support.hpp"
#include "support/process.hpp"

using namespace floe::test;
using namespace std::chrono_literals;

TEST_CASE("two floe chat processes connect by copy-paste and exchange lines") {
    TempDir dir;
    const std::string a_in = dir.path() + "/a_in", b_in = dir.path() + "/b_in";
    auto a = spawn_chat("--offer", a_in);
    auto b = spawn_chat("--answer", b_in);
    const int to_a = open_input(a_in);
    const int to_b = open_input(b_in);
    const auto has_lines = [](std::size_t n) {
        return [n](std::string_view out) {
            return static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')) >= n;
        };
    };
    REQUIRE(a.wait_for_output(has_lines(1), 10s));
    const std::string offer = first_line(a.out());
    CHECK(offer.rfind("{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n", 0) == 0);
    write_all(to_b, offer);
    REQUIRE(b.wait_for_output(has_lines(1), 10s));
    const std::string answer = first_line(b.out());
    CHECK(answer.rfind("{\"type\":\"answer\",\"sdp\":", 0) == 0);
    write_all(to_a, answer);
    REQUIRE(a.wait_for_output(
        [&](std::string_view) { return a.err().find("channel open") != std::string::npos; }, 10s));
    write_all(to_a, "hello from a\n");
    REQUIRE(b.wait_for_output(has_lines(2), 10s));
    CHECK(b.out().find("hello from a\n") != std::string::npos);
    write_all(to_b, "h\xc3\xa9llo from b\n");
    REQUIRE(a.wait_for_output(has_lines(2), 10s));
    CHECK(a.out().find("h\xc3\xa9llo from b\n") != std::string::npos);
    // Ctrl-C: a closes the channel; b sees the close and exits without waiting for input.
    a.signal(SIGINT);
    auto sa = a.wait(10s);
    auto sb = b.wait(10s);
    ::close(to_a);
    ::close(to_b);
    REQUIRE(sa);
    REQUIRE(sb);
    CHECK_MESSAGE(*sa == 0, a.err());
    CHECK_MESSAGE(*sb == 0, b.err());
    CHECK(b.err().find("channel closed by the peer") != std::string::npos);
}

TEST_CASE("floe chat explains a wrongly pasted line, keeps waiting, and says why it ends at EOF") {
    TempDir dir;
    const std::string in = dir.path() + "/in";
    REQUIRE(::mkfifo(in.c_str(), 0600) == 0);
    auto b = Process::spawn({"/bin/sh", "-c",
                             "exec " + std::string(FLOE_CLI_PATH) +
                                 " chat --answer --ice-server none --loopback-only < " + in});
    const int to_b = ::open(in.c_str(), O_WRONLY);
    REQUIRE(to_b >= 0);
    write_all(to_b, "hello?\n{\"type\":\"answer\",\"sdp\":\"v=0\"}\n");
    REQUIRE(b.wait_for_output(
        [&](std::string_view) { return b.err().find("not an offer") != std::string::npos; }, 10s));
    CHECK(b.err().find("that is not a description") != std::string::npos);
    ::close(to_b);  // Ctrl-D
    auto sb = b.wait(10s);
    REQUIRE(sb);
    CHECK(*sb == 1);
    CHECK(b.err().find("no offer was pasted") != std::string::npos);
    CHECK(b.out().empty());
}

TEST_CASE("floe chat --offer ended before an answer never reports a peer that never existed") {
    TempDir dir;
    const std::string in = dir.path() + "/in";
    REQUIRE(::mkfifo(in.c_str(), 0600) == 0);
    auto a = Process::spawn({"/bin/sh", "-c",
                             "exec " + std::string(FLOE_CLI_PATH) +
                                 " chat --offer --ice-server none --loopback < " + in});
    const int to_a = ::open(in.c_str(), O_WRONLY);
    REQUIRE(to_a >= 0);
    REQUIRE(a.wait_for_output([](std::string_view out) { return !out.empty(); }, 10s));
    ::close(to_a);  // Ctrl-D instead of an answer
    auto sa = a.wait(10s);
    REQUIRE(sa);
    CHECK(*sa == 1);
    CHECK(a.err().find("no answer was pasted") != std::string::npos);
    CHECK(a.err().find("closed by the peer") == std::string::npos);
}

TEST_CASE("two floe peers follow the interop driver contract on loopback (send-check, bulk)") {
    for (const std::vector<std::string>& mode :
         {std::vector<std::string>{"--mode", "send-check", "--empty"},
          std::vector<std::string>{"--mode", "send-check", "--trickle"},
          std::vector<std::string>{"--mode", "bulk", "--bulk-mib", "8"}}) {
        TempDir dir;
        const std::vector<std::string> common{"--signal",  dir.path(),  "--loopback-only",
                                              "--no-ipv6", "--timeout", "30"};
        std::vector<std::string> answer{FLOE_CLI_PATH, "peer", "--role", "answer"};
        answer.insert(answer.end(), common.begin(), common.end());
        if (mode.back() == "--trickle") answer.push_back("--trickle");
        if (mode[1] == "bulk") answer.insert(answer.end(), {"--bulk-mib", "8"});
        std::vector<std::string> offer{FLOE_CLI_PATH, "peer", "--role", "offer"};
        offer.insert(offer.end(), common.begin(), common.end());
        offer.insert(offer.end(), mode.begin(), mode.end());
        auto b = Process::spawn(answer);
        auto a = Process::spawn(offer);
        auto sa = a.wait(60s);
        REQUIRE(sa);
        CHECK_MESSAGE(*sa == 0, a.err());
        CHECK(a.out().find("RESULT {\"impl\":\"floe\"") == 0);
        CHECK(a.out().find("\"ok\":true") != std::string::npos);
        auto sb = b.wait(20s);
        REQUIRE(sb);
        CHECK_MESSAGE(*sb == 0, b.err());
    }
}
