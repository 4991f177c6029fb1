// PeerConnection::get_stats(): the W3C webrtc-stats report (https://w3c.github.io/webrtc-stats/)
// for a data-channel session, as typed structs with the spec's field names in snake_case, and
// to_json() giving the JSON a browser's report has (camelCase names, one object per id with its
// "type"). What floe counts beyond the spec is in StatsReport::floe.
//
//   const floe::StatsReport r = pc.get_stats();
//   if (const auto* pair = r.selected_candidate_pair())
//       std::cout << pair->current_round_trip_time.value_or(0) << " s\n";
//   std::cout << r.to_json() << "\n";
//
// Timestamps are W3C DOMHighResTimeStamps: milliseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/data_channel.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

// RTCIceCandidateStats: type "local-candidate" or "remote-candidate".
struct IceCandidateStats {
    std::string id;
    double timestamp = 0;
    bool is_remote = false;
    std::string transport_id;
    std::string address;
    std::optional<std::uint16_t> port;
    std::string protocol;        // "udp"
    std::string candidate_type;  // "host", "srflx", "prflx", "relay"
    std::optional<std::uint32_t> priority;
    // Local server-reflexive and relay candidates: the ICE server's URL, and for relay candidates
    // the protocol to the TURN server ("udp", "tcp", "tls"). Empty when not known.
    std::string url;
    std::string relay_protocol;
    std::string foundation;
    std::string related_address;
    std::optional<std::uint16_t> related_port;
    std::string username_fragment;

    std::string_view type() const { return is_remote ? "remote-candidate" : "local-candidate"; }
};

// RTCIceCandidatePairStats: type "candidate-pair". Round-trip times in seconds (W3C).
struct IceCandidatePairStats {
    std::string id;
    double timestamp = 0;
    std::string transport_id;
    std::string local_candidate_id;
    std::string remote_candidate_id;
    std::string state;  // RTCStatsIceCandidatePairState: frozen, waiting, in-progress, failed,
                        // succeeded
    bool nominated = false;
    // Application data (DTLS) over this pair's path, counted where floe sends and receives it.
    std::uint64_t packets_sent = 0;
    std::uint64_t packets_received = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::optional<double> last_packet_sent_timestamp;
    std::optional<double> last_packet_received_timestamp;
    // Checks answered without a retransmission (Karn's rule) give the round trips.
    double total_round_trip_time = 0;
    std::optional<double> current_round_trip_time;
    std::uint64_t requests_sent = 0;  // connectivity checks, one per transaction
    std::uint64_t requests_received = 0;
    std::uint64_t responses_sent = 0;
    std::uint64_t responses_received = 0;
    std::uint64_t consent_requests_sent = 0;
    // RFC 8445 §6.1.2.3 pair priority. No longer in the W3C dictionary, still reported by
    // browsers and useful to read the checklist order.
    std::uint64_t priority = 0;

    static constexpr std::string_view type() { return "candidate-pair"; }
};

// RTCTransportStats: type "transport" (one: BUNDLE, a data channel only).
struct TransportStats {
    std::string id;
    double timestamp = 0;
    std::uint64_t packets_sent = 0;  // every UDP datagram of the session (STUN included)
    std::uint64_t packets_received = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::string ice_role;  // RTCIceRole: "controlling", "controlled", "unknown"
    std::string ice_local_username_fragment;
    std::string dtls_state;  // RTCDtlsTransportState: new, connecting, connected, closed, failed
    std::string ice_state;   // RTCIceTransportState
    std::string selected_candidate_pair_id;
    std::string tls_version;  // "FEFD" for DTLS 1.2, once connected
    std::string dtls_cipher;  // OpenSSL's name, e.g. "ECDHE-ECDSA-AES128-GCM-SHA256"
    std::string dtls_role;    // RTCDtlsRole: "client", "server", "unknown"
    std::string local_certificate_id;
    std::string remote_certificate_id;
    std::uint32_t selected_candidate_pair_changes = 0;

    static constexpr std::string_view type() { return "transport"; }
};

// RTCCertificateStats: type "certificate".
struct CertificateStats {
    std::string id;
    double timestamp = 0;
    std::string fingerprint;            // "AB:CD:..."
    std::string fingerprint_algorithm;  // "sha-256"
    std::string base64_certificate;     // DER

    static constexpr std::string_view type() { return "certificate"; }
};

// RTCDataChannelStats: type "data-channel". Channels closed and forgotten are not listed (their
// counts stay in StatsReport::floe's totals and peer_connection.data_channels_closed).
struct DataChannelStats {
    std::string id;
    double timestamp = 0;
    std::string label;
    std::string protocol;
    std::optional<std::uint16_t> data_channel_identifier;  // the SCTP stream, once known
    DataChannelState state = DataChannelState::connecting;
    std::uint64_t messages_sent = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t bytes_received = 0;

    static constexpr std::string_view type() { return "data-channel"; }
};

// RTCPeerConnectionStats: type "peer-connection".
struct PeerConnectionStats {
    std::string id;
    double timestamp = 0;
    std::uint32_t data_channels_opened = 0;  // reached "open"
    std::uint32_t data_channels_closed = 0;  // closed after being open

    static constexpr std::string_view type() { return "peer-connection"; }
};

// Not in the W3C dictionaries: what floe counts besides. In JSON, one object of type "floe".
struct FloeStats {
    // Data-channel payload over every channel, closed ones included.
    std::uint64_t messages_sent = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t bytes_received = 0;
    // Wire input dropped and counted, never an error: datagrams other than STUN from addresses
    // ICE has not validated, STUN that was malformed, unauthenticated or answered no request of
    // ours, and the peer's DATA_CHANNEL_OPENs refused (our id parity, or over the label budget).
    std::uint64_t datagrams_refused = 0;
    std::uint64_t stun_dropped = 0;
    std::uint64_t data_channels_refused = 0;
    // on_ice_candidate_error events so far.
    std::uint64_t ice_candidate_errors = 0;
};

// "127.0.0.1:50000 typ host udp", as the candidate's SDP line says it.
std::string describe(const IceCandidateStats& candidate);
// "sha-256 AB:CD:...", as the SDP a=fingerprint says it.
std::string describe(const CertificateStats& certificate);

struct StatsReport {
    double timestamp = 0;
    PeerConnectionStats peer_connection;
    std::optional<TransportStats> transport;  // once ICE started
    std::vector<IceCandidateStats> local_candidates;
    std::vector<IceCandidateStats> remote_candidates;
    std::vector<IceCandidatePairStats> candidate_pairs;  // highest priority first
    std::vector<CertificateStats> certificates;          // local, then the peer's once known
    std::vector<DataChannelStats> data_channels;
    FloeStats floe;

    // transport->selected_candidate_pair_id's pair, or null.
    const IceCandidatePairStats* selected_candidate_pair() const;
    const IceCandidateStats* candidate(std::string_view id) const;
    const CertificateStats* certificate(std::string_view id) const;
    // Ours (always there), and the peer's once the DTLS handshake presented it.
    const CertificateStats* local_certificate() const;
    const CertificateStats* remote_certificate() const;
    // "local 127.0.0.1:50000 typ host udp <-> remote 127.0.0.1:50001 typ host udp"
    std::string describe(const IceCandidatePairStats& pair) const;

    // The candidate-pair table as webrtc-internals shows it, one line per pair after a header,
    // each line starting with `indent`: local, remote, state, nominated, priority, RTT, requests
    // and responses sent/received.
    std::string candidate_pair_table(std::string_view indent = "  ") const;
    // The whole report as short readable sections (candidates, pairs, transport, certificates,
    // channels, floe's counters), for a terminal (`floe chat`'s /stats).
    std::string to_text() const;

    // A JSON object keyed by stats id, each value a W3C stats object with "id", "timestamp",
    // "type" and the camelCase members (what JSON.stringify(Object.fromEntries(report)) gives
    // in a browser); absent optional members are left out.
    std::string to_json() const;
};

}  // namespace floe

#pragma GCC visibility pop
