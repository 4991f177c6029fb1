// RFC 8122 §5 through a whole PeerConnection: with several a=fingerprint lines in the remote
// description, the certificate is verified with the strongest hash function only.
#include <doctest/doctest.h>

#include <string>

#include <floe/peer_connection.hpp>

#include "e2e_support.hpp"

using namespace floe;
using namespace floe::test;

namespace {

// `description` with `line` added after its (first) a=fingerprint line.
SessionDescription with_extra_fingerprint(SessionDescription description, const std::string& line) {
    const auto at = description.sdp.find("a=fingerprint:");
    REQUIRE(at != std::string::npos);
    const auto end = description.sdp.find("\r\n", at);
    REQUIRE(end != std::string::npos);
    description.sdp.insert(end + 2, line + "\r\n");
    return description;
}

// Offer and answer with complete descriptions; the offerer gets the answer with `extra` added.
PeerConnectionState connect_with(const std::string& extra) {
    PeerConnection a(loopback_config());
    PeerConnection b(loopback_config());
    auto dc = a.create_data_channel("fp");
    a.set_local_description(a.create_offer());
    REQUIRE(eventually([&] { return a.ice_gathering_state() == IceGatheringState::complete; }));
    b.set_remote_description(*a.local_description());
    b.set_local_description(b.create_answer());
    REQUIRE(eventually([&] { return b.ice_gathering_state() == IceGatheringState::complete; }));
    a.set_remote_description(with_extra_fingerprint(*b.local_description(), extra));
    eventually([&] {
        const auto s = a.connection_state();
        return s == PeerConnectionState::connected || s == PeerConnectionState::failed;
    });
    return a.connection_state();
}

std::string hex_bytes(int count, const char* byte) {
    std::string out;
    for (int i = 0; i < count; ++i)
        out += (i ? ":" : "") + std::string(byte);
    return out;
}

}  // namespace

TEST_CASE("a wrong sha-512 fingerprint beside the matching sha-256 one fails the connection") {
    CHECK(connect_with("a=fingerprint:sha-512 " + hex_bytes(64, "AB")) ==
          PeerConnectionState::failed);
}

TEST_CASE("a wrong sha-1 fingerprint beside the matching sha-256 one is not what decides") {
    CHECK(connect_with("a=fingerprint:sha-1 " + hex_bytes(20, "AB")) ==
          PeerConnectionState::connected);
}
