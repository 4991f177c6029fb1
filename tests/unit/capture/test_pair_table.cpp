// The candidate-pair table `--trace` prints (and `floe chat`'s /stats): one row per pair in the
// report's order, columns as wide as their widest cell, the selected pair marked.
#include <doctest/doctest.h>

#include <floe/stats.hpp>

#include "rtc/trace.hpp"

using namespace floe;

namespace {

IceCandidateStats candidate(std::string id, bool remote, std::string address, std::uint16_t port,
                            std::string type) {
    IceCandidateStats c;
    c.id = std::move(id);
    c.is_remote = remote;
    c.address = std::move(address);
    c.port = port;
    c.protocol = "udp";
    c.candidate_type = std::move(type);
    return c;
}

}  // namespace

TEST_CASE("the trace's pair table: header, one aligned row per pair, the selected one marked") {
    StatsReport r;
    r.local_candidates = {candidate("L1", false, "198.18.0.1", 5000, "host"),
                          candidate("L2", false, "198.18.0.1", 5002, "srflx")};
    r.remote_candidates = {candidate("R1", true, "198.18.0.2", 6000, "prflx")};
    IceCandidatePairStats a;
    a.id = "CP1";
    a.local_candidate_id = "L1";
    a.remote_candidate_id = "R1";
    a.state = "succeeded";
    a.nominated = true;
    a.priority = 9151314442783293440u;
    a.current_round_trip_time = 0.0123;
    a.requests_sent = 2;
    a.consent_requests_sent = 1;
    a.requests_received = 4;
    a.responses_sent = 4;
    a.responses_received = 3;
    IceCandidatePairStats b;
    b.id = "CP2";
    b.local_candidate_id = "L2";
    b.remote_candidate_id = "R1";
    b.state = "in-progress";
    b.priority = 7962116751041232895u;
    b.requests_sent = 1;
    r.candidate_pairs = {a, b};
    r.transport.emplace().selected_candidate_pair_id = "CP1";

    CHECK(rtc::trace_pair_table(r) ==
          "ICE candidate pairs (2; * selected; requests include consent):\n"
          "      local                  remote                 state        nominated  "
          "priority             rtt      requests s/r  responses s/r\n"
          "      198.18.0.1:5000 host   198.18.0.2:6000 prflx  succeeded *  yes        "
          "9151314442783293440  12.3 ms  3/4           4/3\n"
          "      198.18.0.1:5002 srflx  198.18.0.2:6000 prflx  in-progress  no         "
          "7962116751041232895  -        1/0           0/0");
}

TEST_CASE("a pair whose candidate the report does not hold shows the candidate's id") {
    StatsReport r;
    IceCandidatePairStats p;
    p.local_candidate_id = "ILgone";
    p.remote_candidate_id = "IRgone";
    p.state = "frozen";
    r.candidate_pairs = {p};
    const std::string table = r.candidate_pair_table("");
    CHECK(table.find("ILgone  IRgone  frozen  no") != std::string::npos);
}
