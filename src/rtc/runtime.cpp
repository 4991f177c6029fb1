#include "rtc/runtime.hpp"

#include <algorithm>

#include <openssl/ssl.h>

#include "common/log.hpp"

namespace floe {

Runtime::Runtime(unsigned threads) : impl_(std::make_shared<Impl>()) {
    const unsigned count = std::max(1u, threads);
    for (unsigned i = 0; i < count; ++i) {
        auto loop = std::make_shared<rtc::Loop>();
        impl_->loops.push_back(loop);
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

void Runtime::post(std::function<void()> task) {
    asio::post(impl_->loops.front()->io, std::move(task));
}

}  // namespace floe
