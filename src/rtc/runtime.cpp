#include "rtc/runtime.hpp"

#include <openssl/ssl.h>

#include "common/log.hpp"

namespace floe {

Runtime::Runtime() : impl_(std::make_shared<Impl>()) {
    // The thread shares the Impl so that a Runtime released from inside one of its own callbacks
    // (the thread is then detached) outlives that callback.
    impl_->thread = std::thread([impl = impl_] {
        for (;;) {
            try {
                impl->io.run();
                return;
            } catch (const std::exception& e) {
                // A user callback threw: log it and keep the loop (and every other peer) alive.
                FLOE_LOG(LogLevel::error, "rtc") << "exception escaped a callback: " << e.what();
            }
        }
    });
}

Runtime::~Runtime() {
    impl_->work.reset();
    impl_->io.stop();
    if (impl_->thread.joinable()) {
        if (impl_->thread.get_id() == std::this_thread::get_id())
            impl_->thread.detach();  // the last reference was dropped on the runtime thread
        else
            impl_->thread.join();
    }
    // PeerConnections still shutting down hold the Impl, not this Runtime (no cycle keeps it
    // alive past its owner): with the loop stopped their associations are aborted here.
    auto lingering = std::move(impl_->lingering);
    lingering.clear();
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

bool Runtime::on_runtime_thread() const {
    return impl_->on_runtime_thread();
}

void Runtime::post(std::function<void()> task) {
    asio::post(impl_->io, std::move(task));
}

}  // namespace floe
