// The JSEP signaling state machine (session::Signaling) under any sequence of calls: each input
// byte is one set_local/set_remote_description of some type with a well-formed offer, answer or
// (last) the rest of the input as the description text; 0xfe also asks for an ICE restart. A
// refused call must leave the state and both descriptions exactly as they were; nothing may throw
// anything but floe::Error.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <floe/certificate.hpp>
#include <floe/error.hpp>

#include "common/random.hpp"
#include "session/signaling.hpp"

namespace {

using floe::session::Signaling;

Signaling make(std::uint64_t seed) {
    static const floe::Fingerprint fingerprint =
        *floe::Fingerprint::parse(floe::Certificate::generate().fingerprint());
    static floe::SeededRandom restarts(99);  // the credentials of ICE restarts
    floe::SeededRandom random(seed);
    return Signaling(Signaling::Local{floe::ice::random_credentials(random), fingerprint,
                                      floe::default_max_message_size, seed},
                     restarts);
}

struct Texts {
    std::string offer, answer;
    Texts() {
        Signaling a = make(1), b = make(2);
        offer = a.create_offer().sdp;
        b.set_remote_description({floe::SdpType::offer, offer});
        answer = b.create_answer().sdp;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Texts texts;
    Signaling s = make(3);
    for (size_t i = 0; i < size; ++i) {
        const uint8_t op = data[i];
        const bool local = op & 1;
        const auto type = static_cast<floe::SdpType>((op >> 1) % 4);
        const int text = (op >> 3) % 3;
        std::string sdp = text == 0 ? texts.offer : texts.answer;
        if (text == 2) sdp.assign(reinterpret_cast<const char*>(data + i + 1), size - i - 1);
        const auto state = s.state();
        const auto local_before = s.local_description();
        const auto remote_before = s.remote_description();
        try {
            if (local)
                s.set_local_description(floe::SessionDescription{type, sdp});
            else
                s.set_remote_description(floe::SessionDescription{type, sdp});
        } catch (const floe::Error&) {
            if (s.state() != state || s.local_description() != local_before ||
                s.remote_description() != remote_before)
                std::abort();
        }
        if (op == 0xfe) s.restart_ice();
        if (op == 0xff) s.close();
        if (text == 2) break;
    }
    return 0;
}
