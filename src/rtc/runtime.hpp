// Internals of floe::Runtime: the io_context the sockets and timers of src/rtc run on, and
// run_sync(), which runs a function on the runtime thread and returns its result.
#pragma once

#include <future>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <floe/runtime.hpp>

namespace floe {

struct Runtime::Impl {
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread;
    // PeerConnections destroyed while their association still shuts down (close_linger), kept
    // until they are done (runtime thread only); ~Runtime drops the rest (aborting them).
    // Declared after io: released before it.
    std::unordered_map<const void*, std::shared_ptr<void>> lingering;

    bool on_runtime_thread() const { return thread.get_id() == std::this_thread::get_id(); }
};

namespace rtc {

// Runs `f` on the runtime thread and returns its result (or rethrows its exception). On the
// runtime thread itself it runs at once, so it never deadlocks when called from a callback.
template <class F>
auto run_sync(Runtime::Impl& runtime, F&& f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    if (runtime.on_runtime_thread()) return f();
    std::packaged_task<R()> task(std::forward<F>(f));
    auto result = task.get_future();
    asio::post(runtime.io, [&task] { task(); });
    return result.get();
}
template <class F>
auto run_sync(Runtime& runtime, F&& f) -> std::invoke_result_t<F&> {
    return run_sync(runtime.impl(), std::forward<F>(f));
}

}  // namespace rtc
}  // namespace floe
