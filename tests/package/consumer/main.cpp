// A program outside floe's tree: it finds an installed floe with find_package(floe), links
// floe::floe, and uses the public API and a standalone codec.
#include <floe/peer_connection.hpp>
#include <floe/stun/message.hpp>

#include <cstdio>

int main() {
    floe::Configuration cfg;
    cfg.loopback_only = true;
    floe::PeerConnection pc(cfg);
    auto channel = pc.create_data_channel("consumer");
    const std::string offer = pc.create_offer().to_json();
    const std::uint8_t not_stun[] = {0x17, 0xfe, 0xfd};
    const bool rejected = !floe::stun::Message::decode(not_stun).ok();
    std::printf("offer: %zu bytes of JSON; non-STUN bytes rejected: %s\n", offer.size(),
                rejected ? "yes" : "no");
    return offer.find("webrtc-datachannel") != std::string::npos && rejected ? 0 : 1;
}
