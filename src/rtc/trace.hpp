// The runtime's observer of a session's traffic (session::PacketObserver): what `--trace`,
// `--keylog FILE` and `--pcap FILE` show of it.
//   --trace   every datagram in and out decoded to readable lines (capture/describe.hpp: STUN with
//             its attributes and whether integrity verifies, DTLS records and handshake
//             messages), stamped by the log with the time since the start; the SCTP packets are
//             traced by the association itself (sctp/packet_trace.hpp); and the ICE
//             candidate-pair table whenever it changes (trace_pair_table);
//   --keylog  the NSS key log lines appended to a file;
//   --pcap    a pcapng file (rtc/pcap_file.hpp): the datagrams, the DTLS secrets, and the
//             decrypted SCTP packets as SCTP over UDP port 9899 between the same addresses.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <floe/configuration.hpp>
#include <floe/stun/integrity.hpp>

#include "rtc/pcap_file.hpp"
#include "session/observer.hpp"

namespace floe::rtc {

class CaptureObserver final : public session::PacketObserver {
  public:
    // key_log: where the key log lines go (dtls::keylog_to_file), or empty; pcap: the capture, or
    // null; trace: whether to log each datagram.
    CaptureObserver(std::function<void(std::string_view)> key_log, std::shared_ptr<PcapFile> pcap,
                    bool trace);
    ~CaptureObserver() override;
    CaptureObserver(const CaptureObserver&) = delete;
    CaptureObserver& operator=(const CaptureObserver&) = delete;

    void datagram(Instant now, session::Direction direction, ice::SocketId socket,
                  const SocketAddress& local, const SocketAddress& remote, ByteSpan data) override;
    void sctp_packet(Instant now, session::Direction direction, ByteSpan packet) override;
    void key_log(std::string_view line) override;
    void ice_passwords(std::string_view local, std::string_view remote) override;
    void ice_pairs(Instant now, const StatsReport& report) override;

  private:
    struct Packet {
        capture::View view;
        capture::Direction direction;
        Instant at;
        SocketAddress source, destination;
        Bytes data;
    };
    void record(Packet packet);
    void flush_held();

    std::function<void(std::string_view)> key_log_;
    // Packets held back until the DTLS secrets are known: Wireshark reads a capture in order and
    // sets up a DTLS session's decryption when it meets the handshake, so the Decryption Secrets
    // Block must come before the ClientHello. Bounded; a session that never gets its secrets (no
    // DTLS) is written out when the bound is reached or the observer ends.
    static constexpr std::size_t kMaxHeld = 256;
    std::vector<Packet> held_;
    bool secrets_known_ = false;
    std::shared_ptr<PcapFile> pcap_;
    bool trace_;
    std::vector<stun::IntegrityKey> ice_keys_;  // local, then remote
    // The addresses of the latest DTLS datagram: the decrypted view's packets go between them.
    SocketAddress dtls_local_, dtls_remote_;
};

// The `--trace` lines of a candidate-pair table: a heading, then the table indented under it.
std::string trace_pair_table(const StatsReport& report);

// The observer a PeerConnection with this configuration needs: none unless it writes a key log or
// a capture, or trace logging is on when it is created (`floe ... --trace` sets it first). Throws
// InvalidArgumentError when a file cannot be opened.
std::unique_ptr<session::PacketObserver> make_observer(const Configuration& configuration);

}  // namespace floe::rtc
