// DTLS record headers read for --trace (RFC 6347 §4.1), bounds-checked.
#include <doctest/doctest.h>

#include <floe/bytes.hpp>

#include "dtls/record_trace.hpp"

using namespace floe;

TEST_CASE("describe_records names each record of a datagram with its epoch and length") {
    const Bytes datagram = {
        22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 1, 2, 3,  // handshake, epoch 0, 3 B
        20, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 1,        // change_cipher_spec, 1 B
        23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 7,        // application_data, cut short
    };
    CHECK(dtls::describe_records(datagram) ==
          "DTLS handshake(epoch 0, 3 B) change_cipher_spec(epoch 0, 1 B) "
          "application_data(epoch 1, 9 B)");
}

TEST_CASE("a header cut short ends the description without reading past the datagram") {
    const Bytes datagram = {21, 0xfe, 0xfd, 0, 0,  0,  0,    0,    0, 0,
                            1,  0,    2,    2, 40, 99, 0xfe, 0xfd, 0, 0};
    CHECK(dtls::describe_records(datagram) == "DTLS alert(epoch 0, 2 B)");
    CHECK(dtls::describe_records(ByteSpan(datagram.data(), 12)) == "DTLS");
    int seen = 0;
    dtls::for_each_record(datagram, [&](const dtls::RecordHeader& h) {
        ++seen;
        CHECK(h.sequence == 1);
        CHECK(h.version == 0xfefd);
    });
    CHECK(seen == 1);
}
