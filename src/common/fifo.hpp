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
// Drained (empty after a pop), the vector is cleared and keeps its capacity, so a queue that is
// filled and drained on every pump stops allocating once warm; a capacity above kKeptBytes is
// given back instead, so one burst does not pin memory for the life of the connection. A queue
// that is never fully drained is compacted when its consumed front is at least half of it, so
// pops stay amortised O(1) and the vector does not grow without bound.
//
// Not thread-safe; each owner guards its own.
#pragma once

#include <cstddef>
#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

namespace floe {

template <class T>
class Fifo {
  public:
    // The most capacity, in bytes of elements, a drained queue keeps for its next use.
    static constexpr std::size_t kKeptBytes = 4096;

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

    void push_back(const T& value) { items_.push_back(value); }
    void push_back(T&& value) { items_.push_back(std::move(value)); }
    template <class... A>
    T& emplace_back(A&&... args) {
        return items_.emplace_back(std::forward<A>(args)...);
    }

    // Precondition: !empty().
    void pop_front() {
        // What the element owns is released now, as std::deque would, not at the next compaction.
        if constexpr (std::is_default_constructible_v<T> && std::is_move_assignable_v<T>)
            items_[head_] = T();
        ++head_;
        if (head_ == items_.size()) {
            reset();
        } else if (head_ >= kCompactAt && head_ * 2 >= items_.size()) {
            items_.erase(items_.begin(), begin());
            head_ = 0;
        }
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
