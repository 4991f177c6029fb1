// The session's W3C stats report (webrtc-stats) after a connection: every object the spec lists
// for a data-channel session, cross-referenced by id, with the ICE pair counters filled in.
#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "sim/peer_topology.hpp"
#include "support/virtual_wall_clock.hpp"

using namespace floe;
using namespace floe::sim;

TEST_CASE("get_stats after connecting: W3C objects that refer to each other, pair counters set") {
    std::optional<test::VirtualWallClock> wall;
    if (std::getenv("FLOE_SIM_REAL_WALL_CLOCK") == nullptr) wall.emplace();
    PeerTopology t(7, {}, [&](Instant now) {
        if (wall) wall->set(now);
    });
    t.start();
    const auto channel = t.a.open_channel(t.net.now(), "stats");
    REQUIRE(
        t.run_until([&] { return t.a.channels[channel].opened && !t.b.incoming.empty(); }, 30s));
    t.a.send(t.net.now(), channel, Bytes(100, 1));
    REQUIRE(t.run_until([&] { return t.b.channels[t.b.incoming.front()].messages == 1; }, 10s));
    // Past one consent interval (RFC 7675: 4-6 s), so a consent request went out.
    t.run_until([] { return false; }, 8s);

    const double wall_ms = 1.7e12;
    const StatsReport r = t.a.core().stats(t.net.now(), wall_ms);
    CHECK(r.timestamp == wall_ms);
    CHECK(r.peer_connection.id == "P");
    CHECK(r.peer_connection.data_channels_opened == 1);

    REQUIRE(r.transport.has_value());
    const TransportStats& tr = *r.transport;
    CHECK(tr.ice_state == "completed");  // the controlling side, after nominating
    CHECK(tr.ice_role == "controlling");
    CHECK(tr.dtls_state == "connected");
    CHECK(tr.tls_version == "FEFD");  // DTLS 1.2
    CHECK((tr.dtls_role == "client" || tr.dtls_role == "server"));
    CHECK_FALSE(tr.dtls_cipher.empty());
    CHECK(tr.selected_candidate_pair_changes == 1);
    CHECK(tr.packets_sent > 0);
    CHECK(tr.bytes_received > 0);
    CHECK(tr.ice_local_username_fragment.size() == 8);

    const IceCandidatePairStats* pair = r.selected_candidate_pair();
    REQUIRE(pair != nullptr);
    CHECK(pair->state == "succeeded");
    CHECK(pair->nominated);
    CHECK(pair->transport_id == tr.id);
    CHECK(pair->requests_sent >= 1);
    CHECK(pair->responses_received >= 1);
    CHECK(pair->requests_received >= 1);
    CHECK(pair->responses_sent == pair->requests_received);
    CHECK(pair->consent_requests_sent >= 1);
    REQUIRE(pair->current_round_trip_time.has_value());
    CHECK(*pair->current_round_trip_time >= 0);  // the default links have no delay
    CHECK(pair->total_round_trip_time >= *pair->current_round_trip_time);
    // DTLS went over this pair: the handshake, and the 100-byte message in a record.
    CHECK(pair->packets_sent >= 2);
    CHECK(pair->bytes_sent > 100);
    CHECK(pair->packets_received >= 2);
    REQUIRE(pair->last_packet_received_timestamp.has_value());
    CHECK(*pair->last_packet_received_timestamp <= wall_ms);
    CHECK(*pair->last_packet_received_timestamp > wall_ms - 30'000);
    CHECK(pair->priority > 0);

    const IceCandidateStats* local = r.candidate(pair->local_candidate_id);
    const IceCandidateStats* remote = r.candidate(pair->remote_candidate_id);
    REQUIRE(local != nullptr);
    REQUIRE(remote != nullptr);
    CHECK(local->type() == "local-candidate");
    CHECK(remote->type() == "remote-candidate");
    CHECK(local->protocol == "udp");
    CHECK_FALSE(local->address.empty());
    CHECK(local->port.has_value());
    CHECK(local->username_fragment == tr.ice_local_username_fragment);
    CHECK(remote->username_fragment ==
          t.b.core().stats(t.net.now(), 0).transport->ice_local_username_fragment);
    CHECK(r.describe(*pair).starts_with("local " + local->address + ":"));

    // Ours and the peer's certificate, the transport naming both.
    REQUIRE(r.certificates.size() == 2);
    REQUIRE(r.local_certificate() != nullptr);
    REQUIRE(r.remote_certificate() != nullptr);
    CHECK(r.local_certificate()->id == tr.local_certificate_id);
    CHECK(r.remote_certificate()->fingerprint_algorithm == "sha-256");
    CHECK(r.remote_certificate()->base64_certificate.size() > 100);
    CHECK(describe(*r.remote_certificate()) ==
          describe(*t.b.core().stats(t.net.now(), 0).local_certificate()));
    // base64 of a DER certificate starts with a SEQUENCE: "MII".
    CHECK(r.local_certificate()->base64_certificate.starts_with("MII"));
    CHECK(r.remote_certificate()->base64_certificate.starts_with("MII"));

    REQUIRE(r.data_channels.size() == 1);
    CHECK(r.data_channels[0].label == "stats");
    CHECK(r.data_channels[0].state == DataChannelState::open);
    CHECK(r.data_channels[0].messages_sent == 1);
    CHECK(r.data_channels[0].bytes_sent == 100);
    CHECK(r.data_channels[0].data_channel_identifier.has_value());
    CHECK(r.floe.messages_sent == 1);
}
