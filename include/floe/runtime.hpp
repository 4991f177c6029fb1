// The threads PeerConnections live on: one or more event loops (Asio), each on its own thread.
// PeerConnections share the process-default Runtime (one thread) unless their Configuration names
// another. With several threads, each PeerConnection is bound to one loop for its whole life
// (assigned in turn), so its state is never touched by two threads and the data path needs no
// locks; different PeerConnections then run on different cores.
#pragma once

#include <functional>
#include <memory>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

class Runtime {
  public:
    // Starts `threads` loops (at least one), each on a thread of its own.
    explicit Runtime(unsigned threads = 1);
    ~Runtime();  // stops the loops and joins the threads; destroy PeerConnections first
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    static std::shared_ptr<Runtime> default_runtime();

    unsigned threads() const;
    // Whether the caller runs on one of this Runtime's threads.
    bool on_runtime_thread() const;
    // Runs `task` on the Runtime's first thread, later.
    void post(std::function<void()> task);

    struct Impl;
    Impl& impl() { return *impl_; }
    std::shared_ptr<Impl> shared_impl() const { return impl_; }

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace floe

#pragma GCC visibility pop
