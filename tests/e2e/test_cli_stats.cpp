// `floe chat`'s /stats and /stats json: the W3C stats report of a live session, read back as a
// table and as JSON that Python's json module parses and whose objects refer to each other.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include <algorithm>
#include <string>
#include <vector>

#include "chat_support.hpp"
#include "support/process.hpp"

using namespace floe::test;
using namespace std::chrono_literals;

namespace {

// Checks a W3C stats JSON (an object keyed by id) with Python: every value has id, timestamp and
// type; the transport's selected pair exists, is succeeded and nominated, and its candidates
// exist; the certificates the transport names exist. Prints "ok" or what is wrong.
constexpr const char* check_script = R"(
import json, sys
r = json.load(open(sys.argv[1]))
for k, v in r.items():
    assert v["id"] == k and "timestamp" in v and "type" in v, k
types = sorted({v["type"] for v in r.values()})
for t in ["candidate-pair", "certificate", "data-channel", "local-candidate", "peer-connection",
          "remote-candidate", "transport"]:
    assert t in types, (t, types)
t = [v for v in r.values() if v["type"] == "transport"][0]
p = r[t["selectedCandidatePairId"]]
assert p["state"] == "succeeded" and p["nominated"] is True, p
assert r[p["localCandidateId"]]["type"] == "local-candidate"
assert r[p["remoteCandidateId"]]["type"] == "remote-candidate"
assert p["requestsSent"] + p["requestsReceived"] > 0 and "currentRoundTripTime" in p, p
assert r[t["localCertificateId"]]["fingerprintAlgorithm"] == "sha-256"
assert r[t["remoteCertificateId"]]["base64Certificate"].startswith("MII")
assert t["dtlsState"] == "connected" and t["tlsVersion"] == "FEFD", t
d = [v for v in r.values() if v["type"] == "data-channel"][0]
assert d["label"] == "chat" and d["state"] == "open" and d["messagesSent"] == 1, d
print("ok")
)";

}  // namespace

TEST_CASE("floe chat prints the W3C stats on /stats, and as JSON on /stats json") {
    REQUIRE_MESSAGE(find_program("python3"), "python3 is needed to read the JSON back");
    TempDir dir;
    const std::string a_in = dir.path() + "/a_in", b_in = dir.path() + "/b_in";
    auto a = spawn_chat("--offer", a_in);
    auto b = spawn_chat("--answer", b_in);
    const int to_a = open_input(a_in);
    const int to_b = open_input(b_in);
    const auto has = [](std::string_view what) {
        return [what](std::string_view out) { return out.find(what) != std::string_view::npos; };
    };
    REQUIRE(a.wait_for_output(has("\n"), 10s));
    write_all(to_b, first_line(a.out()));
    REQUIRE(b.wait_for_output(has("\n"), 10s));
    write_all(to_a, first_line(b.out()));
    REQUIRE(a.wait_for_output(
        [&](std::string_view) { return a.err().find("channel open") != std::string::npos; }, 10s));
    write_all(to_a, "one message\n");
    REQUIRE(b.wait_for_output(has("one message\n"), 10s));

    write_all(to_a, "/stats\n");
    REQUIRE(a.wait_for_output(has("floe: "), 10s));
    const std::string& text = a.out();
    CHECK(text.find("candidate pairs") != std::string::npos);
    // The selected pair's row: succeeded (marked *), nominated.
    CHECK(text.find("succeeded *  yes") != std::string::npos);
    CHECK(text.find("DTLS connected") != std::string::npos);
    CHECK(text.find("\"chat\"") != std::string::npos);

    write_all(to_a, "/stats json\n");
    REQUIRE(a.wait_for_output(has("}}\n"), 10s));  // the whole line
    const auto at = a.out().find("{\"P\":");
    REQUIRE(at != std::string::npos);
    const std::string json = a.out().substr(at, a.out().find('\n', at) - at);
    const std::string file = dir.path() + "/stats.json";
    std::ofstream(file) << json;
    const auto checked = run({"python3", "-c", check_script, file}, 20s);
    CHECK_MESSAGE(checked.out == "ok\n", checked.err << "\n" << json);

    // Commands are not messages: the peer saw only the one line.
    write_all(to_a, "last\n");
    REQUIRE(b.wait_for_output(has("last\n"), 10s));
    CHECK(b.out().find("/stats") == std::string::npos);

    a.signal(SIGINT);
    CHECK(a.wait(10s).has_value());
    CHECK(b.wait(10s).has_value());
    ::close(to_a);
    ::close(to_b);
}
