#include <doctest/doctest.h>

#include <floe/bytes.hpp>
#include <floe/result.hpp>
#include <floe/socket_address.hpp>

#include "common/byte_reader.hpp"
#include "common/byte_writer.hpp"
#include "common/random.hpp"
#include "common/text.hpp"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <set>

using namespace floe;

TEST_CASE("ByteReader reads big-endian values and never past the end") {
    const std::uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    ByteReader r(data);
    CHECK(*r.u8() == 0x01);
    CHECK(*r.u16() == 0x0203);
    CHECK(*r.u24() == 0x040506);
    CHECK(r.remaining() == 1);
    CHECK_FALSE(r.u16().has_value());
    CHECK(r.position() == 6);  // a failed read consumes nothing
    CHECK_FALSE(r.bytes(2).has_value());
    CHECK(r.bytes(1)->size() == 1);
    CHECK(r.empty());
    CHECK_FALSE(r.skip(1));
}

TEST_CASE("ByteWriter fails cleanly when a fixed buffer is too small") {
    std::uint8_t buf[5];
    ByteWriter w(buf);
    w.u32(0xdeadbeef);
    CHECK(w.ok());
    w.u16(0x1234);
    CHECK_FALSE(w.ok());
    CHECK(w.size() == 4);
    CHECK(to_hex(w.written()) == "deadbeef");
}

TEST_CASE("ByteWriter appends to growable bytes and patches lengths") {
    Bytes out = {0xaa};
    ByteWriter w(out);
    w.u16(0);
    w.u64(0x0102030405060708ull);
    w.patch_u16(0, 8);
    CHECK(w.ok());
    CHECK(to_hex(out) == "aa00080102030405060708");
}

TEST_CASE("ByteWriter's u48 writes the low 48 bits, as ByteReader's u48 reads them") {
    Bytes out;
    ByteWriter w(out);
    w.u48(0xffff'0102'0304'0506ull);
    CHECK(to_hex(out) == "010203040506");
    ByteReader r(out);
    CHECK(r.u48() == 0x0102'0304'0506ull);
}

TEST_CASE("hex round trip and separators") {
    const Bytes b = {0xde, 0xad, 0x01};
    CHECK(to_hex(b, ":") == "de:ad:01");
    CHECK(*from_hex("DEAD01") == b);
    CHECK(*from_hex("de:AD:01", ':') == b);
    CHECK_FALSE(from_hex("dea").has_value());
    CHECK_FALSE(from_hex("de:ad:", ':').has_value());
    CHECK_FALSE(from_hex("zz").has_value());
    CHECK(equal_constant_time(b, b));
    CHECK_FALSE(equal_constant_time(b, Bytes{0xde, 0xad, 0x02}));
}

TEST_CASE("socket addresses parse and format for IPv4 and IPv6") {
    auto v4 = SocketAddress::parse("198.18.0.1:3478");
    REQUIRE(v4);
    CHECK(v4->is_v4());
    CHECK(v4->port() == 3478);
    CHECK(v4->to_string() == "198.18.0.1:3478");
    auto v6 = SocketAddress::parse("[2001:db8::1]:5000");
    REQUIRE(v6);
    CHECK(v6->is_v6());
    CHECK(v6->to_string() == "[2001:db8::1]:5000");
    CHECK_FALSE(SocketAddress::parse("2001:db8::1:5000").has_value());
    CHECK_FALSE(SocketAddress::parse("1.2.3.4:65536").has_value());
    CHECK_FALSE(SocketAddress::parse("1.2.3.4:").has_value());
    CHECK_FALSE(SocketAddress::parse("host:80").has_value());
    CHECK(IpAddress::parse("127.0.0.1")->is_loopback());
    CHECK(IpAddress::parse("::1")->is_loopback());
    CHECK(IpAddress::parse("fe80::1%eth0")->is_link_local());
    CHECK(IpAddress::parse("169.254.1.1")->is_link_local());
    CHECK(IpAddress::parse("::ffff:1.2.3.4")->is_v4_mapped());
    sockaddr_storage ss;
    v6->to_sockaddr(ss);
    CHECK(*SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss)) == *v6);
}

TEST_CASE("seeded randomness is repeatable; uniform stays in range") {
    SeededRandom a(42), b(42);
    CHECK(a.next_u64() == b.next_u64());
    for (int i = 0; i < 1000; ++i)
        CHECK(a.uniform(7) < 7);
    auto s = a.string(16, "abc");
    CHECK(s.size() == 16);
    CHECK(s.find_first_not_of("abc") == std::string::npos);
    CHECK(crypto_random().next_u64() != crypto_random().next_u64());
}

TEST_CASE("crypto randomness never repeats a value, across block refills and across fork") {
    // Small requests come from a per-thread block of drawn bytes: draw well past several blocks
    // and check that no 8-byte value repeats (a served-twice byte range would).
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 2000; ++i)
        CHECK(seen.insert(crypto_random().next_u64()).second);
    // A forked child must not serve what the parent serves next from its block.
    (void)crypto_random().next_u32();  // the block is now partly used
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const std::uint64_t v = crypto_random().next_u64();
        const bool ok = write(fds[1], &v, sizeof v) == static_cast<ssize_t>(sizeof v);
        _exit(ok ? 0 : 1);
    }
    const std::uint64_t mine = crypto_random().next_u64();
    std::uint64_t theirs = 0;
    REQUIRE(read(fds[0], &theirs, sizeof theirs) == static_cast<ssize_t>(sizeof theirs));
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    close(fds[0]);
    close(fds[1]);
    CHECK(WIFEXITED(status));
    CHECK(mine != theirs);
    // Large requests bypass the block and are as random.
    Bytes a(1000), b(1000);
    crypto_random().fill(a);
    crypto_random().fill(b);
    CHECK(a != b);
}

TEST_CASE("Result carries a value or an error") {
    enum class E { bad };
    Result<int, E> good = 5;
    Result<int, E> bad = fail(E::bad);
    CHECK(good.ok());
    CHECK(*good == 5);
    CHECK_FALSE(bad);
    CHECK(bad.error() == E::bad);
}

TEST_CASE("printable escapes control bytes, DEL and invalid UTF-8, and keeps valid UTF-8") {
    using floe::text::printable;
    CHECK(printable("plain a=b") == "plain a=b");
    CHECK(printable(std::string("\x01\x1f\x7f", 3)) == "\\x01\\x1f\\x7f");
    CHECK(printable("h\xc3\xa9llo \xf0\x9f\x98\x80") == "h\xc3\xa9llo \xf0\x9f\x98\x80");
    CHECK(printable("\xff\xfe") == "\\xff\\xfe");
    CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");           // overlong "/"
    CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
    CHECK(printable("\xe2\x82") == "\\xe2\\x82");           // cut short
    CHECK(printable(std::string("a\0b", 3)) == "a\\x00b");
}
