// Internals of floe::Runtime: its loops (an io_context on a thread each, which the sockets and
// timers of src/rtc run on), and run_sync(), which runs a function on a loop's thread and returns
// its result.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <floe/runtime.hpp>

#include "rtc/loop_lag.hpp"

namespace floe {
namespace rtc {

class SharedPort;

// One event loop on one thread. A PeerConnection lives on exactly one.
struct Loop {
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread;
    // PeerConnections destroyed while their association still shuts down (close_linger), kept
    // until they are done (this loop's thread only); ~Runtime drops the rest (aborting them).
    // Declared after io: released before it.
    std::unordered_map<const void*, std::shared_ptr<void>> lingering;
    // How late this loop's PeerConnection timers fire lately (this loop's thread only).
    LoopLag lag;

    bool on_loop_thread() const { return thread.get_id() == std::this_thread::get_id(); }
};

}  // namespace rtc

struct Runtime::Impl {
    std::vector<std::shared_ptr<rtc::Loop>> loops;
    std::atomic<std::size_t> next_loop{0};
    // RuntimeOptions::shared_udp_port's sockets, one per local address (set before the threads
    // start, then only read). Released after the loops stopped (~Runtime), which their hand-off
    // handlers rely on.
    std::vector<std::shared_ptr<rtc::SharedPort>> shared_ports;

    // The loop for a new PeerConnection: each in turn, so N PeerConnections on N threads get one
    // thread each.
    std::shared_ptr<rtc::Loop> assign_loop() {
        return loops[next_loop.fetch_add(1, std::memory_order_relaxed) % loops.size()];
    }
    bool on_runtime_thread() const {
        for (const auto& loop : loops)
            if (loop->on_loop_thread()) return true;
        return false;
    }
};

namespace rtc {

// The internals' way to a Runtime's Impl (private in the public header).
struct RuntimeAccess {
    static Runtime::Impl& impl(Runtime& runtime) { return *runtime.impl_; }
};

// Runs `f` on the loop's thread and returns its result (or rethrows its exception). On that thread
// itself it runs at once, so it never deadlocks when called from a callback.
template <class F>
auto run_sync(Loop& loop, F&& f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    if (loop.on_loop_thread()) return f();
    std::packaged_task<R()> task(std::forward<F>(f));
    auto result = task.get_future();
    asio::post(loop.io, [&task] { task(); });
    return result.get();
}

}  // namespace rtc
}  // namespace floe
