// The RFC 5769 test vectors decode to the values the RFC lists, and their integrity and
// fingerprint verify.
#include <doctest/doctest.h>

#include <floe/stun/message.hpp>

#include "vectors.hpp"

using namespace floe;
using namespace floe::stun;
using floe::stun::test::rfc5769;
using floe::stun::test::short_term_password;

TEST_CASE("RFC 5769 2.1 sample request decodes, and its integrity and fingerprint verify") {
    const Bytes bytes = rfc5769("rfc5769-2.1-sample-request");
    CHECK(bytes.size() == 108);
    auto m = Message::decode(bytes);
    REQUIRE(m);
    CHECK(m->method() == method::binding);
    CHECK(m->message_class() == MessageClass::request);
    CHECK(to_hex(m->transaction_id()) == "b7e7a701bc34d686fa87dfae");
    CHECK(m->attributes().size() == 6);
    CHECK(*m->software() == "STUN test client");
    CHECK(*m->priority() == 0x6e0001ffu);
    CHECK(*m->ice_controlled() == 0x932ff9b151263b36ull);
    CHECK_FALSE(m->ice_controlling());
    CHECK(*m->username() == "evtj:h6vY");
    CHECK(to_hex(*m->message_integrity()) == "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2");
    CHECK(*m->fingerprint() == 0xe57a3bcfu);
    CHECK(m->check_fingerprint());
    CHECK(m->check_integrity(IntegrityKey::short_term(short_term_password)));
    CHECK_FALSE(m->check_integrity(IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBT")));
    CHECK_FALSE(m->check_integrity_sha256(IntegrityKey::short_term(short_term_password)));
}

TEST_CASE("RFC 5769 2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853") {
    const Bytes bytes = rfc5769("rfc5769-2.2-sample-ipv4-response");
    auto m = Message::decode(bytes);
    REQUIRE(m);
    CHECK(m->message_class() == MessageClass::success_response);
    CHECK(*m->software() == "test vector");
    CHECK(m->xor_mapped_address()->to_string() == "192.0.2.1:32853");
    CHECK(m->check_fingerprint());
    CHECK(m->check_integrity(IntegrityKey::short_term(short_term_password)));
}

TEST_CASE("RFC 5769 2.3 IPv6 response: XOR-MAPPED-ADDRESS over cookie and transaction id") {
    const Bytes bytes = rfc5769("rfc5769-2.3-sample-ipv6-response");
    auto m = Message::decode(bytes);
    REQUIRE(m);
    CHECK(m->xor_mapped_address()->to_string() == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    CHECK(m->check_fingerprint());
    CHECK(m->check_integrity(IntegrityKey::short_term(short_term_password)));
}

TEST_CASE("RFC 5769 2.4 long-term request: MD5 key over SASLprepped password") {
    const Bytes bytes = rfc5769("rfc5769-2.4-sample-request-long-term-auth");
    auto m = Message::decode(bytes);
    REQUIRE(m);
    CHECK(to_hex(m->transaction_id()) == "78ad3433c6ad72c029da412e");
    CHECK(*m->username() ==
          "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9");
    CHECK(*m->nonce() == "f//499k954d6OL34oL9FSTvy64sA");
    CHECK(*m->realm() == "example.org");
    CHECK_FALSE(m->fingerprint());
    CHECK_FALSE(m->check_fingerprint());
    const auto key = IntegrityKey::long_term_md5(*m->username(), "example.org", "TheMatrIX");
    CHECK(m->check_integrity(key));
    CHECK_FALSE(m->check_integrity(
        IntegrityKey::long_term_md5(*m->username(), "example.org", "thematrix")));
}

TEST_CASE("a flipped bit anywhere before FINGERPRINT breaks fingerprint and integrity") {
    const Bytes original = rfc5769("rfc5769-2.1-sample-request");
    const auto key = IntegrityKey::short_term(short_term_password);
    // The transaction id, a value, and a padding byte of USERNAME (74) are all covered.
    for (std::size_t at : {std::size_t{10}, std::size_t{25}, std::size_t{74}}) {
        Bytes bytes = original;
        bytes[at] ^= 0x01;
        auto m = Message::decode(bytes);
        REQUIRE(m);
        CHECK_FALSE(m->check_fingerprint());
        CHECK_FALSE(m->check_integrity(key));
    }
}

TEST_CASE("CRC-32 matches the standard check value") {
    CHECK(crc32(as_bytes("123456789")) == 0xCBF43926u);
    CHECK(crc32(as_bytes("")) == 0u);
    CHECK(crc32(as_bytes("56789"), crc32(as_bytes("1234"))) == 0xCBF43926u);
}

TEST_CASE("HMAC keys match RFC 4231 / RFC 2202 vectors, including keys longer than a block") {
    std::uint8_t out[32];
    // RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?"
    const auto jefe = IntegrityKey::from_bytes(as_bytes("Jefe"));
    jefe.hmac_sha1({as_bytes("what do ya want "), as_bytes("for nothing?")}, out);
    CHECK(to_hex(ByteSpan(out, 20)) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    jefe.hmac_sha256({as_bytes("what do ya want for nothing?")}, out);
    CHECK(to_hex(ByteSpan(out, 32)) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // RFC 2202 test case 6: an 80-byte key of 0xaa.
    const Bytes long_key(80, 0xaa);
    IntegrityKey::from_bytes(long_key).hmac_sha1(
        {as_bytes("Test Using Larger Than Block-Size Key - Hash Key First")}, out);
    CHECK(to_hex(ByteSpan(out, 20)) == "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}
