// One SCTP association over DTLS (RFC 8261), as a sans-IO object around usrsctp in AF_CONN mode,
// with DCEP (RFC 8832) and the data channels of RFC 8831 on top.
//
//   Association a({.role = Role::client});       // DTLS client: even stream ids
//   a.handle_input(now, sctp_packet_from_dtls);  // then drain:
//   while (auto p = a.poll_transmit()) dtls.send(*p);
//   while (auto e = a.poll_event()) ...;
//   a.handle_timeout(now) when poll_timeout() is due.
//
// usrsctp is process-global and this wrapper initialises it once (see usrsctp_global.cpp for the
// details: timers, checksums, threads). Everything else is per association: socket options,
// buffer sizes, stream counts. An Association is not thread-safe; use it from one thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <floe/bytes.hpp>
#include <floe/max_message_size.hpp>
#include <floe/result.hpp>

#include "common/buffer_pool.hpp"
#include "common/dtls_role.hpp"
#include "common/fifo.hpp"
#include "common/time.hpp"
#include "sctp/data_channel.hpp"
#include "sctp/dcep.hpp"
#include "sctp/tuning.hpp"

struct socket;  // usrsctp's

namespace floe::sctp {

// The DTLS role decides stream id parity (RFC 8832 §6): the client uses even ids.
using Role = DtlsRole;

struct Config {
    Role role = Role::client;
    std::uint16_t local_port = 5000;   // a=sctp-port of our description
    std::uint16_t remote_port = 5000;  // a=sctp-port of the peer's
    // The a=max-message-size we advertise: larger incoming messages are dropped (and counted);
    // 0 means no limit (then only memory bounds a message).
    std::size_t local_max_message_size = default_max_message_size;
    // The peer's a=max-message-size (RFC 8841 §6: 65,536 when absent; 0 means no limit). send()
    // refuses larger messages.
    std::size_t remote_max_message_size = 65536;
    // Streams each way (RFC 8831 asks for 65,535; ~1,024 keeps usrsctp's per-stream memory small).
    std::uint16_t max_streams = 1024;
    // usrsctp's per-association socket buffers (SO_SNDBUF / SO_RCVBUF).
    std::size_t send_buffer_size = 1024 * 1024;
    std::size_t receive_buffer_size = 1024 * 1024;
    // Largest SCTP packet handed to DTLS: a 1,200-byte DTLS datagram minus the DTLS 1.2 AES-GCM
    // record overhead (13 header + 8 nonce + 16 tag).
    std::size_t mtu = 1200 - 37;
    // Bytes of labels and protocols that the channels the peer opened may hold together. DCEP
    // allows 65,535 of each per channel: without a bound, a peer opening channels on every
    // stream would make us hold 128 MiB. An OPEN over the budget is refused (its stream reset).
    std::size_t max_remote_channel_text = 256 * 1024;
    // RTO.initial (RFC 9260 §6.3.1 C1), what a lost INIT or COOKIE-ECHO waits: the session sets
    // it from ICE's round trip (initial_rto_for in tuning.hpp). At least kRtoMin.
    Duration initial_rto = kRtoInitial;
};

enum class SctpError {
    not_established,  // the association is closed or failed
    unknown_channel,
    channel_not_open,
    message_too_large,  // larger than the peer's max-message-size
    id_in_use,
    id_out_of_range,  // >= max_streams
    no_free_id,
    invalid_options,  // both max_retransmits and max_packet_life_time, or a label too long
    would_block,      // usrsctp refused with an unexpected error
};
std::string_view to_string(SctpError error);

namespace event {
struct AssociationEstablished {};
// Ended on purpose: by the peer (ABORT or SHUTDOWN after it was up) or by close().
struct AssociationClosed {
    std::string reason;
};
// Could not be set up (refused, or INIT unanswered), or lost: retransmissions exhausted.
struct AssociationFailed {
    std::string reason;
};
// The peer opened a channel with DATA_CHANNEL_OPEN; ChannelOpened follows for the same id.
struct ChannelRequested {
    std::uint16_t id;
    std::string label;
    std::string protocol;
    Reliability reliability;
    std::uint16_t priority;
};
// The channel is open (any kind: ours after DATA_CHANNEL_OPEN is sent, negotiated ones when the
// association is up, the peer's after ChannelRequested). Messages may follow at once.
struct ChannelOpened {
    std::uint16_t id;
};
struct Message {
    std::uint16_t id;
    bool binary;
    Bytes data;
};
// buffered_amount fell from above the low threshold to at or below it.
struct BufferedAmountLow {
    std::uint16_t id;
};
// Both streams of the channel are reset (or the association ended); the id is free again.
struct ChannelClosed {
    std::uint16_t id;
};
}  // namespace event

using Event = std::variant<event::AssociationEstablished, event::AssociationClosed,
                           event::AssociationFailed, event::ChannelRequested, event::ChannelOpened,
                           event::Message, event::BufferedAmountLow, event::ChannelClosed>;

// What was refused or dropped (bad input is counted, never thrown).
struct Stats {
    std::uint64_t packets_received = 0;
    std::uint64_t malformed_packets = 0;  // shorter than SCTP's common header
    std::uint64_t packets_sent = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t malformed_dcep = 0;      // unparsable DCEP, or an OPEN for an id in use
    std::uint64_t refused_channels = 0;    // an OPEN on our parity or over the text budget
    std::uint64_t dropped_messages = 0;    // no such channel, unknown PPID, too large
    std::uint64_t oversized_messages = 0;  // of those: over local_max_message_size
};

class Association {
  public:
    explicit Association(const Config& config);
    ~Association();
    Association(const Association&) = delete;
    Association& operator=(const Association&) = delete;

    // ---- sans-IO verbs
    // One SCTP packet, as decrypted by DTLS. Not verified by checksum (DTLS already did).
    void handle_input(Instant now, ByteSpan packet);
    void handle_timeout(Instant now);
    std::optional<Instant> poll_timeout() const;
    // Brings usrsctp's (process-wide) clock to `now`. Call before send()/uncork() when the last
    // handle_* call may be a while ago: a retransmission timer started on a lagging clock would
    // fire early by the lag (handle_input and handle_timeout do this themselves).
    void advance_clock(Instant now);
    // How late the caller's wake-ups run (its thread's recent timer lateness): raises RTO.min to
    // rto_min_for_lag(lag) (tuning.hpp), and lowers it again when the lag is gone. Changes smaller
    // than a quarter (or 2 ms) are left alone: not a socket option call on every wake-up. The
    // T3 wake-up (poll_timeout) follows it, so a busy thread does not tick for a T3 that cannot
    // fire; usrsctp takes the floor into its RTO at its next round-trip sample, and a T3 that
    // fires before (in another association's tick) waits in the queue for our next wake-up.
    void set_scheduling_lag(Duration lag);
    Duration rto_min() const { return rto_min_; }  // as set on the socket
    std::optional<Bytes> poll_transmit();
    // Gives back a packet from poll_transmit once sent, so that the next one reuses its buffer.
    void recycle(Bytes packet);
    std::optional<Event> poll_event();

    // ---- channels
    // Opens a channel: a DCEP one gets the lowest free id of our parity; a negotiated one uses
    // options.negotiated_id. Usable before the association is established (it opens then).
    Result<std::uint16_t, SctpError> open_channel(std::string_view label, std::string_view protocol,
                                                  const ChannelOptions& options = {});
    // Queues one message. An empty one is sent as PPID 56/57 with a single 0x00 byte.
    Result<Ok, SctpError> send(std::uint16_t id, bool binary, ByteSpan data);
    // Any PPID, bytes as given: for tests and tools that need to put odd messages on the wire.
    Result<Ok, SctpError> send_with_ppid(std::uint16_t id, std::uint32_t ppid, ByteSpan data);
    // Starts the closing handshake: what was sent before is transmitted first, then the
    // outgoing stream is reset (RFC 8831 §6.7). Safe to call twice.
    void close_channel(std::uint16_t id);
    // Bytes of user data sent and not yet transmitted: queued here or in usrsctp, not yet put
    // into a packet once (as browsers count bufferedAmount). 0 means every byte left.
    std::size_t buffered_amount(std::uint16_t id) const;
    void set_buffered_amount_low_threshold(std::uint16_t id, std::size_t bytes);
    const DataChannel* channel(std::uint16_t id) const;
    std::size_t channel_count() const { return channels_.size(); }

    // ---- batching
    // Between cork() and uncork(), a message small enough to share a packet waits in the send
    // queue instead of going to usrsctp at once; uncork() hands the batch over together, so that
    // usrsctp bundles the messages into full packets (RFC 9260 §6.10). Sent one by one, while
    // the window is open, each message is a packet of its own. uncork() returns whether it
    // handed anything over.
    void cork() { corked_ = true; }
    bool uncork();

    // ---- association
    bool established() const { return state_ == State::established; }
    // Aborts the association (one ABORT packet is queued for poll_transmit); channels close.
    void close();
    // Ends the association gracefully (RFC 9260 §9.2): what is queued is sent, every DATA chunk
    // acknowledged, then SHUTDOWN; AssociationClosed follows once the peer completed it. Sending
    // is refused from now on. Not established yet: the same as close(). A caller that cannot
    // wait for an unresponsive peer calls close() later.
    void shutdown();
    bool shutting_down() const { return shutdown_wanted_; }
    void set_remote_max_message_size(std::size_t bytes) { config_.remote_max_message_size = bytes; }
    const Config& config() const { return config_; }
    const Stats& stats() const { return stats_; }

  private:
    enum class State { connecting, established, closed };
    struct Outgoing {
        std::uint16_t id;
        Ppid ppid;
        bool unordered;
        Bytes data;
        std::size_t offset = 0;
        bool user_data = true;  // counted in buffered_amount (not DCEP, not the empty-message byte)
    };
    struct Reassembly {
        Bytes data;
        std::uint32_t ppid = 0;
        bool discarding = false;  // over max-message-size: dropped up to its end
    };

    static int on_conn_output(void* addr, void* buffer, std::size_t length, std::uint8_t tos,
                              std::uint8_t set_df);
    friend struct UsrsctpGlobal;

    void configure_socket();
    void after_usrsctp();  // drain receives, notifications, sends: after every call into usrsctp
    void receive_all();
    void handle_notification(ByteSpan data);
    void handle_fragment(std::uint16_t id, std::uint32_t ppid, ByteSpan data, bool end);
    // `owned`, when given, holds `data` and may be moved into the event instead of copied.
    void handle_message(std::uint16_t id, std::uint32_t ppid, ByteSpan data,
                        Bytes* owned = nullptr);
    void handle_dcep(std::uint16_t id, ByteSpan data);
    // Sends one message: straight to usrsctp while it has room, the rest into send_queue_.
    void submit(DataChannel& ch, Ppid ppid, bool unordered, ByteSpan data, bool user_data);
    // Hands queued messages to usrsctp, as many as it takes; returns bytes handed over.
    std::size_t flush_sends();
    void set_nagle(bool on);
    void set_sack_frequency(std::uint32_t frequency);
    // Every packet acknowledged while our SACKs report losses (and kLossyWindow after) or while
    // the peer's packets come alone (kLoneSacksForAtOnce); every second one otherwise.
    void update_sack_frequency(Instant now);
    // Ends acknowledging at once (a reply or a second packet came within kSackDelay).
    void stop_sack_at_once(Instant now);
    // Our own advance of usrsctp's clock: packets it makes are a timer's (see lone_sacks_).
    void tick(Instant now);
    // Hands part of a message to usrsctp; returns bytes accepted (0 when it would block).
    std::size_t write(const DataChannel& ch, Ppid ppid, bool unordered, ByteSpan data, bool last);
    std::size_t piece_size() const;
    bool packs_with_others(std::size_t message_size) const;
    std::size_t chunk_room() const;  // bytes of chunks in one packet (usrsctp's path MTU)
    void send_open(DataChannel& ch);
    void on_established();
    void on_ended(bool failed, std::string reason);
    void request_reset(DataChannel& ch);
    void retry_resets();
    void on_stream_reset(std::uint16_t id, bool incoming, bool outgoing);
    void maybe_closed(DataChannel& ch);
    void set_open(DataChannel& ch);
    // buffered_amount's bookkeeping (see account_transmitted in send_queue.cpp).
    void hand_over(DataChannel& ch, std::size_t bytes);  // straight to usrsctp
    void take_back(DataChannel& ch, std::size_t bytes);  // usrsctp did not take them
    void move_to_usrsctp(DataChannel& ch, std::size_t bytes);
    void move_back_from_usrsctp(DataChannel& ch, std::size_t bytes);
    // Counts the DATA chunks usrsctp put into new packets as transmitted (see buffered_amount).
    void account_transmitted();
    void release_buffered(DataChannel& ch, std::size_t bytes);
    void refuse_channel(std::uint16_t id, const char* why);
    void forget_channel(std::uint16_t id);
    void maybe_send_shutdown();
    std::optional<std::uint16_t> allocate_id() const;
    DataChannel* find(std::uint16_t id);
    void release_socket(bool abort);
    bool has_data_in_flight() const;

    Config config_;
    State state_ = State::connecting;
    struct socket* sock_ = nullptr;
    std::map<std::uint16_t, DataChannel> channels_;
    std::deque<Outgoing> send_queue_;
    // Emptied buffers of sent messages, kept while the queue is busy: a fresh 64 KiB allocation
    // per queued message faulted its pages in again every time (glibc trims the freed ones).
    BufferPool queue_buffers_{16, 256 * 1024};
    std::map<std::uint16_t, Reassembly> partial_;
    std::uint16_t out_streams_ = 0;  // negotiated outgoing streams, once established
    Fifo<Event> events_;
    std::optional<Instant> last_timer_;
    Instant now_{};       // the caller's clock at its last call that gave one
    Instant sack_due_{};  // a delayed SACK is owed from then (see kFineTick)
    // DATA came in, and no SACK acknowledging it has left since (conn_output reads the SACKs'
    // cumulative TSN; both written under out_mutex_, the flag also read without it).
    std::atomic<bool> sack_owed_{false};
    std::uint32_t sack_owed_for_tsn_ = 0;
    Instant t3_from_{};  // T3-rtx started no earlier (while in_flight_)
    // Data handed to usrsctp and not all acknowledged (T3 may run): set by a write, cleared by
    // usrsctp's SENDER_DRY notification.
    bool in_flight_ = false;
    // A packet another association's call made for this one waits in out_ (conn_output).
    std::atomic<bool> activity_{false};
    bool resets_pending_ = false;
    bool corked_ = false;
    bool nagle_ = false;  // SCTP_NODELAY off: usrsctp holds a part-filled packet (see flush_sends)
    bool input_has_abort_ = false;  // the packet being fed to usrsctp carries an ABORT chunk
    bool shutdown_wanted_ = false;  // shutdown(): SHUTDOWN once the send queue is empty
    bool shutdown_sent_ = false;
    bool peer_shut_down_ = false;          // the peer sent SHUTDOWN: usrsctp still completes it
    bool notification_continues_ = false;  // the last notification read was not whole
    std::size_t remote_channel_text_ = 0;  // label + protocol bytes of the peer's open channels
    std::size_t unsent_total_ = 0;         // DataChannel::unsent_in_usrsctp, summed
    std::optional<std::uint32_t> highest_tsn_sent_;  // of DATA chunks transmitted at least once
    std::atomic<bool> loss_seen_{false};             // a SACK we sent reported gaps (conn_output)
    Instant lossy_until_{};                          // acknowledge every packet until then
    // Delayed SACKs in a row that a timer sent in a packet of their own (conn_output: reset by a
    // SACK riding on DATA or sent at once during input); at kLoneSacksForAtOnce, sack_at_once_.
    std::atomic<std::uint8_t> lone_sacks_{0};
    bool sack_at_once_ = false;
    bool ticking_ = false;                 // inside tick(): conn_output's packets are a timer's
    std::optional<Instant> last_data_in_;  // the last packet with DATA came then
    std::uint32_t sack_frequency_ = 0;     // as set on the socket (0: configure_socket's)
    Duration rto_min_ = kRtoMin;           // as set on the socket (set_scheduling_lag)
    Stats stats_;

    // conn_output may run on another thread (usrsctp's timers are global: another association's
    // handle_timeout can retransmit for this one), so outgoing packets have their own lock.
    // usrsctp's name for this association (sconn_addr, conn_output's `addr`): a number never
    // used twice in the process, not `this`. A new association may be allocated where a destroyed
    // one was while usrsctp still holds the old one's endpoint or timers (an association whose
    // retransmissions ran out): with `this`, its bind would fail and its stray output would reach
    // the newcomer.
    const std::uintptr_t conn_id_;
    void* conn_addr() const { return reinterpret_cast<void*>(conn_id_); }
    mutable std::mutex out_mutex_;
    Fifo<Bytes> out_;
    // Packets at the back of out_ not yet account_transmitted(): written under out_mutex_, read
    // without it for the fast path.
    std::atomic<std::size_t> unaccounted_{0};
    BufferPool packet_buffers_{64, 2048};  // given back by recycle()
};

}  // namespace floe::sctp
