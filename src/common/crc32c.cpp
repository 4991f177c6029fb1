#include "common/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace floe {
namespace {

constexpr std::uint32_t kPolynomial = 0x82f63b78;  // Castagnoli, bit-reversed

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr std::array<std::uint32_t, 256> kTable = make_table();

std::uint32_t update_portable(std::uint32_t crc, ByteSpan data) {
    for (std::uint8_t byte : data)
        crc = kTable[(crc ^ byte) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t update_hardware(std::uint32_t crc, ByteSpan data) {
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    std::uint64_t c = crc;
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);  // unaligned load; x86 is little-endian, as the CRC wants
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    auto c32 = static_cast<std::uint32_t>(c);
    while (n > 0) {
        c32 = _mm_crc32_u8(c32, *p);
        ++p;
        --n;
    }
    return c32;
}

bool detect_hardware() {
    return __builtin_cpu_supports("sse4.2");
}
#else
std::uint32_t update_hardware(std::uint32_t crc, ByteSpan data) {
    return update_portable(crc, data);
}
bool detect_hardware() {
    return false;
}
#endif

const bool g_hardware = detect_hardware();

}  // namespace

std::uint32_t crc32c(ByteSpan data) {
    const std::uint32_t crc =
        g_hardware ? update_hardware(0xffffffff, data) : update_portable(0xffffffff, data);
    return crc ^ 0xffffffff;
}

std::uint32_t crc32c_portable(ByteSpan data) {
    return update_portable(0xffffffff, data) ^ 0xffffffff;
}

bool crc32c_hardware() {
    return g_hardware;
}

}  // namespace floe
