// The session's W3C stats report (webrtc-stats): one transport (BUNDLE), the ICE agent's
// candidates and pairs, both certificates, the channels, and floe's own counters.
#include <string>

#include "session/observer.hpp"
#include "session/session.hpp"

namespace floe::session {

namespace {

// W3C RTCIceCandidateStats.relayProtocol: how we reach the TURN server (RFC 7065 URL).
std::string relay_protocol(std::string_view url) {
    if (url.starts_with("turns:")) return "tls";
    return url.find("transport=tcp") != std::string_view::npos ? "tcp" : "udp";
}

// Stats ids are stable for as long as the object lives and say what it is (webrtc-stats §5:
// any unique string): "T01", "IL127.0.0.1:50000", "CP<local>_<remote>", "CF<fingerprint>".
constexpr std::string_view transport_id = "T01";

// By address, not type: a peer-reflexive remote candidate that the signalled one later replaces
// (RFC 8445 §7.3.1.3) keeps its id, and so does its pair.
std::string candidate_id(bool remote, const ice::Candidate& c) {
    return std::string(remote ? "IR" : "IL") + c.address + ":" + std::to_string(c.port);
}

// "sha-256 AB:CD:..." → ("sha-256", "AB:CD:...").
std::pair<std::string, std::string> split_fingerprint(const std::string& f) {
    const auto space = f.find(' ');
    if (space == std::string::npos) return {"", f};
    return {f.substr(0, space), f.substr(space + 1)};
}

// The CERTIFICATE block of a PEM text, its base64 lines joined: the DER in base64.
std::string certificate_base64(const std::string& pem) {
    constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
    constexpr std::string_view end = "-----END CERTIFICATE-----";
    const auto from = pem.find(begin);
    if (from == std::string::npos) return {};
    const auto to = pem.find(end, from);
    if (to == std::string::npos) return {};
    std::string out;
    for (std::size_t i = from + begin.size(); i < to; ++i)
        if (pem[i] != '\n' && pem[i] != '\r') out += pem[i];
    return out;
}

std::string_view to_w3c(ice::PairState s) {
    return s == ice::PairState::in_progress ? "in-progress" : ice::to_string(s);
}

std::string_view to_w3c(dtls::State s) {
    switch (s) {
        case dtls::State::idle:
            return "new";
        case dtls::State::connecting:
            return "connecting";
        case dtls::State::connected:
            return "connected";
        case dtls::State::closed:
            return "closed";
        case dtls::State::failed:
            return "failed";
    }
    return "new";
}

double seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

}  // namespace

StatsReport Session::stats(Instant now, double wall_ms) const {
    // W3C timestamps are wall-clock milliseconds; the session's instants are on the steady
    // clock, so each is placed relative to `now`.
    const auto wall = [&](Instant t) { return wall_ms - to_ms(now - t); };
    StatsReport r;
    r.timestamp = wall_ms;
    r.peer_connection.id = "P";
    r.peer_connection.timestamp = wall_ms;
    channels_.add_stats(r, wall_ms);
    r.floe.ice_candidate_errors = ice_candidate_errors_;

    // Certificates: ours always, the peer's once DTLS saw it.
    const auto [algorithm, fingerprint] = split_fingerprint(config_.certificate->fingerprint());
    r.certificates.push_back({"CF" + fingerprint, wall_ms, fingerprint, algorithm,
                              certificate_base64(config_.certificate->to_pem())});
    const dtls::Transport& dtls = pump_.dtls();
    std::string remote_certificate_id;
    if (!dtls.peer_fingerprint().empty()) {
        const auto [ralgorithm, rfingerprint] = split_fingerprint(dtls.peer_fingerprint());
        remote_certificate_id = "CF" + rfingerprint;
        r.certificates.push_back({remote_certificate_id, wall_ms, rfingerprint, ralgorithm,
                                  dtls.peer_certificate_base64()});
    }

    const ice::Agent* agent = pump_.agent();
    if (!agent) return r;
    const ice::AgentStats& a = agent->stats();
    r.floe.datagrams_refused = a.data_refused;
    r.floe.stun_dropped = a.malformed + a.unknown_transaction + a.unauthenticated + a.misdirected;
    if (const auto* sctp = pump_.sctp())
        r.floe.data_channels_refused = sctp->stats().refused_channels;

    TransportStats& t = r.transport.emplace();
    t.id = transport_id;
    t.timestamp = wall_ms;
    const TransportPump::Counters& totals = pump_.totals();
    t.packets_sent = totals.packets_sent;
    t.packets_received = totals.packets_received;
    t.bytes_sent = totals.bytes_sent;
    t.bytes_received = totals.bytes_received;
    t.ice_role = ice::to_string(agent->role());
    t.ice_local_username_fragment = agent->local_credentials().ufrag;
    t.dtls_state = to_w3c(dtls.state());
    t.ice_state = ice::to_string(agent->state());
    t.tls_version = dtls.tls_version();
    t.dtls_cipher = cipher_;
    t.dtls_role = pump_.dtls_role()
                      ? (*pump_.dtls_role() == dtls::Role::client ? "client" : "server")
                      : "unknown";
    t.local_certificate_id = r.certificates.front().id;
    t.remote_certificate_id = remote_certificate_id;
    t.selected_candidate_pair_changes = selected_pair_changes_;

    const std::string remote_ufrag = signaling_.remote() ? signaling_.remote()->ice_ufrag : "";
    const auto candidate = [&](bool remote, const ice::Candidate& c) {
        IceCandidateStats s;
        s.id = candidate_id(remote, c);
        s.timestamp = wall_ms;
        s.is_remote = remote;
        s.transport_id = transport_id;
        s.address = c.address;
        s.port = c.port;
        s.protocol = ice::to_string(c.transport);
        s.candidate_type = ice::to_string(c.type);
        s.priority = c.priority;
        s.foundation = c.foundation;
        s.related_address = c.related_address.value_or("");
        s.related_port = c.related_port;
        s.username_fragment = remote ? remote_ufrag : t.ice_local_username_fragment;
        return s;
    };
    for (std::size_t i = 0; i < agent->local_count(); ++i) {
        auto s = candidate(false, agent->local_candidate(i));
        // A relay candidate: through which TURN server, and how we reach it. (A srflx
        // candidate's STUN server URL is not kept on the record: left empty, absent in JSON.)
        if (const std::string& url = agent->local_relay_url(i); !url.empty()) {
            s.url = url;
            s.relay_protocol = relay_protocol(url);
        }
        r.local_candidates.push_back(std::move(s));
    }
    for (std::size_t i = 0; i < agent->remote_count(); ++i)
        r.remote_candidates.push_back(candidate(true, agent->remote_candidate(i)));

    // DTLS over the pair's path (socket, remote address), as the pump counted it.
    const auto add_path = [&](IceCandidatePairStats& s, ice::SocketId socket,
                              const SocketAddress& remote) {
        const auto* d = pump_.path_counters(socket, remote);
        if (!d) return;
        s.packets_sent = d->packets_sent;
        s.packets_received = d->packets_received;
        s.bytes_sent = d->bytes_sent;
        s.bytes_received = d->bytes_received;
        if (d->last_sent) s.last_packet_sent_timestamp = wall(*d->last_sent);
        if (d->last_received) s.last_packet_received_timestamp = wall(*d->last_received);
    };
    const auto& selected = pump_.pair();
    for (const ice::CandidatePair& p : agent->pairs()) {
        IceCandidatePairStats s;
        const std::string base_id = candidate_id(false, agent->local_candidate(p.local));
        const std::string remote_id = candidate_id(true, agent->remote_candidate(p.remote));
        // The id names the pair as formed (its base), which a success does not change.
        s.id = "CP" + base_id.substr(1) + "_" + remote_id.substr(1);
        s.timestamp = wall_ms;
        s.transport_id = transport_id;
        s.local_candidate_id =
            candidate_id(false, agent->local_candidate(p.valid_local.value_or(p.local)));
        s.remote_candidate_id = remote_id;
        s.state = to_w3c(p.state);
        s.nominated = p.nominated;
        s.priority = p.priority;
        const ice::PairCounters& c = p.counters;
        s.requests_sent = c.requests_sent;
        s.requests_received = c.requests_received;
        s.responses_sent = c.responses_sent;
        s.responses_received = c.responses_received;
        s.consent_requests_sent = c.consent_requests_sent;
        s.total_round_trip_time = seconds(c.total_round_trip_time);
        if (c.current_round_trip_time)
            s.current_round_trip_time = seconds(*c.current_round_trip_time);
        add_path(s, p.socket, p.remote_address);
        if (selected && selected->socket == p.socket &&
            selected->remote_address == p.remote_address)
            t.selected_candidate_pair_id = s.id;
        r.candidate_pairs.push_back(std::move(s));
    }
    // After an ICE restart the selected pair of the previous generation carries the data until
    // a new one is selected, but the checklist no longer holds it: listed from its own record.
    if (selected && t.selected_candidate_pair_id.empty()) {
        IceCandidatePairStats s;
        const std::string local_id = candidate_id(false, selected->local);
        const std::string remote_id = candidate_id(true, selected->remote);
        if (!r.candidate(local_id)) r.local_candidates.push_back(candidate(false, selected->local));
        if (!r.candidate(remote_id))
            r.remote_candidates.push_back(candidate(true, selected->remote));
        s.id = "CP" + local_id.substr(1) + "_" + remote_id.substr(1);
        s.timestamp = wall_ms;
        s.transport_id = transport_id;
        s.local_candidate_id = local_id;
        s.remote_candidate_id = remote_id;
        s.state = "succeeded";
        s.nominated = true;
        add_path(s, selected->socket, selected->remote_address);
        t.selected_candidate_pair_id = s.id;
        r.candidate_pairs.push_back(std::move(s));
    }
    return r;
}

void Session::watch_pairs(Instant now) {
    const ice::Agent* agent = pump_.agent();
    if (!agent) return;
    std::vector<PairSeen> seen;
    seen.reserve(agent->pairs().size());
    std::uint64_t counters = 0;
    for (const ice::CandidatePair& p : agent->pairs()) {
        seen.push_back({p.id, p.state, p.nominated});
        const ice::PairCounters& c = p.counters;
        counters += c.requests_sent + c.requests_received + c.responses_sent +
                    c.responses_received + c.consent_requests_sent + c.round_trips;
    }
    const bool changed = seen != pairs_seen_;
    // Counters alone move with every check and consent request: once a second is enough to
    // watch them, where every state change is shown at once.
    const bool counted =
        counters != pair_counters_seen_ && (!pairs_reported_at_ || now - *pairs_reported_at_ >= 1s);
    if (!changed && !counted) return;
    pairs_seen_ = std::move(seen);
    pair_counters_seen_ = counters;
    pairs_reported_at_ = now;
    if (!pairs_seen_.empty()) config_.observer->ice_pairs(now, stats(now, 0));
}

}  // namespace floe::session
