// `--pcap` and `--trace` on a real session: what a learner is promised (docs/capture.md) is what
// tshark reads back and what the log shows.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/tshark.hpp"

using namespace floe::test;
using namespace std::chrono_literals;

namespace {

// Lines of `tshark ... -r FILE -Y FILTER -T fields -e ...`.
std::vector<std::string> tshark(const std::string& file, const std::string& filter,
                                const std::vector<std::string>& fields) {
    auto argv = tshark_reading(file);
    argv.insert(argv.end(), {"-Y", filter, "-T", "fields"});
    for (const auto& f : fields) {
        argv.push_back("-e");
        argv.push_back(f);
    }
    auto r = run(argv, 120s);
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("floe demo --pcap: tshark decrypts the DTLS and decodes SCTP chunks and DCEP") {
    TempDir dir;
    const std::string file = dir.path() + "/demo.pcapng";
    auto demo = run({FLOE_CLI_PATH, "demo", "--mib", "1", "--pcap", file}, 120s);
    INFO(demo.out << demo.err);
    REQUIRE(demo.status == 0);

    // the wire view: STUN checks with their USERNAME, the DTLS handshake
    CHECK_FALSE(tshark(file, "stun.att.username", {"frame.number"}).empty());
    CHECK(tshark(file, "dtls.handshake.type == 1", {"frame.interface_name"}) ==
          std::vector<std::string>{"wire"});
    // decrypted with the secrets inside the file (no key log given): both Finished messages,
    // which are encrypted, the server's again ahead of its first record of data (docs/dtls.md,
    // "Records after the handshake"), and every application data record
    CHECK(tshark(file, "dtls.handshake.type == 20", {"frame.number"}).size() == 3);
    CHECK(tshark(file, "dtls.handshake.type == 20 && dtls.record.content_type == 23",
                 {"frame.number"})
              .size() == 1);
    const auto app = tshark(file, "dtls.record.content_type == 23", {"frame.number"});
    const auto decrypted = tshark(file, "dtls.record.content_type == 23 && data", {"frame.number"});
    CHECK(app.size() > 100);
    CHECK(decrypted.size() == app.size());
    // the decrypted view: SCTP over UDP 9899, DCEP OPEN for "demo" and its ACK, text messages
    CHECK(tshark(file, "rtcdc.message_type == 3", {"frame.interface_name", "rtcdc.label"}) ==
          std::vector<std::string>{"decrypted\tdemo"});
    CHECK(tshark(file, "rtcdc.message_type == 2", {"frame.number"}).size() == 1);
    CHECK(tshark(file, "sctp.chunk_type == 0 && udp.port == 9899", {"frame.number"}).size() > 10);
    const auto texts = tshark(file, "sctp.data_payload_proto_id == 51", {"data.data"});
    REQUIRE(texts.size() >= 2);
    CHECK(texts[0] == "70696e67");  // "ping"
    CHECK(texts[1] == "706f6e67");  // "pong"
}

// docs/walkthrough.md follows one `floe demo --mib 0 --pcap` session frame by frame: every step it
// describes is in the capture, in the order it tells.
TEST_CASE("floe demo --pcap: the session of docs/walkthrough.md, step by step and in order") {
    TempDir dir;
    const std::string file = dir.path() + "/walk.pcapng";
    auto demo = run({FLOE_CLI_PATH, "demo", "--mib", "0", "--pcap", file}, 60s);
    INFO(demo.out << demo.err);
    REQUIRE(demo.status == 0);

    // The first frame matching each step; every step must be there, after the one before.
    const std::vector<std::pair<std::string, std::string>> steps{
        {"STUN server request (no USERNAME)", "stun.type == 0x0001 && !stun.att.username"},
        {"connectivity check", "stun.type == 0x0001 && stun.att.username"},
        {"nomination (USE-CANDIDATE)", "stun.att.type == 0x0025"},
        {"ClientHello", "dtls.handshake.type == 1"},
        {"Finished", "dtls.handshake.type == 20"},
        {"SCTP INIT", "sctp.chunk_type == 1"},
        {"COOKIE_ACK", "sctp.chunk_type == 11"},
        {"DCEP OPEN", "rtcdc.message_type == 3"},
        {"DCEP ACK", "rtcdc.message_type == 2"},
        {"text message", "sctp.data_payload_proto_id == 51"},
        {"stream reset (outgoing SSN reset request)", "sctp.parameter_type == 0x000d"},
        {"SHUTDOWN", "sctp.chunk_type == 7"},
        {"SHUTDOWN_COMPLETE", "sctp.chunk_type == 14"},
        {"close_notify", "dtls.alert_message.desc == 0"},
    };
    long previous = 0;
    for (const auto& entry : steps) {
        // (Not a structured binding: clang cannot capture one in INFO's lambda.)
        const std::string& step = entry.first;
        const std::string& filter = entry.second;
        INFO(step << ": " << filter);
        const auto frames = tshark(file, filter, {"frame.number"});
        REQUIRE_FALSE(frames.empty());
        const long first = std::stol(frames.front());
        CHECK(first > previous);
        previous = first;
    }
    // Both peers reset stream 1 (the channel's id: alice, the DTLS server, takes odd ones).
    CHECK(tshark(file, "sctp.parameter_type == 0x000d", {"sctp.parameter_reconfig_sid"}) ==
          std::vector<std::string>{"1", "1"});
}

TEST_CASE(
    "floe peer --trace decodes STUN attributes, integrity and the DTLS handshake, and shows the "
    "ICE candidate-pair table as it changes") {
    TempDir dir;
    const std::vector<std::string> common{"--signal",  dir.path(), "--loopback-only", "--no-ipv6",
                                          "--timeout", "30",       "--trace"};
    std::vector<std::string> answer{FLOE_CLI_PATH, "peer", "--role", "answer"};
    answer.insert(answer.end(), common.begin(), common.end());
    std::vector<std::string> offer{FLOE_CLI_PATH, "peer",       "--role",  "offer",
                                   "--mode",      "send-check", "--count", "2"};
    offer.insert(offer.end(), common.begin(), common.end());
    auto b = Process::spawn(answer);
    auto a = Process::spawn(offer);
    REQUIRE(a.wait(60s) == 0);
    REQUIRE(b.wait(20s) == 0);
    const std::string& log = a.err();
    INFO(log.substr(0, 4000));
    CHECK(log.find("STUN Binding request ") != std::string::npos);
    CHECK(log.find("    USERNAME \"") != std::string::npos);
    CHECK(log.find("    PRIORITY ") != std::string::npos);
    CHECK(log.find("integrity ok (key ") != std::string::npos);
    CHECK(log.find("integrity FAILS") == std::string::npos);
    CHECK(log.find("ClientHello: DTLS 1.2") != std::string::npos);
    CHECK(log.find("Certificate: fingerprint sha-256 ") != std::string::npos);
    CHECK(log.find("DATA_CHANNEL_OPEN") != std::string::npos);  // the association's own line
    // The pair table, printed when a pair appears or changes: its header, then at the end the
    // selected pair succeeded and nominated.
    const auto table = log.find("ICE candidate pairs (");
    REQUIRE(table != std::string::npos);
    CHECK(log.find("local", table) != std::string::npos);
    CHECK(log.find("responses s/r", table) != std::string::npos);
    CHECK(log.find("waiting", table) != std::string::npos);  // before the first check
    const auto selected = log.rfind("succeeded *  yes");
    CHECK(selected != std::string::npos);
    CHECK(selected > table);
}
