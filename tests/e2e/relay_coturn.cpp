// Relay candidates through Debian's coturn on 127.0.0.1: two floe PeerConnections with the relay
// policy connect through the TURN server, data verified both ways, the selected pair relay/relay
// and the stats naming the server; wrong credentials give a clear reason (401) quickly.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <floe/log.hpp>
#include <floe/peer_connection.hpp>

#include "coturn.hpp"
#include "e2e_support.hpp"

using namespace floe;
using namespace floe::test;

namespace {

Configuration relay_config(const std::string& url, const std::string& credential = "secret") {
    Configuration c = loopback_config();
    c.ice_transport_policy = IceTransportPolicy::relay;
    c.ice_servers = {IceServer{{url}, "alice", credential}};
    return c;
}

// a offers, b answers, both trickle; a channel opens and a message goes each way.
void connect_and_talk(PeerConnection& a, PeerConnection& b) {
    Inbox at_a, at_b;
    std::shared_ptr<DataChannel> remote;
    std::mutex m;
    b.on_data_channel([&](std::shared_ptr<DataChannel> dc) {
        at_b.attach(dc);
        std::lock_guard lock(m);
        remote = dc;
    });
    auto dc = a.create_data_channel("relayed");
    at_a.attach(dc);
    signal_trickle(a, b);
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }, 20s));
    dc->send("through the relay");
    REQUIRE(eventually([&] { return at_b.size() == 1; }));
    CHECK(at_b.at(0).text() == "through the relay");
    {
        std::lock_guard lock(m);
        REQUIRE(remote);
        remote->send("and back");
    }
    REQUIRE(eventually([&] { return at_a.size() == 1; }));
    CHECK(at_a.at(0).text() == "and back");
}

}  // namespace

TEST_CASE(
    "two floe peers with the relay policy connect through coturn over UDP, TCP and TLS and "
    "exchange data") {
    TurnCoturn coturn(false, true);
    const std::string host = "127.0.0.1:";
    const std::pair<std::string, std::string> runs[] = {
        {"turn:" + host + std::to_string(coturn.port), "udp"},
        {"turn:" + host + std::to_string(coturn.port) + "?transport=tcp", "tcp"},
        {"turns:" + host + std::to_string(coturn.tls_port), "tls"},
    };
    for (const auto& run : runs) {
        const std::string& url = run.first;
        const std::string& protocol = run.second;
        CAPTURE(url);
        Configuration config = relay_config(url);
        config.turn_tls_ca_file = coturn.cert;  // coturn's self-signed certificate, pinned
        PeerConnection a(config);
        PeerConnection b(config);
        connect_and_talk(a, b);
        REQUIRE(eventually([&] { return a.ice_gathering_state() == IceGatheringState::complete; }));
        // The relay policy gathered the relay candidate only (W3C RTCIceTransportPolicy).
        const std::string sdp = a.local_description()->sdp;
        CHECK(contains(sdp, " typ relay raddr "));
        CHECK_FALSE(contains(sdp, " typ host"));
        for (auto* pc : {&a, &b}) {
            const auto stats = pc->get_stats();
            const auto* pair = stats.selected_candidate_pair();
            REQUIRE(pair);
            const std::string line = stats.describe(*pair);
            CAPTURE(line);
            // Both ends relayed: each sends to the other's relayed address through its relay.
            CHECK(contains(line, "local 127.0.0.1:"));
            CHECK(contains(line, "typ relay udp <-> remote"));
            // W3C RTCIceCandidateStats url and relayProtocol on the local relay candidate.
            const auto* local = stats.candidate(pair->local_candidate_id);
            REQUIRE(local);
            CHECK(local->candidate_type == "relay");
            CHECK(local->url == url);
            CHECK(local->relay_protocol == protocol);
        }
        a.close();
        b.close();
    }
    // coturn saw the allocations, the permissions and channels (ChannelBind on the selected
    // pair), not just Send indications, and the deallocations (Refresh with LIFETIME 0): best
    // effort, but on loopback they arrive.
    // Over TCP/TLS closing the connection ends the allocation as well (RFC 8656 §3.1): every
    // one of the six sessions ends.
    const bool seen = eventually([&] {
        const std::string log = coturn.log();
        return count_of(log, "ALLOCATE processed, success") >= 6 &&
               count_of(log, "CHANNEL_BIND processed, success") >= 6 &&
               count_of(log, "REFRESH processed, success") >= 2 &&
               count_of(log, "closed (2nd stage), user <alice>") >= 6;
    });
    const std::string log = coturn.log();
    CHECK_MESSAGE(seen, "allocations "
                            << count_of(log, "ALLOCATE processed, success") << ", channels "
                            << count_of(log, "CHANNEL_BIND processed, success") << ", refreshes "
                            << count_of(log, "REFRESH processed, success") << ", sessions closed "
                            << count_of(log, "closed (2nd stage), user <alice>"));
    CHECK(contains(coturn.log(), "CREATE_PERMISSION processed, success"));
}

TEST_CASE("wrong TURN credentials: no relay candidate, and a reason naming 401 within seconds") {
    TurnCoturn coturn(false);
    const std::string url = "turn:127.0.0.1:" + std::to_string(coturn.port);
    LogCapture logs;
    PeerConnection pc(relay_config(url, "not-the-secret"));
    std::mutex mutex;
    std::vector<IceCandidateError> errors;
    pc.on_ice_candidate_error([&](const IceCandidateError& e) {
        std::lock_guard lock(mutex);
        errors.push_back(e);
    });
    pc.create_data_channel("x");
    pc.set_local_description(pc.create_offer());
    // Within eventually()'s 10 s, long before the ICE timeout (40 s): the server answers 401 at
    // once, and the allocation fails without waiting for retransmissions.
    REQUIRE(eventually([&] { return pc.ice_gathering_state() == IceGatheringState::complete; }));
    CHECK(logs.has(url, "401"));
    CHECK_FALSE(contains(pc.local_description()->sdp, "a=candidate"));
    // The application hears it as W3C's icecandidateerror, and the stats count it.
    REQUIRE(eventually([&] {
        std::lock_guard lock(mutex);
        return !errors.empty();
    }));
    {
        std::lock_guard lock(mutex);
        CHECK(errors.front().url == url);
        CHECK(errors.front().error_code == 401);
        CHECK_FALSE(errors.front().error_text.empty());
        CHECK(errors.front().address == "127.0.0.1");
    }
    CHECK(pc.get_stats().floe.ice_candidate_errors >= 1);
}

TEST_CASE("a TURN server that goes away fails the relayed pair: ICE and the connection fail") {
    // Over TCP the loss is seen at once (the connection breaks); over UDP it would take the
    // next refresh's timeout.
    TurnCoturn coturn(false);
    const std::string url = "turn:127.0.0.1:" + std::to_string(coturn.port) + "?transport=tcp";
    LogCapture logs;
    PeerConnection a(relay_config(url));
    PeerConnection b(relay_config(url));
    connect_and_talk(a, b);
    REQUIRE(a.ice_connection_state() != IceConnectionState::failed);
    coturn.process->signal(SIGTERM);
    REQUIRE(coturn.process->wait(10s));
    CHECK(eventually([&] { return a.ice_connection_state() == IceConnectionState::failed; }));
    CHECK(eventually([&] { return a.connection_state() == PeerConnectionState::failed; }));
    CHECK(eventually([&] { return b.ice_connection_state() == IceConnectionState::failed; }));
    CHECK(logs.has(url, "allocation lost"));
}
