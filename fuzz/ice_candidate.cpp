// The ICE candidate line: parse, write, parse again; the two candidates must be equal, and the
// written form must be stable.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <floe/ice/candidate.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto c = floe::ice::Candidate::parse(text);
    if (!c) return 0;
    const std::string written = c->to_string();
    auto again = floe::ice::Candidate::parse(written);
    if (!again || !(*again == *c) || again->to_string() != written) std::abort();
    (void)c->socket_address();
    (void)c->is_mdns();
    return 0;
}
