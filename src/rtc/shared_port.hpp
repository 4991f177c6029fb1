// One UDP socket that every PeerConnection of a Runtime receives and sends on (issue 17:
// RuntimeOptions::shared_udp_port). The socket is read on the Runtime's first loop; each datagram
// is sorted by ice::PortDemux (STUN USERNAME's local ufrag, STUN response's transaction id, or a
// remote address ICE validated) and handed to its PeerConnection's loop: directly on the reading
// loop, otherwise appended to that loop's inbox, which is posted once per read batch (one hand-off
// per batch, buffers reused). Sending goes through a dup'd descriptor per loop, so each loop sends
// on an object of its own while the kernel sees one socket (UDP sendmsg is atomic per datagram).
//
//   auto port = std::make_shared<rtc::SharedPort>(loops, *SocketAddress::parse("192.0.2.1:5000"));
//   port->start();
//   auto lease = port->attach(*loop, {on_datagram, on_batch_end});   // on `loop`'s thread
//   lease->add_ufrag(ufrag);                    // requests naming it reach this PeerConnection
//   lease->validated(remote);                   // after ICE validated it: its DTLS does too
//   lease->send_batch(datagrams);               // notes outgoing requests, then sends
//
// A Lease is used and destroyed on its loop's thread only. The demultiplexer is shared by every
// loop (the reader routes, the PeerConnections register): one mutex guards it, taken once per
// datagram read and once per STUN request sent, never while a handler runs.
#pragma once

#include <cstddef>  // before asio, see rtc/udp_socket.hpp

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <floe/runtime.hpp>

#include "ice/port_demux.hpp"
#include "rtc/runtime.hpp"
#include "rtc/udp_socket.hpp"

namespace floe::rtc {

class SharedPort : public std::enable_shared_from_this<SharedPort> {
  public:
    using Owner = ice::PortDemux::Owner;

    // What a registered PeerConnection is called with, on its loop's thread.
    struct Handlers {
        // A datagram for it; `data` is valid only during the call.
        std::function<void(const SocketAddress& from, ByteSpan data)> on_datagram;
        // The end of a batch that delivered at least one datagram (flush once, not per datagram).
        std::function<void()> on_batch_end;
    };

    class Lease {
      public:
        ~Lease();  // unregisters (on its loop's thread)
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        // STUN requests whose USERNAME starts with this ufrag come here (an ICE restart adds the
        // new one; the old one may stay until the new pair is selected).
        void add_ufrag(const std::string& local_ufrag);
        void remove_ufrag(const std::string& local_ufrag);
        // ICE validated `remote` for this PeerConnection: its non-STUN datagrams come here now.
        // Cheap when already said.
        void validated(const SocketAddress& remote);
        // Sends on this loop's handle; STUN requests among them are noted first, so that their
        // responses find their way back.
        void send_batch(std::span<const OutgoingDatagram> datagrams);
        const SocketAddress& local_address() const;

      private:
        friend class SharedPort;
        Lease(std::shared_ptr<SharedPort> port, std::size_t loop, Owner owner, Handlers handlers);

        std::shared_ptr<SharedPort> port_;
        std::size_t loop_;
        Owner owner_;
        Handlers handlers_;
        bool touched_ = false;                        // in the current batch's list
        std::unordered_set<SocketAddress> reported_;  // validated() already passed on
    };

    // Binds `local` (throws std::system_error). The socket is read on loops[0]; each loop gets a
    // handle to send on. Made with std::make_shared (a Lease holds the port it came from).
    SharedPort(std::vector<std::shared_ptr<Loop>> loops, const SocketAddress& local);
    ~SharedPort();
    SharedPort(const SharedPort&) = delete;
    SharedPort& operator=(const SharedPort&) = delete;

    // Starts reading (before the loops run, or on loops[0]'s thread).
    void start();
    // Registers a PeerConnection living on `loop` (one of this port's loops), on that thread.
    std::unique_ptr<Lease> attach(Loop& loop, Handlers handlers);

    const SocketAddress& local_address() const { return local_; }
    SharedPortStats stats() const;

  private:
    // A datagram on its way to another loop; the buffers are reused batch after batch.
    struct Item {
        Owner owner = 0;
        SocketAddress from;
        Bytes data;
    };
    struct Queue {
        std::vector<Item> items;  // [0, count) are live; the rest keep their capacity
        std::size_t count = 0;
        void push(Owner owner, const SocketAddress& from, ByteSpan data);
    };
    struct PerLoop {
        std::shared_ptr<Loop> loop;
        std::unique_ptr<UdpSocket> sender;         // a handle of its own (the reader's on 0)
        std::unordered_map<Owner, Lease*> leases;  // this loop's thread only
        std::vector<Owner> touched;                // likewise: owners to flush after a batch
        Queue staging;                             // the reader's, until the batch ends
        Queue draining;                            // this loop's thread, while delivering
        std::mutex inbox_mutex;
        Queue inbox;          // guarded by inbox_mutex
        bool posted = false;  // guarded by inbox_mutex: a drain is on its way
    };

    void on_datagram(const SocketAddress& from, ByteSpan data);
    void on_batch_end();
    void deliver(PerLoop& loop, Owner owner, const SocketAddress& from, ByteSpan data);
    void end_batch(PerLoop& loop);
    void drain(std::size_t loop);
    void note_requests(Owner owner, std::span<const OutgoingDatagram> datagrams);

    std::vector<std::unique_ptr<PerLoop>> loops_;
    std::unique_ptr<UdpSocket> reader_;
    SocketAddress local_;

    mutable std::mutex demux_mutex_;
    ice::PortDemux demux_;                               // guarded by demux_mutex_
    std::unordered_map<Owner, std::size_t> owner_loop_;  // guarded by demux_mutex_
    Owner next_owner_ = 1;                               // guarded by demux_mutex_
    // Counted beyond the demultiplexer's own counters (guarded by demux_mutex_).
    std::uint64_t received_ = 0;
    std::uint64_t handed_off_ = 0;

    friend class Lease;
};

}  // namespace floe::rtc
