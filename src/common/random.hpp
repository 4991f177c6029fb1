// The one source of randomness. Cores take a Random& so tests can seed it; production uses
// OpenSSL's CSPRNG (transaction ids, ICE credentials and tie-breakers must be unpredictable).
#pragma once

#include <cstdint>
#include <string>

#include <floe/bytes.hpp>

namespace floe {

class Random {
public:
    virtual ~Random() = default;
    virtual void fill(MutableByteSpan out) = 0;

    std::uint32_t next_u32();
    std::uint64_t next_u64();
    // Uniform in [0, bound); bound > 0. Unbiased (rejection sampling).
    std::uint64_t uniform(std::uint64_t bound);
    // Uniform in [0, 1).
    double unit();
    // `length` characters drawn from `alphabet` (ICE ufrag/pwd use the ice-char set).
    std::string string(std::size_t length, std::string_view alphabet);
};

// OpenSSL's RAND_bytes. Thread-safe.
class CryptoRandom final : public Random {
public:
    void fill(MutableByteSpan out) override;
};

// Deterministic (xoshiro256**) for tests and the simulator. Not for secrets.
class SeededRandom final : public Random {
public:
    explicit SeededRandom(std::uint64_t seed);
    void fill(MutableByteSpan out) override;

private:
    std::uint64_t next();
    std::uint64_t state_[4];
};

// The process-wide CryptoRandom.
Random& crypto_random();

}  // namespace floe
