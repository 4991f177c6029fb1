// The TURN attributes of RFC 8656 §18 through the STUN codec: written, read back, and refused
// when their lengths are wrong.
#include <doctest/doctest.h>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

using namespace floe;
using namespace floe::stun;

TEST_CASE("TURN attributes round-trip through the builder and the decoder") {
    const TransactionId id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const auto relayed = *SocketAddress::parse("192.0.2.15:50000");
    const auto peer = *SocketAddress::parse("[2001:db8::5]:9000");
    const Bytes payload = {1, 2, 3, 4, 5};
    Bytes out;
    MessageBuilder b(out, {method::channel_bind, MessageClass::request}, id);
    b.add_channel_number(0x4001)
        .add_lifetime(600)
        .add_xor_peer_address(peer)
        .add_data(payload)
        .add_xor_relayed_address(relayed)
        .add_requested_transport(transport_udp);
    REQUIRE(b.finish());
    auto m = Message::decode(out);
    REQUIRE(m);
    CHECK(m->channel_number() == 0x4001);
    CHECK(m->lifetime() == 600u);
    CHECK(m->xor_peer_address() == peer);
    CHECK(Bytes(m->data()->begin(), m->data()->end()) == payload);
    CHECK(m->xor_relayed_address() == relayed);
    CHECK(m->requested_transport() == transport_udp);
    CHECK(describe(m->type()) == "ChannelBind request");
    CHECK(attribute_name(attr::xor_relayed_address) == "XOR-RELAYED-ADDRESS");
    // Known now: a client does not answer them with 420.
    std::array<std::uint16_t, 4> unknown{};
    CHECK(m->unknown_comprehension_required(unknown) == 0);
    // XOR-PEER-ADDRESS is XORed with the cookie (and the transaction id for IPv6).
    CHECK(m->value(attr::xor_peer_address)->data()[2] == ((9000 >> 8) ^ 0x21));
}

TEST_CASE("TURN attributes with a wrong length are refused") {
    for (std::uint16_t type : {attr::lifetime, attr::channel_number, attr::requested_transport}) {
        CAPTURE(type);
        Bytes out;
        MessageBuilder b(out, {method::refresh, MessageClass::request}, TransactionId{});
        b.add(type, Bytes{0, 0});
        REQUIRE(b.finish());
        CHECK(Message::decode(out).error() == DecodeError::bad_attribute_length);
    }
    Bytes out;
    MessageBuilder b(out, {method::refresh, MessageClass::request}, TransactionId{});
    b.add(attr::xor_relayed_address, Bytes{0, 3, 0, 0, 1, 2, 3, 4});
    REQUIRE(b.finish());
    CHECK(Message::decode(out).error() == DecodeError::bad_address_family);
}
