#include <floe/ice/candidate.hpp>

#include <algorithm>

namespace floe::ice {

std::uint32_t type_preference(CandidateType type) {
    switch (type) {  // RFC 8445 §5.1.2.2
        case CandidateType::host:
            return 126;
        case CandidateType::prflx:
            return 110;
        case CandidateType::srflx:
            return 100;
        case CandidateType::relay:
            return 0;
    }
    return 0;
}

std::uint32_t compute_priority(CandidateType type, std::uint16_t local_preference,
                               std::uint16_t component) {
    return (type_preference(type) << 24) + (std::uint32_t{local_preference} << 8) +
           (256u - std::min<std::uint32_t>(component, 256));
}

std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled) {
    const std::uint64_t g = controlling, d = controlled;
    return (std::min(g, d) << 32) + 2 * std::max(g, d) + (g > d ? 1 : 0);
}

}  // namespace floe::ice
