// `floe bench all --smoke`: every workload of docs/performance.md with tiny sizes, as a
// correctness check (each message is sequence-checked inside the bench). Speed is not asserted.
#include <doctest/doctest.h>

#include <string>

#include "support/process.hpp"

using namespace floe::test;
using namespace std::chrono_literals;

TEST_CASE("floe bench all --smoke runs every workload and every message arrives in order") {
    auto bench = Process::spawn({FLOE_CLI_PATH, "bench", "all", "--smoke", "--json"});
    const auto status = bench.wait(60s);
    INFO("stdout: " << bench.out() << "\nstderr: " << bench.err());
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    for (const char* name : {"\"W1\"", "\"W2\"", "\"W3\"", "\"W4\"", "\"W5\"",
                             "\"setup_fresh_process\"", "\"scale_4_pairs\""})
        CHECK(bench.out().find(name) != std::string::npos);
}
