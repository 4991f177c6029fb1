#include <doctest/doctest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/fifo.hpp"

using namespace floe;

namespace {
template <class T>
std::vector<T> contents(const Fifo<T>& q) {
    return std::vector<T>(q.begin(), q.end());
}
}  // namespace

TEST_CASE("a Fifo that is never pushed to holds no storage") {
    Fifo<std::string> q;
    CHECK(q.empty());
    CHECK(q.size() == 0);
    CHECK(q.capacity() == 0);
    q.clear();
    CHECK(q.capacity() == 0);
}

TEST_CASE("a Fifo gives its elements back in the order they were pushed") {
    Fifo<std::string> q;
    q.push_back("a");
    std::string b = "b";
    q.push_back(b);
    CHECK(q.emplace_back(3, 'c') == "ccc");
    CHECK(q.size() == 3);
    CHECK(q.back() == "ccc");
    CHECK(q[1] == "b");
    CHECK(contents(q) == std::vector<std::string>{"a", "b", "ccc"});
    std::vector<std::string> out;
    while (!q.empty()) {
        out.push_back(std::move(q.front()));
        q.pop_front();
    }
    CHECK(out == std::vector<std::string>{"a", "b", "ccc"});
}

TEST_CASE("interleaved pushes and pops behave like std::deque across compactions") {
    Fifo<std::uint32_t> q;
    std::deque<std::uint32_t> model;
    std::uint32_t next = 0, state = 12345;
    for (int step = 0; step < 20000; ++step) {
        state = state * 1103515245u + 12345u;
        // More pushes than pops for a while, then more pops: the queue grows, is compacted with
        // elements still in it, and drains now and then.
        const bool growing = (step / 1000) % 2 == 0;
        const bool push = model.empty() || (state >> 16) % 8 < (growing ? 5u : 3u);
        if (push) {
            q.push_back(next);
            model.push_back(next);
            ++next;
        } else {
            REQUIRE(q.front() == model.front());
            q.pop_front();
            model.pop_front();
        }
        REQUIRE(q.size() == model.size());
        REQUIRE(q.empty() == model.empty());
        if (!model.empty()) {
            REQUIRE(q.front() == model.front());
            REQUIRE(q.back() == model.back());
            REQUIRE(q[model.size() / 2] == model[model.size() / 2]);
        }
    }
    CHECK(contents(q) == std::vector<std::uint32_t>(model.begin(), model.end()));
}

TEST_CASE("a Fifo that is never drained stays as large as what it holds, not all it was given") {
    // One in, one out, forever, with eight always waiting: without compaction the popped front
    // would be kept and the vector would hold every element ever pushed.
    Fifo<std::uint64_t> q;
    for (std::uint64_t i = 0; i < 10000; ++i) {
        q.push_back(i);
        if (q.size() > 8) q.pop_front();
    }
    CHECK(q.size() == 8);
    CHECK(q.capacity() <= 64);
    CHECK(q.front() == 10000 - 8);
}

TEST_CASE("a drained Fifo is reused: small storage is kept, large storage is given back") {
    Fifo<std::uint32_t> small;
    for (std::uint32_t i = 0; i < 10; ++i)
        small.push_back(i);
    while (!small.empty())
        small.pop_front();
    CHECK(small.capacity() >= 10);  // kept: the next burst does not allocate
    small.push_back(7);
    CHECK(small.front() == 7);
    CHECK(small.size() == 1);

    Fifo<std::uint32_t> large;
    const std::size_t many = 2 * Fifo<std::uint32_t>::kKeptBytes / sizeof(std::uint32_t);
    for (std::uint32_t i = 0; i < many; ++i)
        large.push_back(i);
    for (std::uint32_t i = 0; i < many; ++i) {
        REQUIRE(large.front() == i);
        large.pop_front();
    }
    CHECK(large.empty());
    CHECK(large.capacity() == 0);
    large.push_back(1);
    large.push_back(2);
    CHECK(contents(large) == std::vector<std::uint32_t>{1, 2});
}

TEST_CASE("clear empties a Fifo, which then works as new") {
    Fifo<std::string> q;
    q.push_back("x");
    q.push_back("y");
    q.pop_front();
    q.clear();
    CHECK(q.empty());
    CHECK(q.size() == 0);
    CHECK(q.begin() == q.end());
    q.push_back("z");
    CHECK(q.front() == "z");
    CHECK(q.size() == 1);
}

TEST_CASE("pop_front releases what the element owns at once, as std::deque does") {
    Fifo<std::shared_ptr<int>> q;
    auto first = std::make_shared<int>(1);
    std::weak_ptr<int> watch = first;
    q.push_back(std::move(first));
    q.push_back(std::make_shared<int>(2));
    q.pop_front();  // the queue is not drained: the slot stays in the vector
    CHECK(watch.expired());
    CHECK(*q.front() == 2);
}

TEST_CASE("erase removes every equal element from a Fifo and keeps the others in order") {
    Fifo<int> q;
    for (int v : {1, 2, 3, 2, 4})
        q.push_back(v);
    q.pop_front();  // the popped front is not searched
    CHECK(q.erase(2) == 2);
    CHECK(contents(q) == std::vector<int>{3, 4});
    CHECK(q.erase(9) == 0);
    CHECK(q.erase(3) == 1);
    CHECK(q.erase(4) == 1);
    CHECK(q.empty());
    q.push_back(5);
    CHECK(q.front() == 5);
}
