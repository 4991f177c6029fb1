// StatsReport's lookups and its JSON: W3C webrtc-stats objects keyed by id, members in camelCase
// as a browser's RTCStatsReport serialises them (webrtc-stats §2, §7).
#include <algorithm>
#include <charconv>
#include <type_traits>

#include <floe/json.hpp>
#include <floe/stats.hpp>

namespace floe {

namespace {

// One stats object: {"id":..., "timestamp":..., "type":..., members...}.
class Writer {
  public:
    explicit Writer(std::string& out) : out_(out) {}

    void begin(std::string_view id, double timestamp, std::string_view type) {
        if (!first_object_) out_ += ',';
        first_object_ = false;
        json::append_string(out_, id);
        out_ += ":{";
        first_member_ = true;
        str("id", id);
        num("timestamp", timestamp);
        str("type", type);
    }
    void end() { out_ += '}'; }

    void str(std::string_view name, std::string_view value) {
        key(name);
        json::append_string(out_, value);
    }
    // Absent (W3C: the member is not present) when empty.
    void str_opt(std::string_view name, std::string_view value) {
        if (!value.empty()) str(name, value);
    }
    void num(std::string_view name, double value) {
        key(name);
        char buffer[32];
        // Shortest text that reads back as the same double.
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
        out_.append(buffer, end);
    }
    void num(std::string_view name, std::uint64_t value) {
        key(name);
        out_ += std::to_string(value);
    }
    template <typename T>
    void num_opt(std::string_view name, const std::optional<T>& value) {
        if (value)
            num(name,
                static_cast<std::conditional_t<std::is_floating_point_v<T>, double, std::uint64_t>>(
                    *value));
    }
    void boolean(std::string_view name, bool value) {
        key(name);
        out_ += value ? "true" : "false";
    }

  private:
    void key(std::string_view name) {
        if (!first_member_) out_ += ',';
        first_member_ = false;
        json::append_string(out_, name);
        out_ += ':';
    }

    std::string& out_;
    bool first_object_ = true;
    bool first_member_ = true;
};

void write(Writer& w, const IceCandidateStats& c) {
    w.begin(c.id, c.timestamp, c.type());
    w.str("transportId", c.transport_id);
    w.str_opt("address", c.address);
    w.num_opt("port", c.port);
    w.str("protocol", c.protocol);
    w.str("candidateType", c.candidate_type);
    w.num_opt("priority", c.priority);
    w.str_opt("url", c.url);
    w.str_opt("relayProtocol", c.relay_protocol);
    w.str_opt("foundation", c.foundation);
    w.str_opt("relatedAddress", c.related_address);
    w.num_opt("relatedPort", c.related_port);
    w.str_opt("usernameFragment", c.username_fragment);
    w.end();
}

void write(Writer& w, const IceCandidatePairStats& p) {
    w.begin(p.id, p.timestamp, p.type());
    w.str("transportId", p.transport_id);
    w.str("localCandidateId", p.local_candidate_id);
    w.str("remoteCandidateId", p.remote_candidate_id);
    w.str("state", p.state);
    w.boolean("nominated", p.nominated);
    w.num("packetsSent", p.packets_sent);
    w.num("packetsReceived", p.packets_received);
    w.num("bytesSent", p.bytes_sent);
    w.num("bytesReceived", p.bytes_received);
    w.num_opt("lastPacketSentTimestamp", p.last_packet_sent_timestamp);
    w.num_opt("lastPacketReceivedTimestamp", p.last_packet_received_timestamp);
    w.num("totalRoundTripTime", p.total_round_trip_time);
    w.num_opt("currentRoundTripTime", p.current_round_trip_time);
    w.num("requestsSent", p.requests_sent);
    w.num("requestsReceived", p.requests_received);
    w.num("responsesSent", p.responses_sent);
    w.num("responsesReceived", p.responses_received);
    w.num("consentRequestsSent", p.consent_requests_sent);
    w.num("priority", p.priority);
    w.end();
}

void write(Writer& w, const TransportStats& t) {
    w.begin(t.id, t.timestamp, t.type());
    w.num("packetsSent", t.packets_sent);
    w.num("packetsReceived", t.packets_received);
    w.num("bytesSent", t.bytes_sent);
    w.num("bytesReceived", t.bytes_received);
    w.str("iceRole", t.ice_role);
    w.str_opt("iceLocalUsernameFragment", t.ice_local_username_fragment);
    w.str("dtlsState", t.dtls_state);
    w.str("iceState", t.ice_state);
    w.str_opt("selectedCandidatePairId", t.selected_candidate_pair_id);
    w.str_opt("tlsVersion", t.tls_version);
    w.str_opt("dtlsCipher", t.dtls_cipher);
    w.str("dtlsRole", t.dtls_role);
    w.str_opt("localCertificateId", t.local_certificate_id);
    w.str_opt("remoteCertificateId", t.remote_certificate_id);
    w.num("selectedCandidatePairChanges", std::uint64_t{t.selected_candidate_pair_changes});
    w.end();
}

void write(Writer& w, const CertificateStats& c) {
    w.begin(c.id, c.timestamp, c.type());
    w.str("fingerprint", c.fingerprint);
    w.str("fingerprintAlgorithm", c.fingerprint_algorithm);
    w.str("base64Certificate", c.base64_certificate);
    w.end();
}

void write(Writer& w, const DataChannelStats& d) {
    w.begin(d.id, d.timestamp, d.type());
    w.str("label", d.label);
    w.str("protocol", d.protocol);
    w.num_opt("dataChannelIdentifier", d.data_channel_identifier);
    w.str("state", to_string(d.state));
    w.num("messagesSent", d.messages_sent);
    w.num("bytesSent", d.bytes_sent);
    w.num("messagesReceived", d.messages_received);
    w.num("bytesReceived", d.bytes_received);
    w.end();
}

}  // namespace

std::string describe(const IceCandidateStats& c) {
    return c.address + ":" + (c.port ? std::to_string(*c.port) : "?") + " typ " + c.candidate_type +
           " " + c.protocol;
}

std::string describe(const CertificateStats& c) {
    return c.fingerprint_algorithm + " " + c.fingerprint;
}

const CertificateStats* StatsReport::local_certificate() const {
    return certificates.empty() ? nullptr : &certificates.front();
}

const CertificateStats* StatsReport::remote_certificate() const {
    if (!transport || transport->remote_certificate_id.empty()) return nullptr;
    return certificate(transport->remote_certificate_id);
}

std::string StatsReport::describe(const IceCandidatePairStats& pair) const {
    const auto* local = candidate(pair.local_candidate_id);
    const auto* remote = candidate(pair.remote_candidate_id);
    return "local " + (local ? floe::describe(*local) : pair.local_candidate_id) + " <-> remote " +
           (remote ? floe::describe(*remote) : pair.remote_candidate_id);
}

const IceCandidatePairStats* StatsReport::selected_candidate_pair() const {
    if (!transport || transport->selected_candidate_pair_id.empty()) return nullptr;
    for (const auto& p : candidate_pairs)
        if (p.id == transport->selected_candidate_pair_id) return &p;
    return nullptr;
}

const IceCandidateStats* StatsReport::candidate(std::string_view id) const {
    for (const auto* list : {&local_candidates, &remote_candidates})
        for (const auto& c : *list)
            if (c.id == id) return &c;
    return nullptr;
}

const CertificateStats* StatsReport::certificate(std::string_view id) const {
    for (const auto& c : certificates)
        if (c.id == id) return &c;
    return nullptr;
}

std::string StatsReport::to_json() const {
    std::string out = "{";
    Writer w(out);
    w.begin(peer_connection.id, peer_connection.timestamp, peer_connection.type());
    w.num("dataChannelsOpened", std::uint64_t{peer_connection.data_channels_opened});
    w.num("dataChannelsClosed", std::uint64_t{peer_connection.data_channels_closed});
    w.end();
    if (transport) write(w, *transport);
    for (const auto& c : local_candidates)
        write(w, c);
    for (const auto& c : remote_candidates)
        write(w, c);
    for (const auto& p : candidate_pairs)
        write(w, p);
    for (const auto& c : certificates)
        write(w, c);
    for (const auto& d : data_channels)
        write(w, d);
    // floe's own counters, in an object the W3C does not define (a browser would ignore it).
    w.begin("F", timestamp, "floe");
    w.num("messagesSent", floe.messages_sent);
    w.num("bytesSent", floe.bytes_sent);
    w.num("messagesReceived", floe.messages_received);
    w.num("bytesReceived", floe.bytes_received);
    w.num("datagramsRefused", floe.datagrams_refused);
    w.num("stunDropped", floe.stun_dropped);
    w.num("dataChannelsRefused", floe.data_channels_refused);
    w.num("iceCandidateErrors", floe.ice_candidate_errors);
    w.end();
    out += '}';
    return out;
}

}  // namespace floe
