// The value of an a=candidate attribute, i.e. the candidate line after "candidate:", for the SDP
// parser, which has already split the attribute name off.
#pragma once

#include <string_view>

#include <floe/ice/candidate.hpp>

namespace floe::ice {

Result<Candidate, CandidateError> parse_candidate_value(std::string_view value);

}  // namespace floe::ice
