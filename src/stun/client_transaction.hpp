// A STUN client transaction over UDP (RFC 8489 §6.2.1), sans-IO.
//
// The request is sent at once, then retransmitted while no response arrives: after RTO, then
// after 2·RTO, 4·RTO, ... (RTO doubles), Rc transmissions in all; after the last one the
// transaction waits Rm·RTO more and then times out. With the defaults (500 ms, Rc = 7, Rm = 16)
// the sends are at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the timeout at 39.5 s. A caller
// that measured the round trip to the destination may start from a shorter RTO (`measured_rto`):
// the interval doubles from there, sends go on as long as the initial RTO's schedule sends, and
// the transaction ends when that one would. With 100 ms: 0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 12.7,
// 25.5 s, the timeout at 39.5 s.
//
//   ClientTransaction t(request_bytes, server, now);
//   loop: while (auto tx = t.poll_transmit()) send(tx->data, tx->destination);
//         on datagram: t.handle_input(now, from, bytes);   on timer: t.handle_timeout(now);
//         if (auto e = t.poll_event()) -> response or timeout;  sleep until t.poll_timeout().
#pragma once

#include <cstdint>
#include <optional>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>
#include <floe/stun/integrity.hpp>
#include <floe/stun/message.hpp>

#include "common/time.hpp"

namespace floe::stun {

struct RetransmissionConfig {
    Duration initial_rto = std::chrono::milliseconds(500);
    int max_transmissions = 7;       // Rc, at least 1
    int final_wait_multiplier = 16;  // Rm: the last wait is Rm · initial RTO
    // Cap on the doubled interval (RFC 8489 leaves it open; ICE paces its own checks).
    Duration max_rto = Duration::max();
    // An RTO estimated from a measured round trip (RFC 8489 §6.2.1: the RTO estimates the round
    // trip, and may be kept from one transaction for the next to the same destination); used
    // when shorter than initial_rto, which still fixes how long the transaction lasts.
    std::optional<Duration> measured_rto{};
};

class ClientTransaction {
  public:
    struct Transmit {
        SocketAddress destination;
        ByteSpan data;  // the request, valid while the transaction lives
    };
    struct Event {
        enum class Kind : std::uint8_t { response, timed_out };
        Kind kind = Kind::timed_out;
        Bytes response;  // the raw response (success or error); decode with Message::decode
        SocketAddress from;
        Duration rtt{};      // from the latest transmission to the response
        Duration elapsed{};  // from the first transmission
        int transmissions = 0;
    };

    // `request` must be an encoded STUN request (the transaction id is read from it). Throws
    // std::invalid_argument if it is not, or if the configuration is unusable.
    ClientTransaction(Bytes request, const SocketAddress& destination, Instant now,
                      RetransmissionConfig config = {});

    // With a key, a success response counts only if its MESSAGE-INTEGRITY verifies (error
    // responses need not carry one: 400/401/420 usually cannot).
    void require_integrity(const IntegrityKey& key) { key_ = key; }

    // True if the datagram is this transaction's response and was taken. Feed it only the
    // datagrams of the socket the request left from. Responses that fail a check (bad
    // fingerprint or integrity, another method, or from another address than the request went
    // to) are ignored and counted, and the transaction keeps waiting.
    bool handle_input(Instant now, const SocketAddress& from, ByteSpan datagram);
    void handle_timeout(Instant now);
    // Sends the request again now, outside the schedule (the caller has news that the path
    // works); when later sends go and when the transaction ends stay as they were.
    void resend_now(Instant now);
    std::optional<Instant> poll_timeout() const;
    std::optional<Transmit> poll_transmit();
    std::optional<Event> poll_event();

    const TransactionId& transaction_id() const { return id_; }
    bool done() const { return done_; }
    int transmissions() const { return transmissions_; }
    Instant last_sent() const { return last_sent_; }
    // Datagrams carrying this transaction's id that were ignored (failed checks).
    std::uint64_t ignored_responses() const { return ignored_; }

  private:
    void transmit(Instant now);

    Bytes request_;
    SocketAddress destination_;
    RetransmissionConfig config_;
    TransactionId id_{};
    std::uint16_t method_ = 0;
    std::optional<IntegrityKey> key_;
    Instant first_sent_{};
    Instant last_sent_{};
    Instant deadline_{};
    Duration interval_{};
    Duration scheduled_{};        // the latest send's place in the schedule (from the first)
    Duration last_send_after_{};  // from the first send: no send later than this
    Duration lifetime_{};         // from the first send: the timeout
    bool last_transmission_ = false;
    int transmissions_ = 0;
    bool transmit_pending_ = false;
    bool done_ = false;
    std::uint64_t ignored_ = 0;
    std::optional<Event> event_;
};

}  // namespace floe::stun
