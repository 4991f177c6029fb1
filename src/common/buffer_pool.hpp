// A small stack of emptied byte buffers to reuse: the packet path hands each datagram, record and
// packet on in a Bytes, and taking a buffer back here instead of freeing it saves a malloc and a
// free per packet (and, for large buffers, faulting their pages in again).
//
//   BufferPool pool(16, 64 * 1024);
//   Bytes b = pool.take();            // empty, with the capacity of a returned buffer if any
//   b.assign(data.begin(), data.end());
//   ...
//   pool.give(std::move(b));          // kept if the pool has room and it is not too large
//
// Not thread-safe; each owner guards its own.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <floe/bytes.hpp>

namespace floe {

class BufferPool {
  public:
    // At most `max_buffers` are kept, none with a capacity above `max_capacity`, so a pool
    // holds a bounded amount of memory whatever passes through it.
    BufferPool(std::size_t max_buffers, std::size_t max_capacity)
        : max_buffers_(max_buffers), max_capacity_(max_capacity) {}

    Bytes take() {
        if (free_.empty()) return {};
        Bytes buffer = std::move(free_.back());
        free_.pop_back();
        return buffer;
    }

    void give(Bytes buffer) {
        if (free_.size() >= max_buffers_ || buffer.capacity() == 0 ||
            buffer.capacity() > max_capacity_)
            return;
        buffer.clear();
        free_.push_back(std::move(buffer));
    }

    // Frees every kept buffer (an idle owner need not hold them).
    void release() { free_.clear(); }
    std::size_t size() const { return free_.size(); }

  private:
    std::size_t max_buffers_;
    std::size_t max_capacity_;
    std::vector<Bytes> free_;
};

}  // namespace floe
