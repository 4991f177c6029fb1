// Nothing that send() accepted is lost to a close, buffered_amount means "not yet transmitted",
// and what a peer's channels may hold is bounded.
#include <doctest/doctest.h>

#include <string>

#include "common/random.hpp"
#include "pair.hpp"

using namespace floe;
using namespace floe::sctp;
using namespace floe::sctp::test;

namespace {

// Drops each packet, both ways, with the given probability (seeded: the same run every time).
void lose(Pair& p, double probability, std::uint64_t seed) {
    auto random = std::make_shared<SeededRandom>(seed);
    p.drop_if = [random, probability](bool, ByteSpan) {
        return static_cast<double>(random->next_u32()) / 4294967296.0 < probability;
    };
}

// Both sides without a message size limit (a=max-message-size:0), for 1 MiB messages.
Config unlimited(Config c) {
    c.remote_max_message_size = 0;
    c.local_max_message_size = 0;
    return c;
}
Config unlimited_client() {
    return unlimited(client_config());
}
Config unlimited_server() {
    return unlimited(server_config());
}

Bytes pattern(std::size_t size, std::uint8_t seed) {
    Bytes b(size);
    for (std::size_t i = 0; i < size; ++i)
        b[i] = static_cast<std::uint8_t>(seed + i * 31);
    return b;
}

}  // namespace

TEST_CASE("buffered_amount counts what usrsctp holds until it is put into a packet") {
    Pair p(unlimited_client(), unlimited_server());
    const std::uint16_t id = open_from_a(p);
    p.a->set_buffered_amount_low_threshold(id, 512 * 1024);
    // usrsctp takes the whole MiB into its send buffer at once, but its congestion window lets
    // only a few packets out before the first SACK: the rest has not left.
    REQUIRE(p.a->send(id, true, pattern(1024 * 1024, 1)).ok());
    CHECK(p.a->buffered_amount(id) > 900 * 1024);
    CHECK(events_of<event::BufferedAmountLow>(p.ea).empty());
    REQUIRE(p.run_until([&] { return p.a->buffered_amount(id) == 0; }));
    // Every byte left once it reached 0, and the threshold was crossed once.
    REQUIRE(p.run_until([&] { return events_of<event::Message>(p.eb).size() == 1; }));
    CHECK(events_of<event::Message>(p.eb)[0].data == pattern(1024 * 1024, 1));
    CHECK(events_of<event::BufferedAmountLow>(p.ea).size() == 1);
}

TEST_CASE("empty messages and DCEP never count in buffered_amount") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    REQUIRE(p.a->send(id, false, {}).ok());
    CHECK(p.a->buffered_amount(id) == 0);
    REQUIRE(p.a->send(id, false, as_bytes("abc")).ok());
    p.pump();
    CHECK(p.a->buffered_amount(id) == 0);
}

TEST_CASE("closing a channel right after a large send delivers the message, then the close") {
    Pair p(unlimited_client(), unlimited_server());
    lose(p, 0.05, 7);
    const std::uint16_t id = open_from_a(p);
    for (int i = 0; i < 10; ++i)
        REQUIRE(p.a->send(id, false, as_bytes("text " + std::to_string(i))).ok());
    REQUIRE(p.a->send(id, true, pattern(1024 * 1024, 2)).ok());
    p.a->close_channel(id);
    REQUIRE(p.run_until([&] { return !events_of<event::ChannelClosed>(p.eb).empty(); }, 60s));
    // On the receiving side every message came before the close.
    std::size_t messages = 0;
    bool closed = false;
    for (const Event& e : p.eb) {
        if (auto* m = std::get_if<event::Message>(&e)) {
            CHECK_FALSE(closed);
            if (messages < 10) CHECK(text_of(*m) == "text " + std::to_string(messages));
            if (messages == 10) CHECK(m->data == pattern(1024 * 1024, 2));
            ++messages;
        }
        if (std::holds_alternative<event::ChannelClosed>(e)) closed = true;
    }
    CHECK(messages == 11);
    REQUIRE(p.run_until([&] { return !events_of<event::ChannelClosed>(p.ea).empty(); }, 60s));
}

TEST_CASE("shutdown sends everything queued, then ends both sides gracefully, under 5 % loss") {
    Config ca = unlimited_client();
    ca.send_buffer_size = 64 * 1024;  // most of the MiB waits in floe's own queue
    Pair p(ca, unlimited_server());
    lose(p, 0.05, 11);
    const std::uint16_t id = open_from_a(p);
    for (int i = 0; i < 10; ++i)
        REQUIRE(p.a->send(id, false, as_bytes("text " + std::to_string(i))).ok());
    REQUIRE(p.a->send(id, true, pattern(1024 * 1024, 3)).ok());
    p.a->shutdown();
    CHECK(p.a->shutting_down());
    CHECK(p.a->send(id, false, as_bytes("late")).error() == SctpError::not_established);
    REQUIRE(p.run_until([&] { return !events_of<event::AssociationClosed>(p.ea).empty(); }, 120s));
    CHECK(events_of<event::AssociationClosed>(p.ea)[0].reason == "shutdown complete");
    CHECK(events_of<event::AssociationFailed>(p.ea).empty());
    const auto got = events_of<event::Message>(p.eb);
    REQUIRE(got.size() == 11);
    for (int i = 0; i < 10; ++i)
        CHECK(text_of(got[static_cast<std::size_t>(i)]) == "text " + std::to_string(i));
    CHECK(got[10].data == pattern(1024 * 1024, 3));
    auto closed = events_of<event::AssociationClosed>(p.eb);
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].reason == "peer shut down");
    CHECK(events_of<event::AssociationFailed>(p.eb).empty());
}

TEST_CASE("a DCEP OPEN on a stream id of our own parity is refused and its stream reset") {
    Pair p;  // a is the DTLS client: even ids are a's to open
    ChannelOptions negotiated;
    negotiated.negotiated_id = 2;
    REQUIRE(p.b->open_channel("forger", "", negotiated).ok());
    REQUIRE(p.establish());
    auto open = encode_dcep(DataChannelOpen{{}, 0, "wrong parity", ""});
    REQUIRE(open.ok());
    REQUIRE(p.b->send_with_ppid(2, 50, *open).ok());
    REQUIRE(p.b->send(2, false, as_bytes("into the void")).ok());
    p.pump();
    CHECK(events_of<event::ChannelRequested>(p.ea).empty());
    CHECK(events_of<event::ChannelOpened>(p.ea).empty());
    CHECK(p.a->stats().refused_channels == 1);
    // What the peer sends on it is dropped, and its channel is closed by the reset.
    REQUIRE(p.run_until([&] { return !events_of<event::ChannelClosed>(p.eb).empty(); }));
    CHECK(events_of<event::Message>(p.ea).empty());
    CHECK(events_of<event::ChannelClosed>(p.ea).empty());  // never reported, never closed
    CHECK(p.a->channel(2) == nullptr);
    // The id is free for a's own channels afterwards.
    auto mine = p.a->open_channel("mine", "");
    REQUIRE(mine.ok());
    CHECK(*mine == 0);
}

TEST_CASE("the labels and protocols a peer's channels hold are bounded; closing frees the budget") {
    Config ca = client_config();
    ca.max_remote_channel_text = 1000;
    Pair p(ca);
    REQUIRE(p.establish());
    const std::string label(300, 'l');
    const std::string protocol(100, 'p');
    auto first = p.b->open_channel(label, protocol);
    auto second = p.b->open_channel(label, protocol);
    auto third = p.b->open_channel(label, protocol);  // 1,200 bytes: over the budget
    REQUIRE((first.ok() && second.ok() && third.ok()));
    p.pump();
    CHECK(events_of<event::ChannelRequested>(p.ea).size() == 2);
    CHECK(p.a->stats().refused_channels == 1);
    REQUIRE(p.run_until([&] { return events_of<event::ChannelClosed>(p.eb).size() == 1; }));
    CHECK(events_of<event::ChannelClosed>(p.eb)[0].id == *third);
    p.b->close_channel(*first);
    REQUIRE(p.run_until([&] { return events_of<event::ChannelClosed>(p.ea).size() == 1; }));
    auto fourth = p.b->open_channel(label, protocol);
    REQUIRE(fourth.ok());
    p.pump();
    CHECK(events_of<event::ChannelRequested>(p.ea).size() == 3);
    CHECK(p.a->stats().refused_channels == 1);
}

TEST_CASE("a peer opening and closing channels in a loop leaves no channel behind") {
    Pair p;
    REQUIRE(p.establish());
    for (int i = 0; i < 200; ++i) {
        auto id = p.b->open_channel(std::string(1000, 'x'), std::string(1000, 'y'));
        REQUIRE(id.ok());
        p.pump();
        p.b->close_channel(*id);
        REQUIRE(
            p.run_until([&] { return p.a->channel_count() == 0 && p.b->channel_count() == 0; }));
    }
    CHECK(events_of<event::ChannelRequested>(p.ea).size() == 200);
    CHECK(events_of<event::ChannelClosed>(p.ea).size() == 200);
    CHECK(p.a->stats().refused_channels == 0);
}
