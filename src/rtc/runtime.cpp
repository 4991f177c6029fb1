#include "rtc/runtime.hpp"

#include <algorithm>

#include <floe/error.hpp>

#include <openssl/ssl.h>

#include "common/log.hpp"
#include "ice/host_policy.hpp"
#include "rtc/interfaces.hpp"
#include "rtc/shared_port.hpp"

namespace floe {

namespace {

RuntimeOptions with_threads(unsigned threads) {
    RuntimeOptions options;
    options.threads = threads;
    return options;
}

// The addresses of RuntimeOptions::shared_addresses, or a PeerConnection's default ones.
std::vector<IpAddress> shared_addresses(const RuntimeOptions& options) {
    std::vector<IpAddress> out;
    if (options.shared_addresses.empty()) {
        for (const auto& host : ice::select_host_addresses(rtc::list_interfaces(), {}))
            out.push_back(host.address);
        if (out.empty())
            throw InvalidArgumentError(
                "RuntimeOptions::shared_udp_port: no usable interface address (name one in "
                "shared_addresses)");
        return out;
    }
    for (const auto& text : options.shared_addresses) {
        auto ip = IpAddress::parse(text);
        if (!ip || ip->is_unspecified())
            throw InvalidArgumentError("RuntimeOptions::shared_addresses: \"" + text +
                                       "\" is not a local IP address (a literal, not 0.0.0.0/::)");
        if (std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
    }
    return out;
}

}  // namespace

Runtime::Runtime(unsigned threads) : Runtime(with_threads(threads)) {}

Runtime::Runtime(RuntimeOptions options) : impl_(std::make_shared<Impl>()) {
    const unsigned count = std::max(1u, options.threads);
    for (unsigned i = 0; i < count; ++i)
        impl_->loops.push_back(std::make_shared<rtc::Loop>());
    // The shared sockets before the threads: a port that cannot be bound fails the constructor
    // with nothing to stop.
    if (options.shared_udp_port) {
        std::uint16_t port = *options.shared_udp_port;
        for (const auto& ip : shared_addresses(options)) {
            std::shared_ptr<rtc::SharedPort> shared;
            try {
                shared = std::make_shared<rtc::SharedPort>(impl_->loops, SocketAddress(ip, port));
            } catch (const std::system_error&) {
                // Port 0: the first address's port where it is free on the others too.
                if (*options.shared_udp_port != 0) throw;
                shared = std::make_shared<rtc::SharedPort>(impl_->loops, SocketAddress(ip, 0));
            }
            if (*options.shared_udp_port == 0 && impl_->shared_ports.empty())
                port = shared->local_address().port();
            FLOE_LOG(LogLevel::info, "rtc")
                << "shared UDP port on " << shared->local_address().to_string();
            shared->start();
            impl_->shared_ports.push_back(std::move(shared));
        }
    }
    for (auto& loop : impl_->loops) {
        // The thread shares the loop so that a Runtime released from inside one of its own
        // callbacks (the thread is then detached) outlives that callback.
        loop->thread = std::thread([loop] {
            for (;;) {
                try {
                    loop->io.run();
                    return;
                } catch (const std::exception& e) {
                    // A user callback threw: log it and keep the loop (and every other peer)
                    // alive.
                    FLOE_LOG(LogLevel::error, "rtc")
                        << "exception escaped a callback: " << e.what();
                }
            }
        });
    }
}

Runtime::~Runtime() {
    for (auto& loop : impl_->loops) {
        loop->work.reset();
        loop->io.stop();
    }
    for (auto& loop : impl_->loops) {
        if (!loop->thread.joinable()) continue;
        if (loop->on_loop_thread())
            loop->thread.detach();  // the last reference was dropped on this loop's thread
        else
            loop->thread.join();
    }
    // PeerConnections still shutting down hold their loop, not this Runtime (no cycle keeps it
    // alive past its owner): with the loops stopped their associations are aborted here.
    for (auto& loop : impl_->loops) {
        auto lingering = std::move(loop->lingering);
        lingering.clear();
    }
    // Then the shared sockets (their last Lease went with the PeerConnections).
    impl_->shared_ports.clear();
}

std::shared_ptr<Runtime> Runtime::default_runtime() {
    static const std::shared_ptr<Runtime> runtime = [] {
        // OpenSSL first: its exit-time cleanup (atexit, last in first out) must run after this
        // Runtime's thread has ended, or the thread's OpenSSL state is never freed.
        OPENSSL_init_ssl(0, nullptr);
        return std::make_shared<Runtime>();
    }();
    return runtime;
}

unsigned Runtime::threads() const {
    return static_cast<unsigned>(impl_->loops.size());
}

bool Runtime::on_runtime_thread() const {
    return impl_->on_runtime_thread();
}

std::vector<SharedPortStats> Runtime::shared_ports() const {
    std::vector<SharedPortStats> out;
    for (const auto& port : impl_->shared_ports)
        out.push_back(port->stats());
    return out;
}

void Runtime::post(std::function<void()> task) {
    asio::post(impl_->loops.front()->io, std::move(task));
}

}  // namespace floe
