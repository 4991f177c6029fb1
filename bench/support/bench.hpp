// A small benchmark harness: ns/op and heap allocations/op, printed as text or JSON. Speed is
// reported, never asserted. Instructions/op: run under callgrind with bench/callgrind.sh, which
// takes the difference between two iteration counts so that start-up cost cancels out.
//
//   bench_x [--only NAME] [--iterations N] [--json]
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace floe::bench {

// Heap allocations made so far by this process: operator new and OpenSSL's allocator.
std::uint64_t allocation_count();

struct Options {
    std::string only;             // run just this case
    std::uint64_t iterations = 0; // 0: as many as fit in about half a second
    bool json = false;
    static Options parse(int argc, char** argv);
};

struct Figure {
    std::string name;
    std::uint64_t iterations = 0;
    double ns_per_op = 0;
    double allocations_per_op = 0;
};

void print(const Figure& figure, const Options& options);

// Keeps the optimizer from deleting a computation whose result is unused.
template <class T>
inline void keep(T const& value) {
    asm volatile("" : : "r,m"(value) : "memory");
}

// Runs `op` (a callable with no arguments) and prints its figure, unless --only names another.
template <class Op>
void run(std::string_view name, const Options& options, Op&& op) {
    if (!options.only.empty() && options.only != name) return;
    using clock = std::chrono::steady_clock;
    std::uint64_t iterations = options.iterations;
    if (iterations == 0) {
        for (int i = 0; i < 1000; ++i) op();  // warm caches
        iterations = 1;
        for (;;) {  // grow until one batch takes ~50 ms, then aim for ~0.5 s
            auto t0 = clock::now();
            for (std::uint64_t i = 0; i < iterations; ++i) op();
            auto dt = clock::now() - t0;
            if (dt > std::chrono::milliseconds(50)) {
                iterations = iterations * 10;
                break;
            }
            iterations *= 2;
        }
    }
    const std::uint64_t allocs0 = allocation_count();
    const auto t0 = clock::now();
    for (std::uint64_t i = 0; i < iterations; ++i) op();
    const auto dt = clock::now() - t0;
    const std::uint64_t allocs = allocation_count() - allocs0;
    Figure f;
    f.name = std::string(name);
    f.iterations = iterations;
    f.ns_per_op = std::chrono::duration<double, std::nano>(dt).count() / double(iterations);
    f.allocations_per_op = double(allocs) / double(iterations);
    print(f, options);
}

}  // namespace floe::bench
