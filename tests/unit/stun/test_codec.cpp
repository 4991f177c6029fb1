// Every attribute survives build -> decode, and malformed messages are refused with the reason
// the RFC gives, never a crash.
#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "common/byte_writer.hpp"

#include "vectors.hpp"

using namespace floe;
using namespace floe::stun;

namespace {

const TransactionId tid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

Bytes hex(std::string_view text) {
    std::string compact;
    for (char c : text)
        if (c != ' ') compact += c;
    auto b = from_hex(compact);
    REQUIRE(b);
    return *b;
}

// A header (given type and length) with the magic cookie and `tid`, followed by `body`.
Bytes message(std::uint16_t type, std::uint16_t length, const Bytes& body) {
    Bytes out;
    ByteWriter w(out);
    w.u16(type);
    w.u16(length);
    w.u32(magic_cookie);
    w.bytes(tid);
    w.bytes(body);
    return out;
}
Bytes message(const Bytes& body) {
    return message(0x0001, static_cast<std::uint16_t>(body.size()), body);
}

}  // namespace

TEST_CASE("message type packs method and class bits as RFC 8489 §5 draws them") {
    CHECK((MessageType{method::binding, MessageClass::request}.to_wire()) == 0x0001);
    CHECK((MessageType{method::binding, MessageClass::indication}.to_wire()) == 0x0011);
    CHECK((MessageType{method::binding, MessageClass::success_response}.to_wire()) == 0x0101);
    CHECK((MessageType{method::binding, MessageClass::error_response}.to_wire()) == 0x0111);
    CHECK((MessageType{method::allocate, MessageClass::error_response}.to_wire()) == 0x0113);
    for (std::uint16_t m : {0x001, 0x009, 0x0FFF, 0x0ABC})
        for (int c = 0; c < 4; ++c) {
            const MessageType t{m, static_cast<MessageClass>(c)};
            CHECK(MessageType::from_wire(t.to_wire()) == t);
        }
    CHECK(describe({method::binding, MessageClass::success_response}) ==
          "Binding success response");
}

TEST_CASE("every attribute round-trips through the builder and the decoder") {
    const auto key = IntegrityKey::short_term("pass");
    const auto v4 = *SocketAddress::parse("192.0.2.1:32853");
    const auto v6 = *SocketAddress::parse("[2001:db8::5]:1");
    const Bytes hash(32, 0x5a);
    const std::uint16_t unknown[] = {0x0031, 0x7fff, 0x8888};
    const Bytes params = {1, 2, 3};
    const PasswordAlgorithmEntry algorithms[] = {
        {static_cast<std::uint16_t>(PasswordAlgorithm::md5), {}},
        {static_cast<std::uint16_t>(PasswordAlgorithm::sha256), {}},
        {0x7777, params}};
    Bytes out;
    MessageBuilder b(out, {method::allocate, MessageClass::error_response}, tid);
    b.add_mapped_address(v6)
        .add_xor_mapped_address(v4)
        .add_alternate_server(v4)
        .add_username("user:name")
        .add_userhash(hash)
        .add_realm("example.org")
        .add_nonce("abcdefg")
        .add_software("floe test")
        .add_alternate_domain("alt.example.org")
        .add_error_code(420)
        .add_unknown_attributes(unknown)
        .add_password_algorithms(algorithms)
        .add_password_algorithm(algorithms[1])
        .add_priority(0x6e0001ff)
        .add_use_candidate()
        .add_ice_controlled(0x0102030405060708ull)
        .add_ice_controlling(0xfffefdfcfbfaf9f8ull)
        .add(0x4000, as_bytes("x"))
        .add_message_integrity(key)
        .add_message_integrity_sha256(key)
        .add_fingerprint();
    auto bytes = b.finish();
    REQUIRE(bytes);
    CHECK(bytes->size() % 4 == 0);
    auto m = Message::decode(*bytes);
    REQUIRE_MESSAGE(m, to_string(m.error()));
    CHECK(m->type() == MessageType{method::allocate, MessageClass::error_response});
    CHECK(m->transaction_id() == tid);
    CHECK(*m->mapped_address() == v6);
    CHECK(*m->xor_mapped_address() == v4);
    CHECK(*m->alternate_server() == v4);
    CHECK(*m->username() == "user:name");
    CHECK(to_hex(*m->userhash()) == to_hex(hash));
    CHECK(*m->realm() == "example.org");
    CHECK(*m->nonce() == "abcdefg");
    CHECK(*m->software() == "floe test");
    CHECK(*m->alternate_domain() == "alt.example.org");
    CHECK(m->error_code()->code == 420);
    CHECK(m->error_code()->reason == "Unknown Attribute");
    auto list = *m->unknown_attributes_list();
    REQUIRE(list.size() == 3);
    CHECK(list[0] == 0x0031);
    CHECK(list[2] == 0x8888);
    auto algs = *m->password_algorithms();
    CHECK(algs.size() == 3);
    CHECK(algs.contains(PasswordAlgorithm::sha256));
    std::vector<std::string> seen;
    algs.for_each([&](const PasswordAlgorithmEntry& e) {
        seen.push_back(std::to_string(e.algorithm) + "/" + to_hex(e.parameters));
    });
    CHECK(seen == std::vector<std::string>{"1/", "2/", "30583/010203"});
    CHECK(m->password_algorithm()->algorithm == 2);
    CHECK(*m->priority() == 0x6e0001ffu);
    CHECK(m->use_candidate());
    CHECK(*m->ice_controlled() == 0x0102030405060708ull);
    CHECK(*m->ice_controlling() == 0xfffefdfcfbfaf9f8ull);
    CHECK(m->check_integrity(key));
    CHECK(m->check_integrity_sha256(key));
    CHECK_FALSE(m->check_integrity(IntegrityKey::short_term("Pass")));
    CHECK_FALSE(m->check_integrity_sha256(IntegrityKey::short_term("Pass")));
    CHECK(m->check_fingerprint());
    std::array<std::uint16_t, 4> unknown_out{};
    CHECK(m->unknown_attributes(unknown_out) == 1);
    CHECK(unknown_out[0] == 0x4000);
    CHECK(m->unknown_comprehension_required(unknown_out) == 1);
}

TEST_CASE("the builder rebuilds the RFC 5769 2.1 request byte for byte (but zero padding)") {
    const Bytes original = test::rfc5769("rfc5769-2.1-sample-request");
    std::array<std::uint8_t, 256> buf;
    TransactionId id;
    std::copy(original.begin() + 8, original.begin() + 20, id.begin());
    MessageBuilder b(buf, {method::binding, MessageClass::request}, id);
    b.add_software("STUN test client")
        .add_priority(0x6e0001ff)
        .add_ice_controlled(0x932ff9b151263b36ull)
        .add_username("evtj:h6vY")
        .add_message_integrity(IntegrityKey::short_term(test::short_term_password))
        .add_fingerprint();
    auto bytes = b.finish();
    REQUIRE(bytes);
    // The vector pads USERNAME with spaces, we pad with zeros: only those 3 bytes, the MAC and the
    // CRC differ.
    Bytes expected = original;
    for (int i = 73; i < 76; ++i)
        expected[i] = 0;
    auto m = Message::decode(*bytes);
    REQUIRE(m);
    CHECK(m->check_integrity(IntegrityKey::short_term(test::short_term_password)));
    CHECK(m->check_fingerprint());
    CHECK(to_hex(bytes->first(76)) == to_hex(ByteSpan(expected).first(76)));
}

TEST_CASE("the builder refuses what would make a bad message and reports a full buffer") {
    std::array<std::uint8_t, 64> buf;
    {
        MessageBuilder b(buf, {}, tid);
        b.add_fingerprint().add_software("late");
        CHECK(b.finish().error() == EncodeError::attribute_after_fingerprint);
    }
    {
        MessageBuilder b(buf, {}, tid);
        b.add_message_integrity(IntegrityKey()).add_username("late");
        CHECK(b.finish().error() == EncodeError::attribute_after_integrity);
    }
    {
        MessageBuilder b(buf, {}, tid);
        b.add_error_code(200);
        CHECK(b.finish().error() == EncodeError::bad_error_code);
    }
    {
        MessageBuilder b(buf, {}, tid);
        b.add_software(std::string(60, 'x'));
        CHECK(b.finish().error() == EncodeError::buffer_too_small);
    }
    {
        Bytes out;
        MessageBuilder b(out, {}, tid);
        b.add_username(std::string(514, 'u'));
        CHECK(b.finish().error() == EncodeError::value_too_long);
    }
}

TEST_CASE("peek_header reads a transaction id even when the body is malformed") {
    const Bytes bad = message(0x0001, 8, hex("00 06 00 09 65 76 74 6a"));
    CHECK_FALSE(Message::decode(bad));
    auto h = peek_header(bad);
    REQUIRE(h);
    CHECK(h->transaction_id == tid);
    CHECK(h->type.cls == MessageClass::request);
    CHECK_FALSE(peek_header(hex("00 01 00 00 21 12 a4 43 00 00 00 00 00 00 00 00 00 00 00 00")));
    CHECK_FALSE(peek_header(hex("00 01 00 00")));
}

namespace {
struct Malformed {
    const char* what;
    Bytes bytes;
    DecodeError reason;
};
}  // namespace

TEST_CASE("a table of malformed messages is rejected with the right reason") {
    Bytes many;
    for (int i = 0; i < 33; ++i) {
        const Bytes a = hex("80 22 00 00");
        for (std::uint8_t x : a)
            many.push_back(x);
    }
    const Bytes good_xor_v4 = hex("00 20 00 08 00 01 a1 47 e1 12 a6 43");
    auto with = [](Bytes a, const Bytes& b) {
        for (std::uint8_t x : b)
            a.push_back(x);  // (GCC 12 -O3 misreads insert/resize here)
        return a;
    };
    const Bytes mi = with(hex("00 08 00 14"), Bytes(20, 0));
    const Bytes fp = hex("80 28 00 04 00 00 00 00");
    const Bytes mi256 = with(hex("00 1c 00 20"), Bytes(32, 0));
    Bytes chopped = message({});
    chopped.pop_back();

    const std::vector<Malformed> table = {
        {"empty", {}, DecodeError::too_short},
        {"19 bytes", Bytes(19, 0), DecodeError::too_short},
        {"header missing the last transaction id byte", chopped, DecodeError::too_short},
        {"top bits 01 (RTP/DTLS territory)", message(0x4001, 0, {}), DecodeError::not_stun},
        {"top bits 10", message(0x8001, 0, {}), DecodeError::not_stun},
        {"top bits 11", message(0xC001, 0, {}), DecodeError::not_stun},
        {"RFC 3489 message without cookie",
         hex("00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"),
         DecodeError::bad_cookie},
        {"cookie byte-swapped", hex("00 01 00 00 42 a4 12 21 00 00 00 00 00 00 00 00 00 00 00 00"),
         DecodeError::bad_cookie},
        {"length 2", message(0x0001, 2, hex("00 00")), DecodeError::length_not_multiple_of_4},
        {"length 7", message(0x0001, 7, hex("80 22 00 03 61 62 63")),
         DecodeError::length_not_multiple_of_4},
        {"length larger than the datagram", message(0x0001, 8, hex("80 22 00 00")),
         DecodeError::length_mismatch},
        {"length smaller than the datagram", message(0x0001, 0, hex("80 22 00 00")),
         DecodeError::length_mismatch},
        {"trailing bytes after a 4-byte body", message(0x0001, 4, hex("80 22 00 00 00 00 00 00")),
         DecodeError::length_mismatch},
        {"attribute value runs past the end", message(hex("80 22 00 08 61 62 63 64")),
         DecodeError::attribute_overrun},
        {"attribute length 0xffff", message(hex("80 22 ff ff 61 62 63 64")),
         DecodeError::attribute_overrun},
        {"padding missing after a 3-byte value", message(hex("80 22 00 05 61 62 63 64")),
         DecodeError::attribute_overrun},
        {"second attribute truncated", message(with(hex("80 22 00 00"), hex("00 06 00 04"))),
         DecodeError::attribute_overrun},
        {"33 attributes", message(many), DecodeError::too_many_attributes},
        {"XOR-MAPPED-ADDRESS of 4 bytes (pion/stun #278)", message(hex("00 20 00 04 00 01 a1 47")),
         DecodeError::bad_attribute_length},
        {"XOR-MAPPED-ADDRESS IPv4 family with 20 bytes",
         message(with(hex("00 20 00 14 00 01 a1 47"), Bytes(16, 0))),
         DecodeError::bad_attribute_length},
        {"XOR-MAPPED-ADDRESS IPv6 family with 8 bytes",
         message(hex("00 20 00 08 00 02 a1 47 e1 12 a6 43")), DecodeError::bad_attribute_length},
        {"XOR-MAPPED-ADDRESS family 3", message(hex("00 20 00 08 00 03 a1 47 e1 12 a6 43")),
         DecodeError::bad_address_family},
        {"MAPPED-ADDRESS family 0", message(hex("00 01 00 08 00 00 a1 47 e1 12 a6 43")),
         DecodeError::bad_address_family},
        {"ALTERNATE-SERVER of 12 bytes", message(with(hex("80 23 00 0c 00 01 00 01"), Bytes(8, 0))),
         DecodeError::bad_attribute_length},
        {"PRIORITY of 2 bytes", message(hex("00 24 00 02 00 01 00 00")),
         DecodeError::bad_attribute_length},
        {"USE-CANDIDATE with a value", message(hex("00 25 00 04 00 00 00 01")),
         DecodeError::bad_attribute_length},
        {"ICE-CONTROLLING of 4 bytes", message(hex("80 2a 00 04 00 00 00 01")),
         DecodeError::bad_attribute_length},
        {"FINGERPRINT of 8 bytes", message(hex("80 28 00 08 00 00 00 00 00 00 00 00")),
         DecodeError::bad_attribute_length},
        {"MESSAGE-INTEGRITY of 16 bytes", message(with(hex("00 08 00 10"), Bytes(16, 0))),
         DecodeError::bad_attribute_length},
        {"MESSAGE-INTEGRITY-SHA256 of 12 bytes", message(with(hex("00 1c 00 0c"), Bytes(12, 0))),
         DecodeError::bad_attribute_length},
        {"MESSAGE-INTEGRITY-SHA256 of 18 bytes", message(with(hex("00 1c 00 12"), Bytes(20, 0))),
         DecodeError::bad_attribute_length},
        {"USERHASH of 20 bytes", message(with(hex("00 1e 00 14"), Bytes(20, 0))),
         DecodeError::bad_attribute_length},
        {"USERNAME of 516 bytes", message(with(hex("00 06 02 04"), Bytes(516, 'u'))),
         DecodeError::bad_attribute_length},
        {"ERROR-CODE of 2 bytes", message(hex("00 09 00 02 00 00 00 00")),
         DecodeError::bad_attribute_length},
        {"ERROR-CODE class 2", message(hex("00 09 00 04 00 00 02 00")),
         DecodeError::bad_error_code},
        {"ERROR-CODE class 7", message(hex("00 09 00 04 00 00 07 00")),
         DecodeError::bad_error_code},
        {"ERROR-CODE number 100", message(hex("00 09 00 04 00 00 04 64")),
         DecodeError::bad_error_code},
        {"UNKNOWN-ATTRIBUTES of odd length", message(hex("00 0a 00 03 00 01 00 00")),
         DecodeError::bad_attribute_length},
        {"PASSWORD-ALGORITHMS entry overruns", message(hex("80 02 00 08 00 01 00 00 00 02 00 04")),
         DecodeError::bad_attribute_length},
        {"PASSWORD-ALGORITHM of 2 bytes", message(hex("00 1d 00 02 00 01 00 00")),
         DecodeError::bad_attribute_length},
        {"SOFTWARE after MESSAGE-INTEGRITY", message(with(mi, hex("80 22 00 00"))),
         DecodeError::attribute_after_integrity},
        {"MESSAGE-INTEGRITY twice", message(with(mi, mi)), DecodeError::attribute_after_integrity},
        {"MESSAGE-INTEGRITY after MESSAGE-INTEGRITY-SHA256", message(with(mi256, mi)),
         DecodeError::attribute_after_integrity},
        {"USERNAME after MESSAGE-INTEGRITY-SHA256", message(with(mi256, hex("00 06 00 00"))),
         DecodeError::attribute_after_integrity},
        {"XOR-MAPPED-ADDRESS after FINGERPRINT", message(with(fp, good_xor_v4)),
         DecodeError::attribute_after_fingerprint},
        {"FINGERPRINT twice", message(with(fp, fp)), DecodeError::attribute_after_fingerprint},
        {"MESSAGE-INTEGRITY after FINGERPRINT", message(with(fp, mi)),
         DecodeError::attribute_after_fingerprint},
    };
    CHECK(table.size() >= 30);
    for (const auto& row : table) {
        CAPTURE(row.what);
        auto m = Message::decode(row.bytes);
        REQUIRE_FALSE(m.ok());
        CHECK(to_string(m.error()) == to_string(row.reason));
    }
}

TEST_CASE("orders the RFC allows decode: MI, MI-SHA256, FINGERPRINT; unknown optional ones") {
    auto with = [](Bytes a, const Bytes& b) {
        for (std::uint8_t x : b)
            a.push_back(x);  // (GCC 12 -O3 misreads insert/resize here)
        return a;
    };
    const Bytes mi = with(hex("00 08 00 14"), Bytes(20, 0));
    const Bytes mi256 = with(hex("00 1c 00 10"), Bytes(16, 0));
    const Bytes fp = hex("80 28 00 04 00 00 00 00");
    CHECK(Message::decode(message(with(with(mi, mi256), fp))));
    CHECK(Message::decode(message(with(mi256, fp))));
    CHECK(Message::decode(message(hex("ff ff 00 00"))));
    // An unknown attribute may have any length.
    const Bytes bytes = message(hex("7f 00 00 03 01 02 03 00"));  // the Message views these
    auto m = Message::decode(bytes);
    REQUIRE(m);
    std::array<std::uint16_t, 1> out{};
    CHECK(m->unknown_comprehension_required(out) == 1);
    CHECK(out[0] == 0x7f00);
    CHECK(to_hex(*m->value(0x7f00)) == "010203");
}
