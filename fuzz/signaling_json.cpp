// The browser's signaling JSON: RTCSessionDescriptionInit and RTCIceCandidateInit. Whatever
// parses must write back to JSON that parses to the same value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <floe/signaling.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace floe::sdp;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto d = parse_description_json(text)) {
        auto again = parse_description_json(d->to_json());
        if (!again || !(*again == *d)) std::abort();
    }
    if (auto c = parse_candidate_json(text)) {
        auto again = parse_candidate_json(c->to_json());
        if (!again || !(*again == *c)) std::abort();
        (void)c->parse();
    }
    return 0;
}
