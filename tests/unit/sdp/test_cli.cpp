// `floe sdp`, run as a user would.
#include <doctest/doctest.h>

#include <floe/sdp/jsep.hpp>
#include <floe/signaling.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <string>

#include "sdp_test_support.hpp"

namespace {

struct Run {
    int status = -1;
    std::string output;  // stdout and stderr
};

Run floe_cli(const std::string& arguments) {
    Run r;
    const std::string command = std::string(FLOE_CLI_PATH) + " " + arguments + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
        r.output.append(buf, n);
    const int status = pclose(pipe);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// Runs `floe ARGUMENTS - < file` with `input` in a temporary file (standard input).
Run floe_cli_stdin(const std::string& arguments, const std::string& input) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("floe_sdp_cli_" + std::to_string(::getpid()) + ".sdp");
    {
        std::ofstream out(path, std::ios::binary);
        out << input;
    }
    Run r = floe_cli(arguments + " - < " + path.string());
    std::filesystem::remove(path);
    return r;
}

std::string sample(const char* name) {
    return (sdp_test::samples_dir() / name).string();
}

}  // namespace

TEST_CASE("floe sdp summarises a Chromium offer") {
    auto r = floe_cli("sdp " + sample("chromium/offer.sdp"));
    CHECK(r.status == 0);
    CHECK(r.output.find("ufrag O5fO") != std::string::npos);
    CHECK(r.output.find("setup: actpass") != std::string::npos);
    CHECK(r.output.find("max message size: 262144") != std::string::npos);
    CHECK(r.output.find("host udp 198.18.0.1:33038") != std::string::npos);
    CHECK(r.output.find("modern") != std::string::npos);
}

TEST_CASE("floe sdp --json prints the typed fields of a legacy aiortc offer") {
    auto r = floe_cli("sdp --json " + sample("aiortc/offer.sdp"));
    CHECK(r.status == 0);
    CHECK(r.output.find("\"form\":\"legacy\"") != std::string::npos);
    CHECK(r.output.find("\"max_message_size\":65536") != std::string::npos);
    CHECK(r.output.find("\"end_of_candidates\":true") != std::string::npos);
}

TEST_CASE("floe sdp names the bad line and exits non-zero") {
    auto r = floe_cli_stdin("sdp",
                            "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=application x "
                            "UDP/DTLS/SCTP webrtc-datachannel\n");
    CHECK(r.status == 1);
    CHECK(r.output.find("line 5") != std::string::npos);
    CHECK(r.output.find("port") != std::string::npos);
}

TEST_CASE("floe sdp summarises an audio-only description, and refuses to answer it") {
    const std::string audio_only =
        "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\n";
    auto r = floe_cli_stdin("sdp", audio_only);
    CHECK(r.status == 0);
    CHECK(r.output.find("section 0: audio 9 UDP/TLS/RTP/SAVPF 111") != std::string::npos);
    CHECK(r.output.find("no data section") != std::string::npos);
    auto j = floe_cli_stdin("sdp --json", audio_only);
    CHECK(j.status == 0);
    CHECK(j.output.find("\"data_section\":false") != std::string::npos);
    auto a = floe_cli_stdin("sdp --answer", audio_only);
    CHECK(a.status == 1);
    CHECK(a.output.find("no_data_section") != std::string::npos);
}

TEST_CASE("floe sdp --json reports an error as JSON, with the line's bytes escaped") {
    auto r = floe_cli_stdin("sdp --json",
                            std::string("v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\n\x01\xff=x\n"));
    CHECK(r.status == 1);
    CHECK(r.output.find("{\"error\":{") != std::string::npos);
    CHECK(r.output.find("\"line\":5") != std::string::npos);
    CHECK(r.output.find("\\\\x01\\\\xff=x") != std::string::npos);  // JSON of \x01\xff=x
    CHECK(r.output.find('\x01') == std::string::npos);              // never raw
    CHECK(r.output.find('\xff') == std::string::npos);
}

TEST_CASE("floe sdp given a directory says so") {
    auto r = floe_cli("sdp " + std::filesystem::temp_directory_path().string());
    CHECK(r.status == 2);
    CHECK(r.output.find("is a directory") != std::string::npos);
}

TEST_CASE("floe sdp --answer prints a valid answer in the offer's form") {
    auto r = floe_cli("sdp --answer --seed 7 " + sample("aiortc/offer.sdp"));
    REQUIRE(r.status == 0);
    auto answer = floe::sdp::read_remote(r.output, floe::sdp::SdpType::answer);
    REQUIRE_MESSAGE(answer.ok(), answer.error().message());
    CHECK(answer->form == floe::sdp::DataChannelForm::legacy);
    CHECK(answer->setup == floe::sdp::Setup::active);
    // The same seed gives the same answer.
    CHECK(floe_cli("sdp --answer --seed 7 " + sample("aiortc/offer.sdp")).output == r.output);
}

TEST_CASE("floe sdp without a file is a usage error") {
    CHECK(floe_cli("sdp").status == 2);
    CHECK(floe_cli("sdp --type banana " + sample("chromium/offer.sdp")).status == 2);
}

TEST_CASE("floe sdp --offer prints an offer floe itself accepts, as text or JSON") {
    auto r = floe_cli("sdp --offer --seed 3");
    REQUIRE(r.status == 0);
    auto offer = floe::sdp::read_remote(r.output, floe::sdp::SdpType::offer);
    REQUIRE_MESSAGE(offer.ok(), offer.error().message());
    CHECK(offer->setup == floe::sdp::Setup::actpass);
    CHECK(offer->form == floe::sdp::DataChannelForm::modern);
    auto json = floe_cli("sdp --offer --seed 3 --json");
    REQUIRE(json.status == 0);
    auto init = floe::sdp::parse_description_json(json.output);
    REQUIRE(init.ok());
    CHECK(init->type == floe::sdp::SdpType::offer);
    CHECK(init->sdp == r.output);
    CHECK(floe_cli("sdp --offer " + sample("chromium/offer.sdp")).status == 2);
}
