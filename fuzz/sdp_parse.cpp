// Session descriptions: parse, write, parse again; the two models must be equal and the written
// text stable. A description JSEP accepts as an offer must get an answer that is itself valid.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <floe/sdp/jsep.hpp>
#include <floe/sdp/session_description.hpp>

namespace {

floe::sdp::LocalParameters local_parameters() {
    floe::sdp::LocalParameters local;
    local.ice_ufrag = "fuzz";
    local.ice_pwd = "0123456789abcdefABCDEF";
    local.fingerprint.digest.assign(32, 0x5a);
    return local;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace floe::sdp;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = parse(text);
    if (!parsed) {
        if (parsed.error().line == 0) std::abort();  // every grammar error names a line
        return 0;
    }
    const std::string written = write(*parsed);
    auto again = parse(written);
    if (!again || !(*again == *parsed) || write(*again) != written) std::abort();

    for (SdpType type : {SdpType::offer, SdpType::answer}) {
        auto from_model = read_remote(*parsed, type);
        auto from_text = read_remote(text, type);
        if (from_model.ok() != from_text.ok()) std::abort();
    }
    if (auto answer = create_answer(*parsed, local_parameters())) {
        const std::string answer_text = write(*answer);
        if (!read_remote(answer_text, SdpType::answer)) std::abort();
    }
    return 0;
}
