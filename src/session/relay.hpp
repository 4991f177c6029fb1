// The session's relays: one TURN allocation (RFC 8656, turn::Client) per configured TURN server,
// each shown to the ICE agent as a virtual socket whose address is the relayed one (relay
// candidates, RFC 8445 §5.1.1.2). Sans-IO like the rest of the session:
//
//   - what the servers send arrives on the socket that reached them (the host UDP socket of
//     the server's family, or the stream socket the runtime opened for TCP/TLS) and is taken by
//     handle_input(); peers' datagrams come out as Event::data, on the relay's virtual socket;
//   - what ICE or DTLS sends on a relay's virtual socket goes through send(): a Send
//     indication, or ChannelData once the pair is in use (bind_channel);
//   - a permission is asked for every peer address before the first datagram to it, and the
//     datagrams wait (a few) until the server installed it; turn::Client refreshes permissions,
//     channels and the allocation before they expire;
//   - close() deallocates (Refresh with LIFETIME 0), best effort.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>

#include "common/fifo.hpp"
#include "common/random.hpp"
#include "common/time.hpp"
#include "ice/agent.hpp"
#include "session/types.hpp"
#include "turn/client.hpp"

namespace floe::session {

class Relays {
  public:
    // Virtual socket ids of relays start here, far above the runtime's real ones.
    static constexpr ice::SocketId first_relay_socket = 0x40000000;
    static bool is_relay(ice::SocketId socket) { return socket >= first_relay_socket; }
    // Datagrams held per relay while their permission is being installed.
    static constexpr std::size_t max_waiting = 32;
    // Remote candidate addresses remembered for relays allocated later (as the agent's bound).
    static constexpr std::size_t max_remotes = 100;

    struct LocalSocket {
        ice::SocketId id = 0;
        SocketAddress address;
    };

    struct Event {
        enum class Kind : std::uint8_t { allocated, failed, data };
        Kind kind = Kind::data;
        ice::SocketId relay = 0;
        SocketAddress relayed;  // allocated
        SocketAddress mapped;   // allocated
        SocketAddress peer;     // data
        Bytes data;             // data
        std::string url;
        SocketAddress local;         // the socket that spoke to the server
        int code = 0;                // failed: STUN error code, 701 when the server never answered
        std::string reason;          // failed
        bool was_allocated = false;  // failed: the allocation had succeeded (it was lost)
    };

    explicit Relays(Random& random) : random_(random) {}

    // Starts one allocation per server that has a socket to reach it: for UDP the first socket
    // of the server's family in `sockets`; for TCP/TLS the server's stream_socket (the runtime
    // connects it; messages on it are framed, RFC 8656 §3.1). A server without one fails at once
    // (Event::failed).
    void start(Instant now, const std::vector<TurnServer>& servers,
               std::span<const LocalSocket> sockets);
    // The runtime's stream to a TCP/TLS server could not be opened, or broke: that relay fails
    // (701, `reason`), and is lost if it was allocated.
    void stream_failed(ice::SocketId socket, std::string reason);
    bool started() const { return started_; }
    // Every allocation succeeded or failed (gathering may complete).
    bool settled() const;
    // The URLs of the TURN servers whose allocation has not succeeded or failed yet.
    std::vector<std::string> pending_urls() const;

    // Bytes that arrived on `socket` from `from`: true when they were a relay server's (then
    // they are consumed here), false when they are for the caller to demultiplex.
    bool handle_input(Instant now, ice::SocketId socket, const SocketAddress& from, ByteSpan data);
    // A datagram to `peer` through relay `relay` (a virtual socket id).
    void send(Instant now, ice::SocketId relay, const SocketAddress& peer, ByteSpan data);
    // A remote candidate's address: every relay of its family asks for a permission for it
    // (and relays allocated later do when they are).
    void permit(Instant now, const SocketAddress& peer);
    // The selected pair runs on relay `relay` to `peer`: its traffic goes as ChannelData.
    void bind_channel(Instant now, ice::SocketId relay, const SocketAddress& peer);
    void close(Instant now);

    void handle_timeout(Instant now);
    std::optional<Instant> poll_timeout() const;
    std::optional<Transmit> poll_transmit();
    std::optional<Event> poll_event();

    // The URL of relay `relay`'s server ("" when unknown).
    std::string url_of(ice::SocketId relay) const;
    // The client behind relay `relay` (tests, stats), null when unknown.
    const turn::Client* client(ice::SocketId relay) const;

  private:
    struct Waiting {
        SocketAddress peer;
        Bytes data;
    };
    struct Entry {
        TurnServer server;
        ice::SocketId relay = 0;
        ice::SocketId socket = 0;  // where the server is reached
        SocketAddress local;
        std::optional<turn::Client> client;
        bool settled = false;
        bool allocated = false;
        std::vector<Waiting> waiting;
        std::vector<IpAddress> asked;      // permissions asked for, not installed yet
        std::vector<IpAddress> permitted;  // every permission asked for (refreshed by the client)
    };
    Entry* find(ice::SocketId relay);
    const Entry* find(ice::SocketId relay) const;
    void drain(Instant now, Entry& entry);
    void permit(Instant now, Entry& entry, const SocketAddress& peer);
    void fail(Entry& entry, int code, std::string reason);

    Random& random_;
    bool started_ = false;
    std::vector<std::pair<ice::SocketId, std::string>> broken_streams_;  // stream_failed() early
    std::vector<Entry> entries_;
    std::vector<SocketAddress> remotes_;  // permit()ted
    Fifo<Transmit> out_;
    Fifo<Event> events_;
};

}  // namespace floe::session
