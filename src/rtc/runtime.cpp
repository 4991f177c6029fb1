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
}

std::shared_ptr<Runtime> Runtime::default_runtime() {
    static const std::shared_ptr<Runtime> runtime = [] {
        // OpenSSL first: its exit-time cleanup (atexit, last in first out) must run after this
        // Runtime's thread has ended, or the thread's OpenSSL state is never freed.
        OPENSSL_init_ssl(0, nullptr);
        return std::make_shared<Runtime>();
    }();
    // Destroyed before `runtime` (constructed after it): PeerConnections still shutting down
    // hold the Runtime, which must end before OpenSSL's cleanup.
    static const struct DropLingeringAtExit {
        ~DropLingeringAtExit() { rtc::drop_lingering(*runtime); }
    } drop_at_exit;
    return runtime;
}

namespace rtc {
void drop_lingering(Runtime& runtime) {
    // Moved out, destroyed outside the map: a PeerConnection's destructor may touch it.
    auto lingering = run_sync(runtime, [&] { return std::move(runtime.impl().lingering); });
    run_sync(runtime, [&] { lingering.clear(); });
}
}  // namespace rtc

bool Runtime::on_runtime_thread() const {
    return impl_->thread.get_id() == std::this_thread::get_id();
}

void Runtime::post(std::function<void()> task) {
    asio::post(impl_->io, std::move(task));
}

}  // namespace floe
