// ChannelData (RFC 8656 §12.4) and the TCP/TLS stream framing of STUN and ChannelData (§12.5).
#include <doctest/doctest.h>

#include <floe/stun/builder.hpp>

#include "turn/channel_data.hpp"
#include "turn/stream_framer.hpp"

using namespace floe;
using namespace floe::turn;

namespace {

Bytes stun_message(std::size_t data_size) {
    Bytes out;
    stun::MessageBuilder b(out, {stun::method::data, stun::MessageClass::indication},
                           stun::TransactionId{1, 2, 3});
    b.add_xor_peer_address(*SocketAddress::parse("192.0.2.4:5")).add_data(Bytes(data_size, 7));
    REQUIRE(b.finish());
    return out;
}

Bytes channel_data(std::uint16_t channel, std::size_t size, bool pad) {
    Bytes out;
    encode_channel_data(out, channel, Bytes(size, 0x5A), pad);
    return out;
}

}  // namespace

TEST_CASE("ChannelData round-trips with a 4-byte header") {
    const Bytes payload = {1, 2, 3, 4, 5};
    Bytes wire;
    encode_channel_data(wire, 0x4001, payload, false);
    CHECK(wire == Bytes{0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5});
    CHECK(looks_like_channel_data(wire));
    auto cd = decode_channel_data(wire);
    REQUIRE(cd);
    CHECK(cd->channel == 0x4001);
    CHECK(Bytes(cd->data.begin(), cd->data.end()) == payload);
}

TEST_CASE("ChannelData on a stream is padded to 4 bytes, and padding after the data is ignored") {
    Bytes wire;
    encode_channel_data(wire, 0x4FFF, Bytes{9}, true);
    CHECK(wire == Bytes{0x4F, 0xFF, 0x00, 0x01, 9, 0, 0, 0});
    auto cd = decode_channel_data(wire);
    REQUIRE(cd);
    CHECK(cd->data.size() == 1);
    CHECK(channel_data_size(0, true) == 4);
    CHECK(channel_data_size(4, true) == 8);
}

TEST_CASE("malformed ChannelData is refused with its reason") {
    CHECK(decode_channel_data(Bytes{0x40, 0x00, 0x00}).error() == ChannelDataError::too_short);
    CHECK(decode_channel_data(Bytes{0x50, 0x00, 0x00, 0x00}).error() ==
          ChannelDataError::bad_channel);
    CHECK(decode_channel_data(Bytes{0x3F, 0xFF, 0x00, 0x00}).error() ==
          ChannelDataError::bad_channel);
    CHECK(decode_channel_data(Bytes{0x40, 0x00, 0x00, 0x02, 1}).error() ==
          ChannelDataError::length_overrun);
}

TEST_CASE("the stream framer splits merged messages and joins split ones") {
    const Bytes a = stun_message(10);
    const Bytes b = channel_data(0x4000, 5, true);
    const Bytes c = stun_message(0);
    Bytes stream;
    for (const Bytes* m : {&a, &b, &c})
        stream.insert(stream.end(), m->begin(), m->end());

    SUBCASE("all at once") {
        StreamFramer f;
        REQUIRE(f.push(stream));
        auto m1 = f.next();
        REQUIRE(m1);
        CHECK(Bytes(m1->begin(), m1->end()) == a);
        auto m2 = f.next();
        REQUIRE(m2);
        CHECK(m2->size() == 9);  // ChannelData without its padding
        CHECK(decode_channel_data(*m2)->data.size() == 5);
        auto m3 = f.next();
        REQUIRE(m3);
        CHECK(Bytes(m3->begin(), m3->end()) == c);
        CHECK_FALSE(f.next());
        CHECK(f.buffered() == 0);
    }
    SUBCASE("one byte at a time") {
        StreamFramer f;
        std::vector<Bytes> out;
        for (std::uint8_t byte : stream) {
            REQUIRE(f.push(ByteSpan(&byte, 1)));
            while (auto m = f.next())
                out.emplace_back(m->begin(), m->end());
        }
        REQUIRE(out.size() == 3);
        CHECK(out[0] == a);
        CHECK(out[1] == Bytes(b.begin(), b.begin() + 9));
        CHECK(out[2] == c);
    }
}

TEST_CASE("the stream framer stops on bytes that are neither STUN nor ChannelData") {
    StreamFramer f;
    REQUIRE(f.push(Bytes{0x80, 0, 0, 0}));
    CHECK_FALSE(f.next());
    CHECK(f.error() == FramingError::not_turn);
    CHECK_FALSE(f.push(stun_message(0)));  // broken for good: the caller closes the stream
}

TEST_CASE("the stream framer refuses a STUN length that is not a multiple of 4") {
    StreamFramer f;
    Bytes m = stun_message(0);
    m[3] = 2;
    REQUIRE(f.push(m));
    CHECK_FALSE(f.next());
    CHECK(f.error() == FramingError::bad_length);
}

TEST_CASE("the stream framer refuses oversized messages from their length field alone") {
    StreamFramer f(1024);
    REQUIRE(f.push(Bytes{0x40, 0x00, 0x04, 0x00}));  // ChannelData of 1024 bytes: 1028 > 1024
    CHECK_FALSE(f.next());
    CHECK(f.error() == FramingError::too_large);

    StreamFramer g(1024);
    REQUIRE(g.push(Bytes{0x00, 0x17, 0xFF, 0xFC, 0x21, 0x12, 0xA4, 0x42}));
    CHECK_FALSE(g.next());
    CHECK(g.error() == FramingError::too_large);
}

TEST_CASE("the stream framer bounds what it buffers") {
    StreamFramer f(1024);
    const Bytes m = channel_data(0x4000, 100, true);
    std::size_t pushed = 0;
    while (f.push(m))
        pushed += m.size();
    CHECK(f.error() == FramingError::buffer_full);
    CHECK(pushed <= 2048);
}
