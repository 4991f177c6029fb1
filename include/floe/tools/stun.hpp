// The tools API: what the `floe` command line needs beyond PeerConnection, for anyone who wants
// to experiment the same way. A STUN Binding client (RFC 8489 §6.2.1 retransmissions) and a STUN
// Binding server on real UDP sockets, each with its own event loop; no PeerConnection involved.
//
//   auto r = floe::tools::stun_binding("stun:127.0.0.1:3478");
//   if (r && r->outcome == floe::tools::StunBindingResult::Outcome::success) use(*r->mapped);
//
//   floe::tools::StunServer server({*floe::SocketAddress::parse("127.0.0.1:0")});
//   auto where = server.local_addresses();  ... server.stop();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/result.hpp>
#include <floe/socket_address.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::tools {

enum class AddressFamilies : std::uint8_t { any, ipv4, ipv6 };

struct StunBindingOptions {
    AddressFamilies families = AddressFamilies::any;  // of the server's addresses, to use
    // RFC 8489 §6.2.1: RTO, Rc (requests sent at most), Rm (the last wait, in initial RTOs).
    std::chrono::milliseconds initial_rto{500};
    int max_transmissions = 7;
    int final_wait_multiplier = 16;
    std::string software = {};  // SOFTWARE in the request; empty: none
    // While the user waits: one line after each retransmission ("no answer yet from
    // 127.0.0.1:3478, retransmitting (2/7, next in 1.0 s)"). Empty: silent.
    std::function<void(const std::string&)> progress = {};
    // Each datagram out and in decoded (the `--trace` lines: class, method, transaction id,
    // attributes, FINGERPRINT checked), "\n    "-indented detail lines. Empty: none.
    std::function<void(const std::string&)> trace = {};
    // A pcapng capture of the datagrams (docs/capture.md). Empty: none.
    std::string pcap_file = {};
};

struct StunBindingResult {
    // refused: the server's host answered with an ICMP port unreachable (nothing listens on
    // that port), seen at once on the connected socket; `error_reason` says so.
    enum class Outcome : std::uint8_t { success, error_response, timed_out, refused };
    Outcome outcome = Outcome::timed_out;
    SocketAddress server;                 // the address asked (the first the name resolved to)
    SocketAddress local;                  // our socket
    std::optional<SocketAddress> mapped;  // XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS
    std::optional<std::string> software;  // the server's SOFTWARE
    int error_code = 0;                   // ERROR-CODE of an error response (0: none given)
    std::string error_reason;
    int transmissions = 0;
    std::chrono::nanoseconds rtt{};      // from the latest transmission to the response
    std::chrono::nanoseconds elapsed{};  // from the first transmission
};

struct StunBindingError {
    enum class Kind : std::uint8_t {
        bad_url,             // not a STUN URI (RFC 7064)
        unsupported_scheme,  // stuns:, turn:, turns:
        unresolved,          // no address of the wanted family
        socket,              // the local socket could not be opened (or the capture file)
    };
    Kind kind = Kind::bad_url;
    std::string message;  // a sentence fragment for the user
};

// Blocking: parses `url` (stun:HOST[:PORT]), resolves it and runs one Binding transaction from an
// ephemeral port of the server's family. A response that does not decode is ignored (as the
// transaction ignores any stray datagram); the result is a timeout then.
Result<StunBindingResult, StunBindingError> stun_binding(std::string_view url,
                                                         const StunBindingOptions& options = {});

// Answers STUN Binding requests (RFC 8489 §6.3) on UDP sockets, on a thread of its own, until
// stop() or destruction.
class StunServer {
  public:
    // Binds every address (port 0: ephemeral) and starts serving. Throws std::system_error when
    // one cannot be bound. `software`: SOFTWARE in every answer; empty (the default): none, as
    // every byte of an answer is amplification towards a spoofed source.
    explicit StunServer(const std::vector<SocketAddress>& listen, std::string software = {});
    ~StunServer();
    StunServer(const StunServer&) = delete;
    StunServer& operator=(const StunServer&) = delete;

    // The bound addresses, in the order given, with the ports the system picked.
    std::vector<SocketAddress> local_addresses() const;
    // Closes the sockets and joins the thread; idempotent.
    void stop();
    // "received=N success=N errors=N dropped=N ..." (the server's counters).
    std::string counters() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace floe::tools

#pragma GCC visibility pop
