// A TURN client (RFC 8656), sans-IO: one allocation on one TURN server, its permissions and
// channels, over any transport to the server (UDP, or a TCP/TLS stream the caller frames with
// StreamFramer).
//
// The allocation's life:
//   Allocate (no credentials) -> 401 with REALM and NONCE -> Allocate with the long-term
//   credential -> success: XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS, LIFETIME.
//   Refresh before LIFETIME ends; CreatePermission per peer IP (5-minute lifetime, refreshed a
//   minute early); ChannelBind per peer in use (10 minutes, refreshed likewise); data goes as
//   Send indications, or ChannelData once the peer's channel is bound; Refresh with LIFETIME 0 on
//   close(). A 438 (Stale Nonce) to any request brings a new nonce: the request is sent again.
//
//   turn::Client client(config, random, now);
//   loop: while (auto t = client.poll_transmit()) send t->data to the server;
//         on bytes from the server: client.handle_input(now, bytes);
//         on timer: client.handle_timeout(now);  while (auto e = client.poll_event()) ...;
//         sleep until client.poll_timeout().
//
// What ICE uses (relay candidates): create_permission(remote) for each remote candidate paired
// with the relay candidate, send_to(peer, bytes) for checks and data, Event::data for what peers
// send, bind_channel(peer) once a pair is selected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>

#include "common/fifo.hpp"
#include "common/random.hpp"
#include "common/time.hpp"
#include "stun/client_transaction.hpp"
#include "stun/long_term_credentials.hpp"

namespace floe::turn {

struct ClientConfig {
    SocketAddress server;  // where transmits go (the destination of every Transmit)
    std::string username;
    std::string password;
    // TCP or TLS to the server: no retransmissions (RFC 8489 §6.2.2) and padded ChannelData.
    bool stream = false;
    // LIFETIME asked for in Allocate and Refresh (RFC 8656 §7.2: the server may grant less).
    std::uint32_t lifetime_seconds = 600;
    stun::RetransmissionConfig retransmission{};  // UDP only
    std::string software;                         // SOFTWARE in Allocate ("" for none)
};

// Bytes for the server: one datagram over UDP, or bytes to write on the stream.
struct Transmit {
    SocketAddress destination;
    Bytes data;
};

struct Event {
    enum class Kind : std::uint8_t {
        allocated,           // relayed, mapped, lifetime
        refreshed,           // lifetime (the allocation was refreshed)
        failed,              // the allocation failed or was lost: code (0: no answer), reason
        permission_created,  // peer (its IP)
        permission_failed,   // peer, code, reason
        channel_bound,       // peer, channel
        channel_failed,      // peer, code, reason
        data,                // peer, data: a datagram from a peer through the relay
        deallocated,         // close() finished (or nothing was allocated)
    };
    Kind kind = Kind::failed;
    SocketAddress relayed;
    SocketAddress mapped;
    Duration lifetime{};
    SocketAddress peer;
    std::uint16_t channel = 0;
    Bytes data;
    int code = 0;
    std::string reason;
};
std::string_view to_string(Event::Kind kind);

// What send_to() did.
enum class SendResult : std::uint8_t {
    sent_indication,    // as a Send indication
    sent_channel_data,  // as ChannelData on the peer's bound channel
    not_allocated,      // no allocation (yet, or any more)
    no_permission,      // create_permission(peer) was not asked for
    too_large,          // above max_payload
};

// A sentence for the user: what an error code means for this request, and what to do.
// `method` is a stun::method value; `server_reason` the reason phrase the server sent.
std::string describe_error(std::uint16_t method, int code, std::string_view server_reason);

class Client {
  public:
    // Largest datagram to a peer: what fits a STUN DATA attribute in one 16-bit length.
    static constexpr std::size_t max_payload = 65535 - 64;
    static constexpr std::size_t max_permissions = 256;      // peer IPs
    static constexpr std::size_t max_channels = 256;         // of the 4096 RFC 8656 allows
    static constexpr std::size_t max_pending_events = 1024;  // data events beyond are dropped
    // RFC 8656 §9: a permission lasts 300 s; §12: a channel binding 600 s. Both are refreshed
    // a minute before, like the allocation (or at half its lifetime when that is shorter).
    static constexpr Duration permission_lifetime = std::chrono::seconds(300);
    static constexpr Duration channel_lifetime = std::chrono::seconds(600);
    static constexpr Duration refresh_margin = std::chrono::seconds(60);

    // Starts allocating at once (the first Allocate is in poll_transmit()).
    Client(ClientConfig config, Random& random, Instant now);

    void handle_input(Instant now, ByteSpan bytes);
    void handle_timeout(Instant now);
    std::optional<Instant> poll_timeout() const;
    std::optional<Transmit> poll_transmit();
    std::optional<Event> poll_event();

    // Asks for a permission for `peer`'s IP (the port does not matter, RFC 8656 §9) and keeps
    // it refreshed. Asking again for a known IP does nothing. False when not allocated or at
    // max_permissions.
    bool create_permission(Instant now, const SocketAddress& peer);
    SendResult send_to(const SocketAddress& peer, ByteSpan data);
    // Binds a channel to `peer` (also installing its permission); send_to() then uses ChannelData
    // once the server confirmed. False when not allocated, already bound, or at max_channels.
    bool bind_channel(Instant now, const SocketAddress& peer);
    // Deallocates (Refresh with LIFETIME 0); Event::deallocated follows.
    void close(Instant now);

    enum class State : std::uint8_t { allocating, allocated, closing, closed, failed };
    State state() const { return state_; }
    const std::optional<SocketAddress>& relayed_address() const { return relayed_; }
    const std::optional<SocketAddress>& mapped_address() const { return mapped_; }
    // The channel bound to `peer`, when the server confirmed it.
    std::optional<std::uint16_t> channel_for(const SocketAddress& peer) const;

    struct Counters {
        std::uint64_t requests_sent = 0;       // transactions started (retries included)
        std::uint64_t credential_retries = 0;  // requests sent again after 401 or 438
        std::uint64_t stale_nonces = 0;        // 438 answers
        std::uint64_t allocation_refreshes = 0;
        std::uint64_t permission_refreshes = 0;
        std::uint64_t channel_refreshes = 0;
        std::uint64_t indications_sent = 0;
        std::uint64_t channel_data_sent = 0;
        std::uint64_t data_received = 0;
        std::uint64_t dropped_malformed = 0;     // neither valid STUN nor ChannelData
        std::uint64_t dropped_unexpected = 0;    // no matching transaction, wrong method/class
        std::uint64_t dropped_unknown_peer = 0;  // data from a peer without permission/channel
        std::uint64_t dropped_events = 0;        // data events beyond max_pending_events
    };
    const Counters& counters() const { return counters_; }

  private:
    enum class Request : std::uint8_t { allocate, refresh, permission, channel_bind };
    struct Pending {
        Request request;
        stun::ClientTransaction transaction;
        SocketAddress peer;
        std::uint16_t channel = 0;
        std::uint32_t lifetime = 0;  // Refresh: what was asked (0: deallocate)
        int retries = 0;             // credential retries of this request so far
        std::string nonce;           // the NONCE it was signed with ("" before the challenge)
    };
    struct Permission {
        IpAddress ip;
        bool installed = false;
        bool pending = false;
        Instant refresh_at{};
    };
    struct Channel {
        SocketAddress peer;
        std::uint16_t number = 0;
        bool bound = false;
        bool pending = false;
        Instant refresh_at{};
    };

    void start(Instant now, Request request, const SocketAddress& peer = {},
               std::uint16_t channel = 0, std::uint32_t lifetime = 0, int retries = 0);
    Bytes build(Request request, const SocketAddress& peer, std::uint16_t channel,
                std::uint32_t lifetime);
    void drain(Pending& pending);
    void on_answer(Instant now, Pending pending, const stun::ClientTransaction::Event& event);
    void on_success(Instant now, const Pending& pending, const stun::Message& response);
    void on_failure(Instant now, const Pending& pending, int code, std::string reason);
    void on_indication(const stun::Message& message);
    void on_channel_data(ByteSpan bytes);
    void fail(int code, std::string reason);
    void push_event(Event event);
    void settle(Instant now);  // runs finished transactions
    Permission* find_permission(const IpAddress& ip);
    Channel* find_channel(const SocketAddress& peer);
    Duration refresh_after(Duration lifetime) const;

    ClientConfig config_;
    Random& random_;
    stun::LongTermCredentials credentials_;
    State state_ = State::allocating;
    std::optional<SocketAddress> relayed_, mapped_;
    Instant allocation_refresh_at_{};
    std::vector<Pending> pending_;
    std::vector<Permission> permissions_;
    std::vector<Channel> channels_;
    Fifo<Transmit> transmits_;
    Fifo<Event> events_;
    Counters counters_;
};

}  // namespace floe::turn
