#include "rtc/udp_socket.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "common/log.hpp"

namespace floe::rtc {

namespace {

// The largest UDP payload, and so the largest read (a coalesced one included).
constexpr std::size_t kMaxRead = 65536;
// Limits of one segmented send: the kernel takes at most 64 segments (UDP_MAX_SEGMENTS before
// Linux 6.9), and the whole must fit one IP datagram.
constexpr std::size_t kMaxSegments = 64;
constexpr std::size_t kMaxRunBytes = 65000;
// Messages per sendmmsg call.
constexpr std::size_t kMaxMessages = 64;

// The reads of every batch-receiving socket go through one buffer per thread: the datagrams are
// handed on during the read's handler and never kept, so sockets need not own 64 KiB each.
std::uint8_t* thread_read_buffer() {
    thread_local std::unique_ptr<std::uint8_t[]> buffer;
    if (!buffer) buffer = std::make_unique<std::uint8_t[]>(kMaxRead);
    return buffer.get();
}

std::error_code last_error() {
    return {errno, std::system_category()};
}

// A refusal that means "this kernel or device cannot segment", not "this datagram failed".
bool is_segmentation_refused(int error) {
    return error == EIO || error == EINVAL || error == ENOPROTOOPT || error == EOPNOTSUPP;
}

}  // namespace

asio::ip::udp::endpoint to_endpoint(const SocketAddress& address) {
    const auto octets = address.ip().octets();
    if (address.is_v4()) {
        asio::ip::address_v4::bytes_type b{octets[0], octets[1], octets[2], octets[3]};
        return {asio::ip::address_v4(b), address.port()};
    }
    asio::ip::address_v6::bytes_type b;
    std::copy(octets.begin(), octets.end(), b.begin());
    return {asio::ip::address_v6(b), address.port()};
}

SocketAddress from_endpoint(const asio::ip::udp::endpoint& endpoint) {
    const auto ip = endpoint.address();
    if (ip.is_v4()) return {IpAddress::v4(ip.to_v4().to_bytes()), endpoint.port()};
    return {IpAddress::v6(ip.to_v6().to_bytes()), endpoint.port()};
}

UdpSocket::UdpSocket(asio::io_context& io, const SocketAddress& local) : socket_(io) {
    const auto endpoint = to_endpoint(local);
    socket_.open(endpoint.protocol());
    if (local.is_v6()) socket_.set_option(asio::ip::v6_only(true));
    socket_.bind(endpoint);
    local_ = from_endpoint(socket_.local_endpoint());
    // Segmentation offload is a Linux 4.18 feature; a kernel without it fails this query.
    int segment = 0;
    socklen_t length = sizeof segment;
    gso_ = ::getsockopt(socket_.native_handle(), SOL_UDP, UDP_SEGMENT, &segment, &length) == 0;
}

UdpSocket::UdpSocket(asio::io_context& io, UdpSocket& other)
    : socket_(io), local_(other.local_), gso_(other.gso_) {
    const int fd = ::dup(other.socket_.native_handle());
    if (fd < 0) throw std::system_error(last_error(), "dup");
    const auto protocol = local_.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6();
    socket_.assign(protocol, fd);
    std::error_code ignored;
    socket_.non_blocking(true, ignored);
}

UdpSocket::~UdpSocket() {
    close();
}

void UdpSocket::start_receive(ReceiveHandler on_datagram, ErrorHandler on_error) {
    on_datagram_ = std::move(on_datagram);
    on_error_ = std::move(on_error);
    buffer_ = std::make_unique<std::uint8_t[]>(kMaxRead);
    receive_next();
}

void UdpSocket::receive_next() {
    socket_.async_receive_from(
        asio::buffer(buffer_.get(), kMaxRead), sender_,
        [this](std::error_code ec, std::size_t size) {
            if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
            if (ec) {
                // ICMP errors surface on Linux as ECONNREFUSED on the next receive; they do not
                // end a UDP socket's life.
                if (ec == asio::error::connection_refused) {
                    receive_next();
                    return;
                }
                FLOE_LOG(LogLevel::warn, "rtc")
                    << "udp receive on " << local_.to_string() << " failed: " << ec.message();
                close();
                if (on_error_) on_error_(ec);
                return;
            }
            if (on_datagram_) on_datagram_(from_endpoint(sender_), ByteSpan(buffer_.get(), size));
            if (socket_.is_open()) receive_next();
        });
}

void UdpSocket::start_receive_batch(ReceiveHandler on_datagram, std::function<void()> on_batch_end,
                                    ErrorHandler on_error, int max_batch) {
    on_datagram_ = std::move(on_datagram);
    on_batch_end_ = std::move(on_batch_end);
    on_error_ = std::move(on_error);
    max_batch_ = max_batch;
    std::error_code ignored;
    socket_.non_blocking(true, ignored);
    wait_next();
}

// Coalesced reads where the kernel has them; without, each read is one datagram, which read_once
// handles the same way (no UDP_GRO control message). Not switched on at once: the first socket of
// the system with UDP_GRO makes Linux patch its UDP receive path (a static key; setsockopt took
// 0.47 ms here, strace -T) and the last one to close patches it back, which a set-up of a few
// handshake datagrams would pay for nothing. A wake-up that finds many datagrams queued is the
// sign of bulk traffic, where coalescing pays.
void UdpSocket::enable_receive_offload() {
    receive_offload_ = true;
    const int on = 1;
    (void)::setsockopt(socket_.native_handle(), SOL_UDP, UDP_GRO, &on, sizeof on);
}

bool UdpSocket::read_once(std::error_code& ec) {
    std::uint8_t* buffer = thread_read_buffer();
    iovec iov{buffer, kMaxRead};
    asio::ip::udp::endpoint from;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
    msghdr msg{};
    msg.msg_name = from.data();
    msg.msg_namelen = static_cast<socklen_t>(from.capacity());
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    const ssize_t n = ::recvmsg(socket_.native_handle(), &msg, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        if (errno == ECONNREFUSED || errno == EINTR) return true;  // see receive_next()
        ec = last_error();
        return false;
    }
    from.resize(msg.msg_namelen);
    // A coalesced read carries datagrams of `segment` bytes each, the last one maybe shorter
    // (UDP_GRO control message); a plain read is one datagram.
    std::size_t segment = static_cast<std::size_t>(n);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int size = 0;
            std::memcpy(&size, CMSG_DATA(c), sizeof size);
            if (size > 0) segment = static_cast<std::size_t>(size);
        }
    }
    ++stats_.reads;
    const SocketAddress sender = from_endpoint(from);
    const ByteSpan all(buffer, static_cast<std::size_t>(n));
    stats_.datagrams_received += n == 0 ? 1 : (all.size() + segment - 1) / segment;
    for (std::size_t offset = 0; offset < all.size() && on_datagram_ && socket_.is_open();
         offset += segment)
        on_datagram_(sender, all.subspan(offset, std::min(segment, all.size() - offset)));
    if (n == 0 && on_datagram_) on_datagram_(sender, all);  // an empty datagram is one too
    return true;
}

void UdpSocket::wait_next() {
    socket_.async_wait(asio::socket_base::wait_read, [this](std::error_code ec) {
        if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
        int reads = 0;
        std::uint64_t flushed_at = stats_.datagrams_received;
        while (!ec && reads < max_batch_ && socket_.is_open() && read_once(ec)) {
            ++reads;
            // A wake-up may find megabytes queued (a bulk sender's window): flushing only at
            // its end would hold every SACK until all of it is processed, and the sender, on
            // another thread or host, idles meanwhile. So the output goes every kFlushEvery
            // datagrams too, and both ends work at once.
            if (on_batch_end_ && stats_.datagrams_received - flushed_at >= kFlushEvery &&
                socket_.is_open()) {
                on_batch_end_();
                flushed_at = stats_.datagrams_received;
            }
        }
        if (!receive_offload_ && reads >= kOffloadAfterReads && socket_.is_open())
            enable_receive_offload();
        if (ec) {
            FLOE_LOG(LogLevel::warn, "rtc")
                << "udp receive on " << local_.to_string() << " failed: " << ec.message();
            close();
            if (on_error_) on_error_(ec);
            return;
        }
        // on_batch_end may close the socket (and the owner may be released only later, by a
        // posted handler; never inside this one).
        if (on_batch_end_ && socket_.is_open()) on_batch_end_();
        if (socket_.is_open()) wait_next();
    });
}

int UdpSocket::set_buffer_sizes(int bytes, bool force) {
    const int fd = socket_.native_handle();
    const bool forced_receive =
        force && ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0;
    const bool forced_send =
        force && ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) == 0;
    std::error_code ignored;
    if (!forced_receive) socket_.set_option(asio::socket_base::receive_buffer_size(bytes), ignored);
    if (!forced_send) socket_.set_option(asio::socket_base::send_buffer_size(bytes), ignored);
    asio::socket_base::receive_buffer_size granted;
    socket_.get_option(granted, ignored);
    return granted.value();
}

std::error_code UdpSocket::send_to(ByteSpan data, const SocketAddress& to) {
    std::error_code ec;
    socket_.send_to(asio::buffer(data.data(), data.size()), to_endpoint(to), 0, ec);
    if (ec) {
        FLOE_LOG(LogLevel::debug, "rtc")
            << "udp send to " << to.to_string() << " failed: " << ec.message();
    }
    return ec;
}

std::size_t UdpSocket::send_batch(std::span<const OutgoingDatagram> datagrams) {
    if (datagrams.empty() || !socket_.is_open()) return 0;
    return send_runs(datagrams, gso_);
}

// Groups `datagrams` into runs (one destination, one segment size; one datagram each when not
// segmenting) and sends up to kMaxMessages runs per sendmmsg.
std::size_t UdpSocket::send_runs(std::span<const OutgoingDatagram> datagrams, bool segment) {
    struct Run {
        std::size_t first = 0;  // index into datagrams
        std::size_t count = 0;
        asio::ip::udp::endpoint to;
        alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(std::uint16_t))> control{};
    };
    std::array<Run, kMaxMessages> runs;
    std::array<mmsghdr, kMaxMessages> messages{};
    std::array<iovec, 1024> iovs{};  // kMaxSegments per run at most
    std::size_t calls = 0;
    std::size_t next = 0;
    while (next < datagrams.size()) {
        // Fill up to kMaxMessages runs.
        std::size_t n_runs = 0, n_iovs = 0;
        while (n_runs < kMaxMessages && n_iovs + kMaxSegments <= iovs.size() &&
               next < datagrams.size()) {
            Run& run = runs[n_runs];
            run.first = next;
            run.count = 0;
            const OutgoingDatagram& head = datagrams[next];
            const std::size_t size = head.data.size();
            std::size_t bytes = 0;
            while (next < datagrams.size()) {
                const OutgoingDatagram& d = datagrams[next];
                const bool fits =
                    run.count == 0 || (segment && size > 0 && d.to == head.to && !d.data.empty() &&
                                       d.data.size() <= size && run.count < kMaxSegments &&
                                       bytes + d.data.size() <= kMaxRunBytes);
                if (!fits) break;
                iovs[n_iovs + run.count] = {const_cast<std::uint8_t*>(d.data.data()),
                                            d.data.size()};
                bytes += d.data.size();
                ++run.count;
                ++next;
                if (d.data.size() < size) break;  // only the last segment may be shorter
            }
            run.to = to_endpoint(head.to);
            mmsghdr& m = messages[n_runs];
            m = {};
            m.msg_hdr.msg_name = run.to.data();
            m.msg_hdr.msg_namelen = static_cast<socklen_t>(run.to.size());
            m.msg_hdr.msg_iov = &iovs[n_iovs];
            m.msg_hdr.msg_iovlen = run.count;
            if (run.count > 1) {
                m.msg_hdr.msg_control = run.control.data();
                m.msg_hdr.msg_controllen = run.control.size();
                cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr);
                c->cmsg_level = SOL_UDP;
                c->cmsg_type = UDP_SEGMENT;
                c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
                const auto segment_size = static_cast<std::uint16_t>(size);
                std::memcpy(CMSG_DATA(c), &segment_size, sizeof segment_size);
            }
            n_iovs += run.count;
            ++n_runs;
        }
        // Send them; a failed message is dropped (UDP), unless the kernel refuses to segment:
        // then this socket stops segmenting and sends the rest one datagram a message.
        for (std::size_t done = 0; done < n_runs;) {
            const int sent = ::sendmmsg(socket_.native_handle(), &messages[done],
                                        static_cast<unsigned>(n_runs - done), 0);
            ++calls;
            ++stats_.send_calls;
            if (sent > 0) {
                for (int i = 0; i < sent; ++i)
                    stats_.datagrams_sent += runs[done + static_cast<std::size_t>(i)].count;
                done += static_cast<std::size_t>(sent);
                continue;
            }
            const int error = errno;
            if (error == EINTR) continue;
            const Run& failed = runs[done];
            if (failed.count > 1 && is_segmentation_refused(error)) {
                FLOE_LOG(LogLevel::info, "rtc") << "udp segmentation offload refused on "
                                                << local_.to_string() << ": sending unsegmented";
                gso_ = false;
                return calls + send_runs(datagrams.subspan(failed.first), false);
            }
            FLOE_LOG(LogLevel::debug, "rtc")
                << "udp send of " << failed.count << " datagram(s) to "
                << datagrams[failed.first].to.to_string()
                << " failed: " << std::error_code(error, std::system_category()).message();
            stats_.datagrams_dropped += failed.count;
            ++done;
        }
    }
    return calls;
}

void UdpSocket::close() {
    std::error_code ignored;
    if (socket_.is_open()) socket_.close(ignored);
}

}  // namespace floe::rtc
