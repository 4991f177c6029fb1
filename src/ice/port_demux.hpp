// One UDP port shared by many ICE agents (issue 17: a server whose PeerConnections all listen on
// one port, as pion's UDPMux, str0m and libdatachannel's ICE UDP mux do). Sans-IO: the runtime
// asks route() who a datagram belongs to and tells the demultiplexer what it learned.
//
// How a datagram finds its owner:
//   - a STUN request or indication carrying USERNAME "L:R": the owner whose local ufrag is L
//     (RFC 8445 §7.2.2: the receiver's own fragment comes first);
//   - a STUN response: the owner that sent the request with that transaction id (a server's
//     Binding response has no USERNAME; two owners may ask the same STUN server);
//   - anything else (DTLS, and STUN without USERNAME): the owner for which ICE validated the
//     source address (validate()); a datagram from any other address is dropped and counted.
// A source address is a claim: it only routes non-STUN traffic once the owner's ICE agent has
// validated it (an authenticated check both ways), never because a request named the owner's
// ufrag. Every table is bounded; the oldest entry makes room.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>
#include <floe/stun/message.hpp>

#include "common/time.hpp"

namespace floe::ice {

class PortDemux {
  public:
    using Owner = std::uint64_t;

    struct Limits {
        // Outgoing requests remembered (a response routes by its transaction id).
        std::size_t max_transactions = 1 << 16;
        // RFC 8489 §6.2.1: a request is given up after Rc·RTO (39.5 s with the defaults).
        Duration transaction_lifetime = std::chrono::seconds(40);
        // Validated remote addresses kept per owner.
        std::size_t max_addresses_per_owner = 16;
    };

    struct Counters {
        std::uint64_t routed = 0;
        std::uint64_t unknown_ufrag = 0;       // a request for no owner here
        std::uint64_t unknown_response = 0;    // a response to no request of ours
        std::uint64_t unknown_address = 0;     // not STUN, from no validated address
        std::uint64_t malformed_stun = 0;      // first byte says STUN, the codec says no
        std::uint64_t address_taken_over = 0;  // a validated address moved to another owner
    };

    PortDemux() = default;
    explicit PortDemux(Limits limits) : limits_(limits) {}

    // An agent with this local ufrag receives on the port. An ICE restart's new ufrag is added
    // the same way; the old one stays until remove_ufrag() or remove_owner().
    void add_owner(Owner owner, const std::string& local_ufrag);
    void remove_ufrag(const std::string& local_ufrag);
    // Forgets everything of this owner (its PeerConnection closed).
    void remove_owner(Owner owner);

    // The owner sent a STUN request with this transaction id (a check, or a Binding request to a
    // STUN server).
    void note_request(Owner owner, const stun::TransactionId& id, Instant now);
    // The owner's ICE agent validated `remote`: its non-STUN datagrams go to this owner now.
    void validate(Owner owner, const SocketAddress& remote);

    std::optional<Owner> route(Instant now, ByteSpan datagram, const SocketAddress& from);

    const Counters& counters() const { return counters_; }
    std::size_t owners() const { return owners_.size(); }

  private:
    struct Transaction {
        Owner owner;
        Instant expires;
    };
    // What each owner holds in the tables, so that removing one costs what it holds, not a walk
    // over every owner's entries (a server with thousands of peers ends them one by one).
    // Transactions are not listed: a gone owner's expire on their own, and a response to one
    // finds no owner (route_stun).
    struct OwnerState {
        std::deque<SocketAddress> addresses;  // validated, oldest first
        std::vector<std::string> ufrags;
    };
    void expire(Instant now);
    std::optional<Owner> route_stun(Instant now, ByteSpan datagram, const SocketAddress& from);

    Limits limits_;
    Counters counters_;
    std::unordered_map<std::string, Owner> by_ufrag_;
    std::unordered_map<SocketAddress, Owner> by_address_;  // looked up for every datagram
    std::map<stun::TransactionId, Transaction> transactions_;
    std::deque<std::pair<Instant, stun::TransactionId>> transaction_order_;  // by expiry
    std::unordered_map<Owner, OwnerState> owners_;
};

}  // namespace floe::ice
