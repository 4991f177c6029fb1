#include "common/random.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace floe {

std::uint32_t Random::next_u32() {
    std::uint8_t b[4];
    fill(b);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           b[3];
}

std::uint64_t Random::next_u64() {
    return (std::uint64_t{next_u32()} << 32) | next_u32();
}

std::uint64_t Random::uniform(std::uint64_t bound) {
    if (bound <= 1) return 0;
    // Reject the top partial block so every residue is equally likely.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t v;
    do {
        v = next_u64();
    } while (v >= limit);
    return v % bound;
}

double Random::unit() {
    return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

std::string Random::string(std::size_t length, std::string_view alphabet) {
    std::string out(length, '\0');
    for (auto& c : out)
        c = alphabet[uniform(alphabet.size())];
    return out;
}

namespace {

void rand_bytes(MutableByteSpan out) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1)
        throw std::runtime_error("OpenSSL RAND_bytes failed");  // no entropy: nothing is safe
}

// RAND_bytes costs thousands of instructions a call whatever its size (locks, the DRBG's
// bookkeeping), and ICE draws many small values: a character of its password at a time, a
// transaction id per check. Measured: about 300 calls and 9 % of the instructions of an
// in-process PeerConnection pair set-up (callgrind, floe bench W2). So requests of up to
// kSmallRequest bytes are served from a block drawn in one call, one block per thread (no
// lock); each byte is served once and wiped as it goes.
constexpr std::size_t kBlockSize = 256;
constexpr std::size_t kSmallRequest = 64;

struct RandomBlock {
    std::array<std::uint8_t, kBlockSize> bytes{};
    std::size_t next = kBlockSize;  // nothing left: drawn on first use
};
thread_local RandomBlock block;

// A forked child starts with a copy of its parent's block: serving it would repeat the parent's
// values (OpenSSL's own generator reseeds in the child; this block must be dropped likewise).
void drop_block_in_child() {
    OPENSSL_cleanse(block.bytes.data(), block.bytes.size());
    block.next = kBlockSize;
}

}  // namespace

void CryptoRandom::fill(MutableByteSpan out) {
    if (out.empty()) return;
    if (out.size() > kSmallRequest) {
        rand_bytes(out);
        return;
    }
    static const bool fork_handler = [] {
        return pthread_atfork(nullptr, nullptr, &drop_block_in_child) == 0;
    }();
    if (!fork_handler) {  // cannot happen in practice (ENOMEM); then never keep a block
        rand_bytes(out);
        return;
    }
    if (kBlockSize - block.next < out.size()) {
        rand_bytes(block.bytes);
        block.next = 0;
    }
    std::uint8_t* from = block.bytes.data() + block.next;
    std::memcpy(out.data(), from, out.size());
    OPENSSL_cleanse(from, out.size());
    block.next += out.size();
}

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}
}  // namespace

SeededRandom::SeededRandom(std::uint64_t seed) {
    for (auto& s : state_)
        s = splitmix64(seed);
}

std::uint64_t SeededRandom::next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
}

void SeededRandom::fill(MutableByteSpan out) {
    std::size_t i = 0;
    while (i < out.size()) {
        std::uint64_t v = next();
        std::size_t n = std::min<std::size_t>(8, out.size() - i);
        std::memcpy(out.data() + i, &v, n);
        i += n;
    }
}

Random& crypto_random() {
    static CryptoRandom instance;
    return instance;
}

}  // namespace floe
