// A first-in first-out queue for the queues every core drains after each call (events,
// transmits, packets out): a vector and the index of its front.
//
//   Fifo<Transmit> out;
//   out.push_back(t);                 // the first push allocates; an unused Fifo never does
//   while (!out.empty()) { use(out.front()); out.pop_front(); }
//
// Why not std::deque: libstdc++'s deque allocates its map and a first 512-byte node when it is
// constructed, used or not. A PeerConnection has a dozen such queues, most empty most of the
// time: about 6 kB per PeerConnection before any traffic (docs/performance.md, W4).
//
// Drained (empty after a pop), the vector is cleared and keeps its capacity up to kKeptBytes, so
// a queue that carries a few elements per pump stops allocating once warm; a larger capacity is
// given back, so a burst does not pin memory for the life of the connection. kKeptBytes is what a
// drained libstdc++ deque keeps (one 512-byte node): measured with 4 KiB, the session's and the
// ICE agent's event queues kept the capacity of their gathering bursts, 1.8 kB per
// PeerConnection (heaptrack, W4). A queue that is never fully drained is compacted when its
// consumed front is at least half of it, so pops stay amortised O(1) and the vector does not
// grow without bound.
//
// Not thread-safe; each owner guards its own.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace floe {

template <class T>
class Fifo {
  public:
    // The most capacity, in bytes of elements, a drained queue keeps for its next use.
    static constexpr std::size_t kKeptBytes = 512;

    using value_type = T;
    using iterator = typename std::vector<T>::iterator;
    using const_iterator = typename std::vector<T>::const_iterator;

    bool empty() const { return head_ == items_.size(); }
    std::size_t size() const { return items_.size() - head_; }
    // The storage held (elements), for tests and memory accounting.
    std::size_t capacity() const { return items_.capacity(); }

    T& front() { return items_[head_]; }
    const T& front() const { return items_[head_]; }
    T& back() { return items_.back(); }
    const T& back() const { return items_.back(); }
    // The i-th element from the front.
    T& operator[](std::size_t i) { return items_[head_ + i]; }
    const T& operator[](std::size_t i) const { return items_[head_ + i]; }

    iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    iterator end() { return items_.end(); }
    const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    const_iterator end() const { return items_.end(); }

    // Constructs the element from `value` in place: pushing one alternative of a variant makes no
    // variant temporary (whose move GCC 12 takes for a read of uninitialised memory at -O3).
    template <class U = T>
    void push_back(U&& value) {
        items_.emplace_back(std::forward<U>(value));
    }
    template <class... A>
    T& emplace_back(A&&... args) {
        return items_.emplace_back(std::forward<A>(args)...);
    }

    // Precondition: !empty().
    void pop_front() {
        ++head_;
        if (head_ == items_.size()) {
            reset();
            return;
        }
        // What the element owns is released now, as std::deque would, not at the next compaction
        // (destroyed and made anew in place, so T needs no assignment operator).
        if constexpr (std::is_default_constructible_v<T>) {
            std::destroy_at(&items_[head_ - 1]);
            std::construct_at(&items_[head_ - 1]);
        }
        if (head_ >= kCompactAt && head_ * 2 >= items_.size()) {
            items_.erase(items_.begin(), begin());
            head_ = 0;
        }
    }

    // Removes every element equal to `value`, the others keeping their order; returns how many.
    std::size_t erase(const T& value) {
        const auto last = std::remove(begin(), end(), value);
        const auto n = static_cast<std::size_t>(end() - last);
        items_.erase(last, items_.end());
        if (empty()) reset();
        return n;
    }

    void clear() {
        items_.clear();
        reset();
    }

  private:
    static constexpr std::size_t kCompactAt = 16;

    void reset() {
        head_ = 0;
        if (items_.capacity() * sizeof(T) > kKeptBytes) {
            std::vector<T>().swap(items_);
        } else {
            items_.clear();
        }
    }

    std::vector<T> items_;
    std::size_t head_ = 0;  // items_[0, head_) are popped
};

}  // namespace floe
