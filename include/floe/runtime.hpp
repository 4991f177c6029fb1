// The thread PeerConnections live on: one event loop (Asio) on one thread. PeerConnections share
// the process-default Runtime unless their Configuration names another.
#pragma once

#include <functional>
#include <memory>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

class Runtime {
  public:
    Runtime();   // starts the thread
    ~Runtime();  // stops the loop and joins the thread; destroy PeerConnections first
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    static std::shared_ptr<Runtime> default_runtime();

    bool on_runtime_thread() const;
    // Runs `task` on the runtime thread, later.
    void post(std::function<void()> task);

    struct Impl;
    Impl& impl() { return *impl_; }
    std::shared_ptr<Impl> shared_impl() const { return impl_; }

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace floe

#pragma GCC visibility pop
