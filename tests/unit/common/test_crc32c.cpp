#include <doctest/doctest.h>

#include <floe/bytes.hpp>

#include "common/crc32c.hpp"

using namespace floe;

TEST_CASE("crc32c matches the published check value and RFC 3720 vectors") {
    CHECK(crc32c(as_bytes("123456789")) == 0xe3069283u);
    CHECK(crc32c_portable(as_bytes("123456789")) == 0xe3069283u);
    CHECK(crc32c({}) == 0u);
    // RFC 3720 appendix B.4: 32 bytes of zeros, of 0xff, ascending and descending.
    Bytes zeros(32, 0x00), ones(32, 0xff), up(32), down(32);
    for (int i = 0; i < 32; ++i) {
        up[i] = static_cast<std::uint8_t>(i);
        down[i] = static_cast<std::uint8_t>(31 - i);
    }
    CHECK(crc32c(zeros) == 0x8a9136aau);
    CHECK(crc32c(ones) == 0x62a8ab43u);
    CHECK(crc32c(up) == 0x46dd794eu);
    CHECK(crc32c(down) == 0x113fdb5cu);
}

TEST_CASE("crc32c hardware and portable paths agree on every length and alignment") {
    Bytes data(300);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<std::uint8_t>(i * 7 + 3);
    for (std::size_t start = 0; start < 9; ++start)
        for (std::size_t len = 0; start + len <= data.size(); len += 13) {
            ByteSpan s = ByteSpan(data).subspan(start, len);
            CHECK(crc32c(s) == crc32c_portable(s));
        }
}
