// A UDP socket on an Asio io_context: bound to a SocketAddress, delivering each datagram with its
// sender, sending to any address. The runtime's one socket type; protocol cores never see it.
//
//   asio::io_context io;
//   rtc::UdpSocket socket(io, *SocketAddress::parse("127.0.0.1:0"));   // port 0: ephemeral
//   socket.start_receive([&](const SocketAddress& from, ByteSpan data) { ... });
//   socket.send_to(bytes, peer);
//   io.run();
//
// All calls and handlers run on the io_context's thread. An IPv6 socket is IPv6-only, so an IPv4
// and an IPv6 socket may share a port number.
#pragma once

// A standard header first: asio/detail/config.hpp decides whether to use std::aligned_alloc by
// looking at libstdc++'s _GLIBCXX_HAVE_ALIGNED_ALLOC. With <asio.hpp> first, this file's users
// would free with ::operator delete what other files allocated with aligned_alloc (an ODR
// violation ASan reports as alloc-dealloc-mismatch).
#include <cstddef>

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/socket_address.hpp>

namespace floe::rtc {

// Asio endpoints from floe addresses and back.
asio::ip::udp::endpoint to_endpoint(const SocketAddress& address);
SocketAddress from_endpoint(const asio::ip::udp::endpoint& endpoint);

// One datagram of a batch for UdpSocket::send_batch.
struct OutgoingDatagram {
    ByteSpan data;
    SocketAddress to;
};

class UdpSocket {
  public:
    // What passed through the batched paths (send_batch, start_receive_batch): system calls
    // against datagrams show what batching and offload bought.
    struct Stats {
        std::uint64_t send_calls = 0;
        std::uint64_t datagrams_sent = 0;
        std::uint64_t datagrams_dropped = 0;  // refused by the kernel (unreachable, full, ...)
        std::uint64_t reads = 0;
        std::uint64_t datagrams_received = 0;
    };

    // Called for every datagram; `data` is valid only during the call.
    using ReceiveHandler = std::function<void(const SocketAddress& from, ByteSpan data)>;
    // Called when receiving stops on an error other than close() (the socket is then closed).
    using ErrorHandler = std::function<void(std::error_code)>;

    // Binds to `local`. Throws std::system_error (address in use, family unavailable, ...).
    UdpSocket(asio::io_context& io, const SocketAddress& local);
    // Another handle, on `io`, to `other`'s socket (a dup'd descriptor: the same port, the same
    // kernel queues), for sending from another thread without sharing an object between threads.
    // Throws std::system_error when the system has no descriptor left.
    UdpSocket(asio::io_context& io, UdpSocket& other);
    ~UdpSocket();
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    // The bound address, with the port the system picked for port 0.
    const SocketAddress& local_address() const { return local_; }

    // Receives until close(); datagrams larger than the buffer (64 KiB) are truncated by the OS.
    void start_receive(ReceiveHandler on_datagram, ErrorHandler on_error = {});
    // Like start_receive, but on each wake-up reads every datagram already queued (up to
    // `max_batch` reads) and then calls `on_batch_end` once: a PeerConnection flushes its output
    // once per batch instead of once per datagram. The socket becomes non-blocking and, once a
    // wake-up finds kOffloadAfterReads datagrams or more and where the kernel has it, accepts
    // coalesced datagrams (Linux UDP_GRO): one read then carries many datagrams of one sender,
    // handed to `on_datagram` one by one as they were sent.
    void start_receive_batch(ReceiveHandler on_datagram, std::function<void()> on_batch_end,
                             ErrorHandler on_error = {}, int max_batch = 64);
    // SO_RCVBUF / SO_SNDBUF (the kernel caps them at net.core.rmem_max / wmem_max; errors are
    // ignored). With `force`, first SO_RCVBUFFORCE / SO_SNDBUFFORCE, which go past those caps for
    // a process with CAP_NET_ADMIN. Returns the receive buffer the kernel granted.
    int set_buffer_sizes(int bytes, bool force = false);
    // Sends now (UDP sends do not block in practice). Errors (unreachable, wrong family) are
    // returned, never thrown: a peer going away must not take the runtime down.
    std::error_code send_to(ByteSpan data, const SocketAddress& to);
    // Sends every datagram, in order, in as few system calls as the kernel allows: a run of
    // datagrams of one size to one destination (the last may be shorter) goes as one segmented
    // send (Linux UDP GSO, UDP_SEGMENT), and the runs of a batch go in one sendmmsg. Errors are
    // logged and the datagrams dropped, as UDP would. Returns the number of system calls made.
    std::size_t send_batch(std::span<const OutgoingDatagram> datagrams);
    // Whether send_batch segments (false once the kernel refused it; then one datagram a send).
    bool segmentation_offload() const { return gso_; }
    // Whether coalesced reads were asked for (see start_receive_batch).
    bool receive_offload() const { return receive_offload_; }
    static constexpr int kOffloadAfterReads = 8;
    // Within one wake-up, `on_batch_end` is also called after every this many datagrams.
    static constexpr std::uint64_t kFlushEvery = 64;
    const Stats& stats() const { return stats_; }
    void close();
    bool is_open() const { return socket_.is_open(); }

  private:
    void receive_next();
    void wait_next();
    // One non-blocking read into the runtime thread's buffer; hands its datagrams to
    // on_datagram_. False when nothing was queued; sets `ec` on a real error.
    bool read_once(std::error_code& ec);
    void enable_receive_offload();
    std::size_t send_runs(std::span<const OutgoingDatagram> datagrams, bool segment);

    asio::ip::udp::socket socket_;
    SocketAddress local_;
    asio::ip::udp::endpoint sender_;
    std::unique_ptr<std::uint8_t[]> buffer_;  // start_receive's (its reads are asynchronous)
    Stats stats_;
    bool gso_ = false;
    ReceiveHandler on_datagram_;
    ErrorHandler on_error_;
    std::function<void()> on_batch_end_;
    int max_batch_ = 64;
    bool receive_offload_ = false;
};

}  // namespace floe::rtc
