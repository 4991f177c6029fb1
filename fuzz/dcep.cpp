// DCEP codec: parse; what parses must encode and parse again to the same message.
#include <cstdlib>
#include <variant>

#include "sctp/dcep.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace floe::sctp;
    auto parsed = parse_dcep(floe::ByteSpan(data, size));
    if (!parsed) return 0;
    if (auto* open = std::get_if<DataChannelOpen>(&*parsed)) {
        auto encoded = encode_dcep(*open);
        if (!encoded) std::abort();
        if (encoded->size() != size) std::abort();  // (a reliable channel's parameter may not)
        auto again = parse_dcep(*encoded);
        if (!again || !std::holds_alternative<DataChannelOpen>(*again) ||
            !(std::get<DataChannelOpen>(*again) == *open))
            std::abort();
    } else if (size != 1) {
        std::abort();  // an ACK is exactly one byte
    }
    return 0;
}
