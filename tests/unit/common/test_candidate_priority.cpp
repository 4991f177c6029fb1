#include <doctest/doctest.h>

#include <floe/ice/candidate.hpp>

using namespace floe::ice;

TEST_CASE("candidate priority follows RFC 8445 §5.1.2.1") {
    CHECK(compute_priority(CandidateType::host, 65535, 1) == (126u << 24) + (65535u << 8) + 255u);
    CHECK(compute_priority(CandidateType::relay, 0, 1) == 255u);
    CHECK(compute_priority(CandidateType::host, 1, 1) > compute_priority(CandidateType::prflx, 65535, 1));
}

TEST_CASE("pair priority follows RFC 8445 §6.1.2.3 and breaks ties toward the controlling side") {
    CHECK(pair_priority(10, 20) == (10ull << 32) + 40 + 0);
    CHECK(pair_priority(20, 10) == (10ull << 32) + 40 + 1);
    CHECK(pair_priority(20, 10) > pair_priority(10, 20));
}
