#include "support/bench.hpp"

#include <openssl/crypto.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::uint64_t> g_allocations{0};

void* counted_malloc(size_t n, const char*, int) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n);
}
void* counted_realloc(void* p, size_t n, const char*, int) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::realloc(p, n);
}
void plain_free(void* p, const char*, int) { std::free(p); }

// Must run before OpenSSL allocates anything.
[[gnu::constructor(101)]] void install_openssl_counter() {
    CRYPTO_set_mem_functions(counted_malloc, counted_realloc, plain_free);
}
}  // namespace

void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace floe::bench {

std::uint64_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }

Options Options::parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--json") {
            o.json = true;
        } else if (a == "--only" && i + 1 < argc) {
            o.only = argv[++i];
        } else if (a == "--iterations" && i + 1 < argc) {
            o.iterations = std::strtoull(argv[++i], nullptr, 10);
        } else {
            std::fprintf(stderr, "usage: %s [--only NAME] [--iterations N] [--json]\n", argv[0]);
            std::exit(2);
        }
    }
    return o;
}

void print(const Figure& f, const Options& options) {
    if (options.json)
        std::printf("{\"name\":\"%s\",\"iterations\":%llu,\"ns_per_op\":%.1f,\"allocs_per_op\":%.3f}\n",
                    f.name.c_str(), static_cast<unsigned long long>(f.iterations), f.ns_per_op,
                    f.allocations_per_op);
    else
        std::printf("%-40s %12.1f ns/op %10.3f allocs/op  (%llu iterations)\n", f.name.c_str(),
                    f.ns_per_op, f.allocations_per_op, static_cast<unsigned long long>(f.iterations));
    std::fflush(stdout);
}

}  // namespace floe::bench
