// A STUN Binding server (RFC 8489 §6.3, §7.3), sans-IO: datagrams in, responses out, no socket.
//
// Binding requests get a success response with XOR-MAPPED-ADDRESS and FINGERPRINT only, the
// smallest answer RFC 8489 allows (40 bytes over IPv4, 52 over IPv6), because a UDP server
// answers whatever source a request claims: every byte beyond the request's size is
// amplification towards a spoofed victim (docs/stun.md). No MAPPED-ADDRESS: RFC 3489 clients (no
// magic cookie) are not answered at all. SOFTWARE only when configured (`floe stun-server
// --software`). A request with an unknown comprehension-required attribute gets 420 with
// UNKNOWN-ATTRIBUTES; one whose attributes are malformed, or of another method, gets 400. What
// cannot be answered is dropped and counted: datagrams that are not STUN or whose framing is
// broken, a wrong FINGERPRINT (RFC 8489 §7.3: silently discarded), indications and responses.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>
#include <floe/stun/message.hpp>

#include "common/time.hpp"

namespace floe::stun {

struct BindingServerConfig {
    std::string software = {};     // SOFTWARE in every answer; empty (the default): none
    std::size_t max_queued = 256;  // responses not yet polled beyond this are dropped
};

class BindingServer {
  public:
    struct Transmit {
        SocketAddress destination;
        Bytes data;
    };
    struct Counters {
        std::uint64_t received = 0;
        std::uint64_t success_responses = 0;
        std::uint64_t error_responses = 0;     // 400 + 420
        std::uint64_t bad_request = 0;         // answered 400 (malformed attributes)
        std::uint64_t unsupported_method = 0;  // answered 400 (not Binding)
        std::uint64_t unknown_attribute = 0;   // answered 420
        std::uint64_t dropped_not_stun = 0;
        std::uint64_t dropped_malformed = 0;  // framing broken: no answer possible
        std::uint64_t dropped_bad_fingerprint = 0;
        std::uint64_t dropped_indication = 0;
        std::uint64_t dropped_response = 0;
        std::uint64_t dropped_queue_full = 0;
    };

    explicit BindingServer(BindingServerConfig config = {}) : config_(std::move(config)) {}

    void handle_input(Instant now, const SocketAddress& from, ByteSpan datagram);
    std::optional<Transmit> poll_transmit();
    const Counters& counters() const { return counters_; }

  private:
    void respond(const SocketAddress& to, Bytes message);
    void respond_error(const SocketAddress& to, const Header& request, int code,
                       std::span<const std::uint16_t> unknown = {});

    BindingServerConfig config_;
    Counters counters_;
    std::deque<Transmit> queue_;
};

// "received=12 success=10 ..." for logs and the CLI.
std::string to_string(const BindingServer::Counters& counters);

}  // namespace floe::stun
