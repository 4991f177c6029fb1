// The threads PeerConnections live on: one or more event loops (Asio), each on its own thread.
// PeerConnections share the process-default Runtime (one thread) unless their Configuration names
// another. With several threads, each PeerConnection is bound to one loop for its whole life
// (assigned in turn), so its state is never touched by two threads and the data path needs no
// locks; different PeerConnections then run on different cores.
//
// A Runtime may also own one UDP port that all its PeerConnections share (a server's: one port
// to open in a firewall, one socket instead of one per peer): RuntimeOptions::shared_udp_port.
// Datagrams are sorted to their PeerConnection by the STUN USERNAME's local ufrag (RFC 8445
// §7.2.2), STUN responses by transaction id, and everything else only by a remote address ICE
// validated for that PeerConnection; the rest is dropped and counted (shared_ports()).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <floe/socket_address.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

namespace rtc {
struct RuntimeAccess;  // the runtime's internals reach Runtime::Impl through this
}

struct RuntimeOptions {
    // Event loops, each on a thread of its own (at least one).
    unsigned threads = 1;
    // When set, every PeerConnection of this Runtime gathers on the Runtime's shared sockets,
    // one per address below, all bound to this port (0: one the system picks, then the same
    // number for the other addresses where it is free), instead of opening sockets of its own;
    // its Configuration's port range and interface choices are then not used.
    std::optional<std::uint16_t> shared_udp_port;
    // The local addresses (IP literals) to bind the shared port on. Empty: the addresses a
    // PeerConnection gathers on by default (every interface that is up, without loopback and
    // link-local ones).
    std::vector<std::string> shared_addresses;
};

// What one shared socket sorted; every datagram that reached no PeerConnection is counted once.
struct SharedPortStats {
    SocketAddress local_address;
    std::size_t peer_connections = 0;  // registered now
    std::uint64_t datagrams_received = 0;
    std::uint64_t routed = 0;              // handed to a PeerConnection
    std::uint64_t handed_off = 0;          // of those, to another thread's PeerConnection
    std::uint64_t unknown_ufrag = 0;       // a STUN request for no PeerConnection here
    std::uint64_t unknown_response = 0;    // a STUN response to no request of ours
    std::uint64_t unknown_address = 0;     // not STUN, from no address ICE validated here
    std::uint64_t malformed_stun = 0;      // first byte says STUN, the codec says no
    std::uint64_t address_taken_over = 0;  // a validated address moved to another PeerConnection
    std::uint64_t dropped() const {
        return unknown_ufrag + unknown_response + unknown_address + malformed_stun;
    }
};

class Runtime {
  public:
    // Starts `threads` loops (at least one), each on a thread of its own.
    explicit Runtime(unsigned threads = 1);
    // Throws floe::InvalidArgumentError for an address that is no IP literal, and
    // std::system_error when a shared socket cannot be bound (port in use, no such address).
    explicit Runtime(RuntimeOptions options);
    ~Runtime();  // stops the loops and joins the threads; destroy PeerConnections first
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    static std::shared_ptr<Runtime> default_runtime();

    unsigned threads() const;
    // Whether the caller runs on one of this Runtime's threads.
    bool on_runtime_thread() const;
    // Runs `task` on the Runtime's first thread, later.
    void post(std::function<void()> task);
    // The shared sockets (none unless RuntimeOptions::shared_udp_port was set) and their counts.
    std::vector<SharedPortStats> shared_ports() const;

  private:
    struct Impl;
    friend struct rtc::RuntimeAccess;
    std::shared_ptr<Impl> impl_;
};

}  // namespace floe

#pragma GCC visibility pop
