#include "rtc/trace.hpp"

#include "capture/describe.hpp"
#include "common/log.hpp"
#include "dtls/keylog.hpp"

namespace floe::rtc {

CaptureObserver::CaptureObserver(std::function<void(std::string_view)> key_log,
                                 std::shared_ptr<PcapFile> pcap, bool trace)
    : key_log_(std::move(key_log)), pcap_(std::move(pcap)), trace_(trace) {}

CaptureObserver::~CaptureObserver() {
    flush_held();
}

void CaptureObserver::record(Packet p) {
    if (!pcap_) return;
    if (!secrets_known_ && held_.size() < kMaxHeld) {
        held_.push_back(std::move(p));
        return;
    }
    flush_held();
    pcap_->datagram(p.view, p.direction, p.at, p.source, p.destination, p.data);
}

void CaptureObserver::flush_held() {
    if (!pcap_) return;
    for (const auto& p : held_)
        pcap_->datagram(p.view, p.direction, p.at, p.source, p.destination, p.data);
    held_.clear();
}

void CaptureObserver::datagram(Instant now, session::Direction direction, ice::SocketId,
                               const SocketAddress& local, const SocketAddress& remote,
                               ByteSpan data) {
    const bool in = direction == session::Direction::in;
    // RFC 7983: 20-63 is DTLS; its addresses are the decrypted view's.
    if (!data.empty() && data[0] >= 20 && data[0] <= 63) {
        dtls_local_ = local;
        dtls_remote_ = remote;
    }
    if (pcap_)
        record({capture::View::wire,
                in ? capture::Direction::inbound : capture::Direction::outbound, now,
                in ? remote : local, in ? local : remote, Bytes(data.begin(), data.end())});
    if (trace_) {
        FLOE_LOG(LogLevel::trace, "rtc") << (in ? "in  " : "out ") << remote.to_string() << " "
                                         << capture::describe_datagram(data, ice_keys_);
    }
}

void CaptureObserver::sctp_packet(Instant now, session::Direction direction, ByteSpan packet) {
    if (!pcap_) return;
    const bool in = direction == session::Direction::in;
    const SocketAddress local(dtls_local_.ip(), capture::sctp_over_udp_port);
    const SocketAddress remote(dtls_remote_.ip(), capture::sctp_over_udp_port);
    record({capture::View::decrypted,
            in ? capture::Direction::inbound : capture::Direction::outbound, now,
            in ? remote : local, in ? local : remote, Bytes(packet.begin(), packet.end())});
}

void CaptureObserver::key_log(std::string_view line) {
    if (key_log_) key_log_(line);
    if (!pcap_) return;
    pcap_->secret(line);
    secrets_known_ = true;
    flush_held();
}

void CaptureObserver::ice_passwords(std::string_view local, std::string_view remote) {
    ice_keys_ = {stun::IntegrityKey::short_term(local), stun::IntegrityKey::short_term(remote)};
}

std::string trace_pair_table(const StatsReport& report) {
    std::string table = report.candidate_pair_table("      ");
    if (!table.empty() && table.back() == '\n') table.pop_back();
    return "ICE candidate pairs (" + std::to_string(report.candidate_pairs.size()) +
           "; * selected; requests include consent):\n" + table;
}

void CaptureObserver::ice_pairs(Instant, const StatsReport& report) {
    if (!trace_) return;
    FLOE_LOG(LogLevel::trace, "ice") << trace_pair_table(report);
}

std::unique_ptr<session::PacketObserver> make_observer(const Configuration& c) {
    const bool trace = log_enabled(LogLevel::trace);
    if (c.keylog_file.empty() && c.pcap_file.empty() && !trace) return nullptr;
    return std::make_unique<CaptureObserver>(
        c.keylog_file.empty() ? nullptr : dtls::keylog_to_file(c.keylog_file),
        c.pcap_file.empty() ? nullptr : PcapFile::open(c.pcap_file), trace);
}

}  // namespace floe::rtc
