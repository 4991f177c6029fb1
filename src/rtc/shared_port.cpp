#include "rtc/shared_port.hpp"

#include <algorithm>

#include <asio/post.hpp>

#include <floe/stun/message.hpp>

#include "common/log.hpp"

namespace floe::rtc {

namespace {
constexpr const char* kLog = "rtc";
// Every PeerConnection of the Runtime receives through this one socket's queue, where each had a
// queue of its own: give it room for a burst of many peers. W6 with 1,000 clients on a loaded
// machine overflowed 8 MiB (net.core.rmem_max of 4 MiB, doubled by the kernel) at once.
constexpr int kSharedBufferBytes = 64 << 20;
// Reads per wake-up. A socket of its own reads up to 64; the loop then runs its timers and
// polls again, and reads every other ready socket in the same round. The shared socket is every
// peer's: at 64 a round it was read a thousandth as fast as 1,000 sockets of their own, and
// fell behind for good under load (W6, 1,000 clients).
constexpr int kMaxBatch = 1024;
}  // namespace

void SharedPort::Queue::push(Owner owner, const SocketAddress& from, ByteSpan data) {
    if (count == items.size()) items.emplace_back();
    Item& item = items[count++];
    item.owner = owner;
    item.from = from;
    item.data.assign(data.begin(), data.end());  // reuses the buffer of an earlier batch
}

SharedPort::SharedPort(std::vector<std::shared_ptr<Loop>> loops, const SocketAddress& local) {
    for (auto& loop : loops) {
        auto p = std::make_unique<PerLoop>();
        p->loop = std::move(loop);
        loops_.push_back(std::move(p));
    }
    reader_ = std::make_unique<UdpSocket>(loops_.front()->loop->io, local);
    const int granted = reader_->set_buffer_sizes(kSharedBufferBytes, true);
    local_ = reader_->local_address();
    FLOE_LOG(LogLevel::info, kLog)
        << "shared port " << local_.to_string() << ": receive buffer " << granted / 1024 << " KiB";
    for (std::size_t i = 1; i < loops_.size(); ++i)
        loops_[i]->sender = std::make_unique<UdpSocket>(loops_[i]->loop->io, *reader_);
}

SharedPort::~SharedPort() {
    for (auto& p : loops_)
        if (p->sender) p->sender->close();
    reader_->close();
}

void SharedPort::start() {
    reader_->start_receive_batch(
        [this](const SocketAddress& from, ByteSpan data) { on_datagram(from, data); },
        [this] { on_batch_end(); },
        [this](std::error_code ec) {
            FLOE_LOG(LogLevel::error, kLog)
                << "shared port " << local_.to_string() << " stopped receiving: " << ec.message();
        },
        kMaxBatch);
}

std::unique_ptr<SharedPort::Lease> SharedPort::attach(Loop& loop, Handlers handlers) {
    const auto it = std::find_if(loops_.begin(), loops_.end(),
                                 [&](const auto& p) { return p->loop.get() == &loop; });
    if (it == loops_.end()) return nullptr;  // not one of this Runtime's loops: a bug of ours
    const auto index = static_cast<std::size_t>(it - loops_.begin());
    Owner owner = 0;
    {
        std::lock_guard lock(demux_mutex_);
        owner = next_owner_++;  // never reused: a datagram queued for a gone owner finds nobody
        owner_loop_.emplace(owner, index);
    }
    std::unique_ptr<Lease> lease(new Lease(shared_from_this(), index, owner, std::move(handlers)));
    (*it)->leases.emplace(owner, lease.get());
    return lease;
}

SharedPortStats SharedPort::stats() const {
    std::lock_guard lock(demux_mutex_);
    const auto& c = demux_.counters();
    SharedPortStats s;
    s.local_address = local_;
    s.peer_connections = owner_loop_.size();
    s.datagrams_received = received_;
    s.routed = c.routed;
    s.handed_off = handed_off_;
    s.unknown_ufrag = c.unknown_ufrag;
    s.unknown_response = c.unknown_response;
    s.unknown_address = c.unknown_address;
    s.malformed_stun = c.malformed_stun;
    s.address_taken_over = c.address_taken_over;
    return s;
}

// ---- the reading loop (loops_[0]) --------------------------------------------------------------

void SharedPort::on_datagram(const SocketAddress& from, ByteSpan data) {
    Owner owner = 0;
    std::size_t index = 0;
    {
        std::lock_guard lock(demux_mutex_);
        ++received_;
        const auto routed = demux_.route(Clock::now(), data, from);
        if (!routed) return;  // counted by the demultiplexer, by cause
        const auto it = owner_loop_.find(*routed);
        if (it == owner_loop_.end()) return;  // the demultiplexer forgets owners with us
        owner = *routed;
        index = it->second;
        if (index != 0) ++handed_off_;
    }
    if (index == 0)
        deliver(*loops_.front(), owner, from, data);
    else
        loops_[index]->staging.push(owner, from, data);
}

void SharedPort::on_batch_end() {
    // One hand-off per loop and batch: the staged datagrams join the loop's inbox under its lock,
    // and a drain is posted unless one is already on its way. Before this loop's own flushes, so
    // that the other loops work on theirs meanwhile.
    for (std::size_t i = 1; i < loops_.size(); ++i) {
        PerLoop& p = *loops_[i];
        if (p.staging.count == 0) continue;
        bool post = false;
        {
            std::lock_guard lock(p.inbox_mutex);
            if (p.inbox.count == 0) {
                std::swap(p.inbox, p.staging);  // both keep their buffers
            } else {
                for (std::size_t k = 0; k < p.staging.count; ++k) {
                    const Item& item = p.staging.items[k];
                    p.inbox.push(item.owner, item.from, item.data);
                }
            }
            p.staging.count = 0;
            post = !p.posted;
            p.posted = true;
        }
        // `this` outlives the handler: the port goes with the Runtime, after its loops stopped.
        if (post) asio::post(p.loop->io, [this, i] { drain(i); });
    }
    end_batch(*loops_.front());
}

// ---- any loop, on its own thread ---------------------------------------------------------------

void SharedPort::drain(std::size_t index) {
    PerLoop& p = *loops_[index];
    {
        std::lock_guard lock(p.inbox_mutex);
        std::swap(p.inbox, p.draining);
        p.posted = false;
    }
    for (std::size_t k = 0; k < p.draining.count; ++k) {
        const Item& item = p.draining.items[k];
        deliver(p, item.owner, item.from, item.data);
    }
    p.draining.count = 0;
    end_batch(p);
}

void SharedPort::deliver(PerLoop& p, Owner owner, const SocketAddress& from, ByteSpan data) {
    const auto it = p.leases.find(owner);
    if (it == p.leases.end()) return;  // closed between routing and delivery
    Lease& lease = *it->second;
    lease.handlers_.on_datagram(from, data);
    if (!lease.touched_) {
        lease.touched_ = true;
        p.touched.push_back(owner);
    }
}

void SharedPort::end_batch(PerLoop& p) {
    // By owner, looked up again: a callback run by one PeerConnection's flush may close another.
    for (std::size_t k = 0; k < p.touched.size(); ++k) {
        const auto it = p.leases.find(p.touched[k]);
        if (it == p.leases.end()) continue;
        it->second->touched_ = false;
        it->second->handlers_.on_batch_end();
    }
    p.touched.clear();
}

void SharedPort::note_requests(Owner owner, std::span<const OutgoingDatagram> datagrams) {
    // Only STUN requests (checks, consent, Binding requests to a STUN server) are remembered: the
    // data path (DTLS) takes no lock here.
    bool locked = false;
    std::unique_lock lock(demux_mutex_, std::defer_lock);
    Instant now{};
    for (const auto& d : datagrams) {
        if (!stun::looks_like_stun(d.data)) continue;
        const auto header = stun::peek_header(d.data);
        if (!header || header->type.cls != stun::MessageClass::request) continue;
        if (!locked) {
            lock.lock();
            locked = true;
            now = Clock::now();
        }
        demux_.note_request(owner, header->transaction_id, now);
    }
}

// ---- Lease (its loop's thread) -----------------------------------------------------------------

SharedPort::Lease::Lease(std::shared_ptr<SharedPort> port, std::size_t loop, Owner owner,
                         Handlers handlers)
    : port_(std::move(port)), loop_(loop), owner_(owner), handlers_(std::move(handlers)) {}

SharedPort::Lease::~Lease() {
    port_->loops_[loop_]->leases.erase(owner_);
    std::lock_guard lock(port_->demux_mutex_);
    port_->demux_.remove_owner(owner_);
    port_->owner_loop_.erase(owner_);
}

void SharedPort::Lease::add_ufrag(const std::string& local_ufrag) {
    std::lock_guard lock(port_->demux_mutex_);
    port_->demux_.add_owner(owner_, local_ufrag);
}

void SharedPort::Lease::remove_ufrag(const std::string& local_ufrag) {
    std::lock_guard lock(port_->demux_mutex_);
    port_->demux_.remove_ufrag(local_ufrag);
}

void SharedPort::Lease::validated(const SocketAddress& remote) {
    if (reported_.contains(remote)) return;
    // The demultiplexer keeps the newest few per owner: forget ours as often, so that an address
    // it dropped is said again when ICE validates it again.
    if (reported_.size() >= ice::PortDemux::Limits{}.max_addresses_per_owner) reported_.clear();
    reported_.insert(remote);
    std::lock_guard lock(port_->demux_mutex_);
    port_->demux_.validate(owner_, remote);
}

void SharedPort::Lease::send_batch(std::span<const OutgoingDatagram> datagrams) {
    port_->note_requests(owner_, datagrams);
    auto& sender = port_->loops_[loop_]->sender;
    (sender ? *sender : *port_->reader_).send_batch(datagrams);
}

const SocketAddress& SharedPort::Lease::local_address() const {
    return port_->local_;
}

}  // namespace floe::rtc
