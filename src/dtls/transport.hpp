// DTLS 1.2 for WebRTC data channels, sans-IO: OpenSSL does the protocol over two memory BIOs;
// this object feeds it datagrams, drains its records into datagrams no larger than the MTU, keeps
// the retransmission schedule on the caller's clock, and lets the handshake succeed only when the
// peer's certificate has the fingerprint the remote description announced.
//
//   Transport t(certificate);                    // may receive datagrams before start()
//   t.start(now, Role::server, "sha-256 AB:..."); // once the remote description is known
//   t.handle_input(now, datagram);  t.handle_timeout(now);
//   while (auto d = t.poll_transmit()) send(*d);  while (auto e = t.poll_event()) ...;
//   wake up at t.poll_timeout();
//
// After the handshake, application data records are sealed and opened by floe
// (dtls/record_protection.hpp) with the keys OpenSSL negotiated, unless Config::record_layer says
// otherwise; see "Records after the handshake" in record_switch.cpp for when each side switches.
//
// A Transport neither copies nor moves (OpenSSL keeps a pointer to it): hold it in a unique_ptr or
// an optional. All transports of the process share one SSL_CTX; each sets its own certificate.
//
// Determinism: see docs/dtls.md ("Time"). OpenSSL arms its DTLS timer through DTLS_set_timer_cb,
// which this object answers with its own schedule and records as a deadline on the caller's clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/certificate.hpp>

#include "common/buffer_pool.hpp"
#include "common/dtls_role.hpp"
#include "common/fifo.hpp"
#include "common/time.hpp"
#include "dtls/fingerprint.hpp"
#include "dtls/openssl.hpp"
#include "dtls/record_protection.hpp"

namespace floe::dtls {

// From the JSEP setup negotiation: `a=setup:active` is the DTLS client (common/dtls_role.hpp).
using Role = DtlsRole;
enum class State { idle, connecting, connected, closed, failed };
// Who protects application data once the handshake is done: floe's record layer (the default:
// a fraction of OpenSSL's cost per record) or OpenSSL's own, kept for comparison and as a fallback.
enum class RecordLayer { floe, openssl };
std::string_view to_string(State state);

struct Config {
    // Largest datagram written (the DTLS record with its header); 1200 fits every path WebRTC uses.
    std::size_t mtu = 1200;
    // Handshake retransmission: the first wait, doubling up to the maximum (RFC 6347 §4.2.4.1).
    // 1 s is RFC 6347's default for a path nothing is known about; a PeerConnection sets the first
    // wait from the ICE round trip instead (initial_retransmit_for(), set_initial_retransmit()).
    Duration initial_retransmit = 1s;
    Duration max_retransmit = 60s;
    // The whole handshake, from start(), before the transport gives up and fails.
    Duration handshake_timeout = 30s;
    // Called with each NSS key-log line ("CLIENT_RANDOM <hex> <hex>", no newline); write them to a
    // file to let Wireshark or tshark decrypt a capture. Empty: no key log.
    std::function<void(std::string_view line)> keylog;
    RecordLayer record_layer = RecordLayer::floe;
    // OpenSSL cipher list to offer instead of the browsers' three AEAD suites (tests pick one).
    std::string cipher_suites;
};

// The first handshake retransmission wait for a path whose ICE round trip is `rtt`: twice the
// round trip, within [50 ms, 3 s], as libwebrtc does; 200 ms when no round trip was measured. See
// docs/dtls.md ("Retransmission") for why and what it measured.
inline constexpr Duration min_initial_retransmit = 50ms;
inline constexpr Duration max_initial_retransmit = 3s;
inline constexpr Duration unknown_rtt_initial_retransmit = 200ms;
Duration initial_retransmit_for(std::optional<Duration> rtt);

// The DTLS-SRTP protection profiles offered and accepted (RFC 5764 §4.1.2), in Chromium 156's
// order (captured; docs/dtls.md).
// floe carries no media: the extension is negotiated because peers such as werift refuse a
// WebRTC handshake without it, and the SRTP keys are never exported.
inline constexpr const char* srtp_profiles =
    "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM";

namespace event {
// The handshake finished and the peer's certificate matched the remote fingerprint.
struct Connected {
    std::string cipher;            // OpenSSL's name, e.g. "ECDHE-ECDSA-AES128-GCM-SHA256"
    std::string peer_fingerprint;  // "sha-256 AB:CD:..." of the certificate the peer presented
    std::string srtp_profile;      // "SRTP_AES128_CM_SHA1_80"; empty when the peer offered none
};
// One record of application data (one SCTP packet).
struct DataReceived {
    Bytes data;
};
// An orderly end: close_notify received, or close() called. `reason` names it.
struct Closed {
    std::string reason;
};
// The handshake or the connection failed; no application data flows after this.
struct Failed {
    std::string reason;
};
}  // namespace event

using Event = std::variant<event::Connected, event::DataReceived, event::Closed, event::Failed>;

struct Stats {
    std::uint64_t datagrams_received = 0;
    std::uint64_t datagrams_sent = 0;
    std::uint64_t buffered_before_start = 0;  // datagrams kept until start()
    std::uint64_t dropped_overflow = 0;       // datagrams dropped: the pre-start buffer was full
    std::uint64_t garbage = 0;                // datagrams that are not DTLS records, or that fail
                                              // authentication after the handshake
    std::uint64_t duplicates = 0;             // records seen before (duplicates and replays)
    std::uint64_t retransmissions = 0;        // handshake flights sent again on timeout
    std::uint64_t records_sent = 0;           // application data records
    std::uint64_t records_received = 0;       // application data records delivered
    std::uint64_t late_handshake = 0;  // handshake records dropped once floe seals all records
    std::uint64_t final_flight_repeats = 0;  // server: its Finished sent again ahead of data
};

class Transport {
  public:
    explicit Transport(Certificate certificate, Config config = {});
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Begins the handshake in `role`, accepting only a peer whose certificate has one of
    // `remote_fingerprints` (the remote description's `a=fingerprint` values, parsed by the SDP
    // codec): it is verified against those of the strongest hash function
    // (strongest_fingerprints()). None fails the transport at once. Datagrams received before
    // start() are processed now. Calling start() twice throws InvalidStateError.
    void start(Instant now, Role role, std::span<const Fingerprint> remote_fingerprints);
    void start(Instant now, Role role, const Fingerprint& remote_fingerprint) {
        start(now, role, std::span<const Fingerprint>(&remote_fingerprint, 1));
    }

    // The first handshake retransmission wait (Config::initial_retransmit), before start().
    void set_initial_retransmit(Duration wait);

    // A datagram whose first byte is 20..63 (RFC 7983). Never throws; bad input is counted.
    void handle_input(Instant now, ByteSpan datagram);
    void handle_timeout(Instant now);
    std::optional<Instant> poll_timeout() const;
    // The next datagram to send. The view stays valid until the next call on this transport.
    std::optional<ByteSpan> poll_transmit();
    std::optional<Event> poll_event();

    // Encrypts `data` as one record. False (and nothing sent) unless connected or when `data` is
    // larger than max_payload().
    bool send(ByteSpan data);
    // Gives back the buffer of a DataReceived once consumed, so that the next record reuses it
    // instead of allocating (a small pool; optional).
    void recycle(Bytes buffer);
    // Sends close_notify; the transport is closed afterwards.
    void close(Instant now);

    State state() const { return state_; }
    const Stats& stats() const { return stats_; }
    // The largest application payload one record carries within the MTU (valid once connected).
    std::size_t max_payload() const;
    // Once connected: the negotiated cipher suite and the peer's sha-256 fingerprint.
    std::string cipher() const;
    // Once connected: the protocol version as four upper-case hex digits, "FEFD" for DTLS 1.2
    // (W3C webrtc-stats RTCTransportStats tlsVersion); empty before.
    std::string tls_version() const;
    const std::string& peer_fingerprint() const { return peer_fingerprint_; }
    // The peer's certificate, DER in base64 (W3C webrtc-stats RTCCertificateStats
    // base64Certificate); empty before the handshake saw it.
    const std::string& peer_certificate_base64() const { return peer_certificate_base64_; }
    const std::string& local_fingerprint() const { return certificate_.fingerprint(); }
    std::optional<Role> role() const { return role_; }
    // Once connected: the DTLS-SRTP profile negotiated, empty when the peer offered none.
    const std::string& srtp_profile() const { return srtp_profile_; }

    // For OpenSSL's callbacks (dtls/openssl_context.hpp); not for callers.
    struct Callbacks;

  private:
    // transport.cpp: datagrams in and out, events, the end states.
    void feed(ByteSpan datagram);
    void read_application_data(bool& delivered);
    void fail(std::string reason);
    void finish_closed(std::string reason);
    bool count_records(ByteSpan datagram, bool& has_application_data);
    std::size_t min_encrypted_record() const;
    ByteSpan openssl_output() const;
    std::optional<ByteSpan> next_datagram(ByteSpan all, std::size_t& position);
    // handshake.cpp: SSL_do_handshake, OpenSSL's timer, failure reasons.
    void advance();
    void after_openssl_call();
    std::string describe_error(int ssl_error);
    // record_switch.cpp: floe's record layer taking over from OpenSSL's.
    void feed_protected(ByteSpan datagram);
    bool open_record(const Record& record);
    void start_record_layer();
    void take_over_writes();
    void release_openssl();
    void note_openssl_output(ByteSpan records);
    void keep_final_flight();
    void repeat_final_flight();

    Certificate certificate_;
    Config config_;
    SslPtr ssl_;           // null once floe does all records (release_openssl)
    BIO* rbio_ = nullptr;  // owned by ssl_
    BIO* wbio_ = nullptr;  // owned by ssl_
    State state_ = State::idle;
    std::optional<Role> role_;
    std::vector<Fingerprint> remote_fingerprints_;  // of one hash function, the strongest
    std::string verify_failure_;
    std::string peer_fingerprint_;
    std::string peer_certificate_base64_;
    int version_ = 0;  // SSL_version() once connected
    std::string alert_received_;
    std::string alert_sent_;
    BufferPool pool_{16, 32 * 1024};  // recycled DataReceived buffers

    Instant now_{};
    std::optional<Instant> retransmit_deadline_;
    std::optional<Instant> handshake_deadline_;
    Duration retransmit_interval_{};

    Fifo<Bytes> pending_input_;  // before start()
    std::size_t pending_input_bytes_ = 0;
    Fifo<Event> events_;
    std::size_t out_position_ = 0;  // bytes of wbio_ handed out by poll_transmit

    // Records OpenSSL reads: windows for counting duplicates (OpenSSL drops them itself).
    ReplayWindow windows_[2];  // epochs 0 and 1

    // Floe's record layer (see record_switch.cpp, "Records after the handshake").
    std::optional<RecordProtection> protection_;  // reads epoch-1 data and alerts once set
    bool openssl_writes_ = true;                  // false once protection_ seals what we send
    std::uint64_t openssl_next_sequence_ = 0;     // after the epoch-1 records OpenSSL wrote
    ReplayWindow read_window_;                    // records protection_ opened
    Bytes sealed_;                                // records protection_ sealed, to transmit
    std::size_t sealed_position_ = 0;             // bytes of sealed_ handed out
    std::string cipher_name_;
    std::string srtp_profile_;
    std::size_t max_payload_ = 0;

    // The server's last flight (ChangeCipherSpec, Finished), repeated ahead of application data
    // until the client proves it has it (see "The server's Finished, again" in record_switch.cpp).
    Bytes final_flight_;
    bool received_data_ = false;  // an application data record arrived (from a client: proof)

    Stats stats_;
};

}  // namespace floe::dtls
