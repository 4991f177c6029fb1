#include <doctest/doctest.h>

#include <floe/bytes.hpp>

#include "sctp/dcep.hpp"

using namespace floe;
using namespace floe::sctp;

TEST_CASE("DATA_CHANNEL_OPEN encodes to the RFC 8832 §5.1 layout") {
    DataChannelOpen open;
    open.reliability.ordered = false;
    open.reliability.max_retransmits = 3;
    open.priority = 256;
    open.label = "chat";
    open.protocol = "p";
    auto bytes = encode_dcep(open);
    REQUIRE(bytes.ok());
    // type 03, channel type 81 (unordered, rexmit), priority 0100, parameter 3,
    // label length 4, protocol length 1, "chat", "p"
    CHECK(to_hex(*bytes) ==
          "03810100000000030004000163686174"
          "70");
}

TEST_CASE("every channel type survives encode and parse") {
    std::vector<Reliability> kinds(6);
    kinds[1].ordered = false;
    kinds[2].max_retransmits = 0;
    kinds[3].ordered = false;
    kinds[3].max_retransmits = 70000;
    kinds[4].max_packet_life_time = 150;
    kinds[5].ordered = false;
    kinds[5].max_packet_life_time = 1;
    for (const Reliability& r : kinds) {
        DataChannelOpen open{r, 512, "label \xe2\x9c\x93", std::string(300, 'p')};
        auto bytes = encode_dcep(open);
        REQUIRE(bytes.ok());
        auto parsed = parse_dcep(*bytes);
        REQUIRE(parsed.ok());
        REQUIRE(std::holds_alternative<DataChannelOpen>(*parsed));
        CHECK(std::get<DataChannelOpen>(*parsed) == open);
    }
}

TEST_CASE("DATA_CHANNEL_ACK is one byte and parses back") {
    const Bytes ack = encode_dcep_ack();
    CHECK(to_hex(ack) == "02");
    auto parsed = parse_dcep(ack);
    REQUIRE(parsed.ok());
    CHECK(std::holds_alternative<DataChannelAck>(*parsed));
}

TEST_CASE("malformed DCEP messages are rejected with a reason") {
    auto error_of = [](std::string_view hex) {
        auto bytes = from_hex(hex);
        REQUIRE(bytes);
        auto parsed = parse_dcep(*bytes);
        REQUIRE_FALSE(parsed.ok());
        return parsed.error();
    };
    CHECK(parse_dcep({}).error() == DcepError::empty);
    CHECK(error_of("04") == DcepError::unknown_message_type);
    CHECK(error_of("0203") == DcepError::trailing_bytes);
    CHECK(error_of("03000000") == DcepError::truncated);
    CHECK(error_of("030000000000000000010000") == DcepError::truncated);  // label missing
    CHECK(error_of("03000000000000000000000261") == DcepError::truncated);
    // The label is present but the protocol is not; reading must not run past either.
    CHECK(error_of("0300000000000000000200036162") == DcepError::truncated);
    CHECK(error_of("030300000000000000000000") == DcepError::unknown_channel_type);
    CHECK(error_of("03000000000000000000000000") == DcepError::trailing_bytes);
}

TEST_CASE("encoding refuses what DCEP cannot express") {
    DataChannelOpen both;
    both.reliability.max_retransmits = 1;
    both.reliability.max_packet_life_time = 1;
    CHECK(encode_dcep(both).error() == DcepError::conflicting_reliability);
    DataChannelOpen long_label;
    long_label.label.assign(65536, 'x');
    CHECK(encode_dcep(long_label).error() == DcepError::too_long);
    long_label.label.pop_back();
    CHECK(encode_dcep(long_label).ok());
}
