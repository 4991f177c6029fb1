#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "pair.hpp"
#include "sctp/usrsctp.hpp"

using namespace floe;
using namespace floe::sctp;
using namespace floe::sctp::test;

TEST_CASE("two associations establish and exchange text both ways over a DCEP channel") {
    Pair p;
    REQUIRE(p.establish());
    auto id = p.a->open_channel("chat", "proto");
    REQUIRE(id.ok());
    CHECK(*id % 2 == 0);  // the DTLS client opens even ids
    p.pump();
    auto requested = events_of<event::ChannelRequested>(p.eb);
    REQUIRE(requested.size() == 1);
    CHECK(requested[0].id == *id);
    CHECK(requested[0].label == "chat");
    CHECK(requested[0].protocol == "proto");
    CHECK(events_of<event::ChannelOpened>(p.ea).size() == 1);
    CHECK(events_of<event::ChannelOpened>(p.eb).size() == 1);

    REQUIRE(p.a->send(*id, false, as_bytes("hello")).ok());
    p.pump();
    auto got = events_of<event::Message>(p.eb);
    REQUIRE(got.size() == 1);
    CHECK(got[0].id == *id);
    CHECK_FALSE(got[0].binary);
    CHECK(text_of(got[0]) == "hello");

    REQUIRE(p.b->send(*id, true, as_bytes("world")).ok());
    p.pump();
    auto back = events_of<event::Message>(p.ea);
    REQUIRE(back.size() == 1);
    CHECK(back[0].binary);
    CHECK(text_of(back[0]) == "world");
    CHECK(p.a->stats().malformed_dcep == 0);
    CHECK(p.b->stats().malformed_dcep == 0);
}
