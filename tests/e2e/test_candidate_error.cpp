// on_ice_candidate_error (W3C RTCPeerConnectionIceErrorEvent) from a real PeerConnection:
// configuration errors are events with a URL, a code and a text, and counted in the stats, not
// only a warning in the log.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#include "e2e_support.hpp"

using namespace floe;
using namespace floe::test;
using namespace std::chrono_literals;

namespace {

struct Errors {
    std::mutex mutex;
    std::vector<IceCandidateError> seen;
    std::size_t size() {
        std::lock_guard lock(mutex);
        return seen.size();
    }
    IceCandidateError at(std::size_t i) {
        std::lock_guard lock(mutex);
        return seen.at(i);
    }
};

void listen(PeerConnection& pc, Errors& errors) {
    pc.on_ice_candidate_error([&errors](const IceCandidateError& e) {
        std::lock_guard lock(errors.mutex);
        errors.seen.push_back(e);
    });
}

}  // namespace

TEST_CASE("an ICE server name that does not resolve is error 701 naming the host, at gathering") {
    // RFC 6761 §6.4: names under .invalid fail in the resolver itself; no DNS query is sent.
    Configuration config = loopback_config();
    config.ice_servers = {"stun:nonexistent.invalid"};
    PeerConnection pc(config);
    Errors errors;
    listen(pc, errors);
    pc.create_data_channel("x");
    CHECK(errors.size() == 0);  // an event of gathering, which has not started
    pc.set_local_description(pc.create_offer());
    REQUIRE(eventually([&] { return errors.size() == 1; }));
    const IceCandidateError e = errors.at(0);
    CHECK(e.url == "stun:nonexistent.invalid:3478");
    CHECK(e.error_code == 701);
    CHECK(e.error_text.find("nonexistent.invalid") != std::string::npos);
    CHECK(e.address.empty());
    CHECK_FALSE(e.port.has_value());
    CHECK(pc.get_stats().floe.ice_candidate_errors == 1);
    // Gathering goes on with the host candidates.
    REQUIRE(eventually([&] { return pc.ice_gathering_state() == IceGatheringState::complete; }));
    CHECK(pc.local_description()->sdp.find("typ host") != std::string::npos);
}

TEST_CASE("an interface the configuration names and the host lacks is a candidate error") {
    Configuration config = loopback_config();
    config.interfaces = {"lo", "floe-no-such-if0"};
    PeerConnection pc(config);
    Errors errors;
    listen(pc, errors);
    pc.create_data_channel("x");
    pc.set_local_description(pc.create_offer());
    REQUIRE(eventually([&] { return errors.size() == 1; }));
    const IceCandidateError e = errors.at(0);
    CHECK(e.url.empty());
    CHECK(e.error_code == 701);
    CHECK(e.error_text.find("\"floe-no-such-if0\"") != std::string::npos);
    CHECK(pc.get_stats().floe.ice_candidate_errors == 1);
    REQUIRE(eventually([&] { return pc.ice_gathering_state() == IceGatheringState::complete; }));
    CHECK(pc.local_description()->sdp.find("127.0.0.1") != std::string::npos);  // "lo" is used
}

TEST_CASE("gathering that waits on a STUN server says which, while it waits") {
    // A UDP socket on loopback that never answers: the Binding request retransmits for 39.5 s.
    const int mute = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(mute >= 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(mute, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
    socklen_t length = sizeof at;
    REQUIRE(::getsockname(mute, reinterpret_cast<sockaddr*>(&at), &length) == 0);
    const std::string url = "stun:127.0.0.1:" + std::to_string(ntohs(at.sin_port));

    LogCapture logs;
    Configuration config = loopback_config();
    config.ice_servers = {url};
    PeerConnection pc(config);
    pc.create_data_channel("x");
    pc.set_local_description(pc.create_offer());
    // Said 2 s into gathering, naming the server, while gathering still runs.
    REQUIRE(eventually([&] { return logs.has("ICE gathering is waiting for", url); }));
    CHECK(pc.ice_gathering_state() == IceGatheringState::gathering);
    pc.close();
    ::close(mute);
}
