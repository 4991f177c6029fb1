// StatsReport as text for a terminal: the candidate-pair table (`--trace`, `floe chat` /stats)
// and the whole report in short sections.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <floe/stats.hpp>

namespace floe {

namespace {

// Rows of cells printed in columns as wide as their widest cell, two spaces apart.
std::string columns(const std::vector<std::vector<std::string>>& rows, std::string_view indent) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line(indent);
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

std::string short_candidate(const StatsReport& r, const std::string& id) {
    const IceCandidateStats* c = r.candidate(id);
    if (!c) return id;
    return c->address + ":" + (c->port ? std::to_string(*c->port) : "?") + " " + c->candidate_type;
}

std::string milliseconds(std::optional<double> seconds) {
    if (!seconds) return "-";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f ms", *seconds * 1000);
    return buffer;
}

std::string pair_of(std::uint64_t a, std::uint64_t b) {
    return std::to_string(a) + "/" + std::to_string(b);
}

}  // namespace

std::string StatsReport::candidate_pair_table(std::string_view indent) const {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"local", "remote", "state", "nominated", "priority", "rtt", "requests s/r",
                    "responses s/r"});
    const IceCandidatePairStats* selected = selected_candidate_pair();
    for (const auto& p : candidate_pairs)
        rows.push_back({short_candidate(*this, p.local_candidate_id),
                        short_candidate(*this, p.remote_candidate_id),
                        p.state + (&p == selected ? " *" : ""), p.nominated ? "yes" : "no",
                        std::to_string(p.priority), milliseconds(p.current_round_trip_time),
                        pair_of(p.requests_sent + p.consent_requests_sent, p.requests_received),
                        pair_of(p.responses_sent, p.responses_received)});
    return columns(rows, indent);
}

std::string StatsReport::to_text() const {
    std::string out;
    out += "candidates:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto* list : {&local_candidates, &remote_candidates})
        for (const auto& c : *list)
            rows.push_back({c.is_remote ? "remote" : "local", floe::describe(c),
                            "priority " + (c.priority ? std::to_string(*c.priority) : "?"),
                            c.related_address.empty()
                                ? std::string()
                                : "raddr " + c.related_address + ":" +
                                      (c.related_port ? std::to_string(*c.related_port) : "?")});
    out += rows.empty() ? "  (none yet)\n" : columns(rows, "  ");
    out += "candidate pairs (* selected; requests include consent):\n";
    out += candidate_pairs.empty() ? "  (none yet)\n" : candidate_pair_table("  ");
    if (transport) {
        const TransportStats& t = *transport;
        out += "transport:\n";
        out += "  ICE " + t.ice_state + ", " + t.ice_role + ", ufrag " +
               t.ice_local_username_fragment + "; selected pair changed " +
               std::to_string(t.selected_candidate_pair_changes) + " time(s)\n";
        out += "  DTLS " + t.dtls_state + " as " + t.dtls_role +
               (t.tls_version.empty() ? "" : ", version " + t.tls_version) +
               (t.dtls_cipher.empty() ? "" : ", " + t.dtls_cipher) + "\n";
        out += "  " + std::to_string(t.packets_sent) + " datagrams (" +
               std::to_string(t.bytes_sent) + " bytes) sent, " +
               std::to_string(t.packets_received) + " (" + std::to_string(t.bytes_received) +
               " bytes) received\n";
    }
    out += "certificates:\n";
    for (const auto& c : certificates)
        out += std::string("  ") + (&c == local_certificate() ? "local  " : "remote ") +
               floe::describe(c) + "\n";
    out += "data channels (" + std::to_string(peer_connection.data_channels_opened) + " opened, " +
           std::to_string(peer_connection.data_channels_closed) + " closed):\n";
    rows.clear();
    for (const auto& d : data_channels)
        rows.push_back(
            {"\"" + d.label + "\"",
             "id " + (d.data_channel_identifier ? std::to_string(*d.data_channel_identifier)
                                                : std::string("?")),
             std::string(to_string(d.state)),
             "sent " + std::to_string(d.messages_sent) + " (" + std::to_string(d.bytes_sent) +
                 " bytes)",
             "received " + std::to_string(d.messages_received) + " (" +
                 std::to_string(d.bytes_received) + " bytes)"});
    out += rows.empty() ? "  (none)\n" : columns(rows, "  ");
    out += "floe: " + std::to_string(floe.datagrams_refused) + " datagrams refused, " +
           std::to_string(floe.stun_dropped) + " STUN dropped, " +
           std::to_string(floe.data_channels_refused) + " channels refused, " +
           std::to_string(floe.ice_candidate_errors) + " ICE candidate errors\n";
    return out;
}

}  // namespace floe
