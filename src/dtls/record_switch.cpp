// The switch to floe's record layer once the handshake is done: when each role starts sealing and
// opening with RecordProtection, the epoch-1 sequence numbers continued after OpenSSL's, the
// records routed after the switch, and the SSL object freed once OpenSSL's last output is out.
#include <algorithm>

#include "common/byte_reader.hpp"
#include "common/log.hpp"
#include "dtls/transport.hpp"

namespace floe::dtls {

// Records after the handshake. OpenSSL runs the handshake; once it completes, floe's record layer
// (RecordProtection, keys from the same master secret) opens every epoch-1 application data and
// alert record, and seals what we send once OpenSSL can no longer need to write:
// - The client's last flight is its Finished; it completes on the server's Finished, which proves
//   the server has it. It never writes again: both directions switch at once.
// - The server completes when it sends its Finished. If that flight is lost the client sends its
//   own again, and OpenSSL must answer with a retransmission, written with OpenSSL's keys and
//   epoch-1 sequence numbers. So until the first application data record from the client (proof
//   that it completed) arrives, handshake records still go to OpenSSL and OpenSSL writes; then
//   sealing switches to floe, starting after the last sequence number OpenSSL wrote (read from its
//   output: two writers with one key must never use one nonce), and OpenSSL is not used again.
// Once floe writes, handshake records are dropped (counted as late_handshake): renegotiation is
// off, and nothing else may make OpenSSL write. Records OpenSSL read before the switch are not in
// floe's replay window, so each could be replayed once, within the first moments of the
// connection; SCTP discards duplicate packets (RFC 9260 §6.2) and RFC 6347 §4.1.2.6 leaves replay
// detection to the receiver.
void Transport::start_record_layer() {
    std::string error;
    protection_ = RecordProtection::derive(ssl_.get(), role_ == Role::client, error);
    if (!protection_) {
        FLOE_LOG(LogLevel::info, "dtls") << "OpenSSL keeps the record layer: " << error;
        return;
    }
    if (role_ == Role::client) take_over_writes();
}

void Transport::take_over_writes() {
    // OpenSSL's output not yet handed out counts too.
    const ByteSpan output = openssl_output();
    if (out_position_ < output.size()) note_openssl_output(output.subspan(out_position_));
    protection_->set_next_write_sequence(openssl_next_sequence_);
    openssl_writes_ = false;
    FLOE_LOG(LogLevel::debug, "dtls")
        << "records sealed by floe from epoch 1 sequence " << openssl_next_sequence_;
}

// Once floe seals and opens every record and OpenSSL's last output is out, nothing calls OpenSSL
// for this connection again: free its SSL object. That returns what OpenSSL 3.0 holds for a DTLS
// connection's lifetime, the handshake buffer kept to answer retransmissions (22 KB), the record
// read buffer (17 KB), the handshake state and the peer's certificate.
void Transport::release_openssl() {
    ssl_.reset();  // frees both BIOs
    rbio_ = nullptr;
    wbio_ = nullptr;
}

// Tracks the next epoch-1 sequence number after what OpenSSL has written (see above).
void Transport::note_openssl_output(ByteSpan records) {
    ByteReader reader(records);
    while (auto record = next_record(reader)) {
        if (record->epoch == 1)
            openssl_next_sequence_ = std::max(openssl_next_sequence_, record->sequence + 1);
    }
}

// The server's Finished, again. The server completes when it sends its last flight, the client
// when that flight arrives. If it is lost, the client's retransmission timer (1 s in OpenSSL and
// aiortc) is what recovers it, and every record the server sends in between (SCTP's INIT and its
// retransmissions) reaches a client still in the handshake: OpenSSL keeps such early records and
// returns them one per read. A reader that calls it once per datagram (aiortc 1.4) then stays that
// many records behind for the whole association: each of our packets answered a few packets late,
// T3 timers expiring at the end of every burst (seen at 5 % loss: a close that waited 20 s and
// aborted). So until the client proves it completed (its first application data record), each
// record of data the server sends goes in a datagram that starts with a copy of the final flight:
// whichever of them arrives first completes the client's handshake, and the data behind it is read
// at once. The copies are byte for byte the original, so a client that has it drops them as
// duplicates (RFC 6347 §4.1.2.6) or as records of a past epoch; no sequence number is reused for
// other bytes. It lasts one round trip when the peer starts SCTP too or answers our INIT.
void Transport::keep_final_flight() {
    const ByteSpan output = openssl_output();
    const ByteSpan flight =
        out_position_ < output.size() ? output.subspan(out_position_) : ByteSpan{};
    // Only what fits in a datagram with a small record after it (75 bytes with AES-GCM).
    if (!flight.empty() && flight.size() <= config_.mtu / 2)
        final_flight_.assign(flight.begin(), flight.end());
}

void Transport::repeat_final_flight() {
    if (final_flight_.empty()) return;  // a client, or the proof came already
    if (received_data_) {
        final_flight_ = Bytes{};  // the proof: never needed again
        return;
    }
    // Not while OpenSSL's output waits to be sent: it holds the flight itself, or a record that
    // already follows a copy.
    if (out_position_ < openssl_output().size()) return;
    if (BIO_write(wbio_, final_flight_.data(), static_cast<int>(final_flight_.size())) > 0)
        ++stats_.final_flight_repeats;
}

void Transport::feed_protected(ByteSpan datagram) {
    bool rejected = false;
    bool opened_data = false;
    bool to_openssl = false;
    ByteReader reader(datagram);
    while (state_ == State::connected && !reader.empty()) {
        const auto record = next_record(reader);  // count_records() checked the whole datagram
        if (!record) break;
        const bool ours =
            record->epoch == 1 &&
            (record->type == static_cast<std::uint8_t>(ContentType::application_data) ||
             record->type == static_cast<std::uint8_t>(ContentType::alert));
        if (ours) {
            if (read_window_.seen(record->sequence)) {
                ++stats_.duplicates;
            } else if (!open_record(*record)) {
                rejected = true;
            } else if (record->type == static_cast<std::uint8_t>(ContentType::application_data)) {
                opened_data = true;
            }
        } else if (record->epoch > 1) {
            continue;  // no renegotiation
        } else if (openssl_writes_) {
            const ByteSpan whole(record->header.data(), record_header_size + record->body.size());
            if (BIO_write(rbio_, whole.data(), static_cast<int>(whole.size())) > 0)
                to_openssl = true;
        } else {
            ++stats_.late_handshake;
        }
    }
    if (rejected) ++stats_.garbage;
    if (to_openssl) {
        bool delivered = false;
        read_application_data(delivered);  // a retransmitted flight: OpenSSL answers it
        if (BIO_ctrl_pending(rbio_) > 0) (void)BIO_reset(rbio_);
    }
    if (opened_data && openssl_writes_ && state_ == State::connected) take_over_writes();
}

// Opens one record of epoch 1 and acts on it; false when it does not authenticate.
bool Transport::open_record(const Record& record) {
    Bytes data = pool_.take();
    data.resize(record.body.size());
    const auto size = protection_->open(record, data);
    if (!size) {
        pool_.give(std::move(data));
        return false;
    }
    read_window_.accept(record.sequence);
    data.resize(*size);
    if (record.type == static_cast<std::uint8_t>(ContentType::application_data)) {
        ++stats_.records_received;
        received_data_ = true;
        events_.push_back(event::DataReceived{std::move(data)});
        return true;
    }
    // An alert (RFC 5246 §7.2): level, description.
    ByteReader alert(data);
    const auto level = alert.u8();
    const auto description = alert.u8();
    pool_.give(std::move(data));
    if (!level || !description) return true;
    const int value = (*level << 8) | *description;
    const std::string name = std::string(SSL_alert_type_string_long(value)) + " alert " +
                             SSL_alert_desc_string_long(value);
    FLOE_LOG(LogLevel::debug, "dtls") << "received " << name;
    if (*description == SSL_AD_CLOSE_NOTIFY)
        finish_closed("peer sent close_notify");
    else if (*level == SSL3_AL_FATAL)
        fail("peer sent " + name);
    return true;
}

}  // namespace floe::dtls
