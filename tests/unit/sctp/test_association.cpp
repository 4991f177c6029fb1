#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "common/random.hpp"
#include "pair.hpp"
#include "sctp/tuning.hpp"
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

TEST_CASE("with usrsctp's small lookup tables, 40 associations at once each get their own data") {
    // usrsctp is initialised with 64 instead of 1,024 for sctp_hashtblsize and 4 instead of 256
    // for sctp_pcbtblsize (usrsctp_global.cpp): more associations share a bucket, and each must
    // still find its own packets.
    std::vector<std::unique_ptr<Pair>> pairs;
    for (int i = 0; i < 40; ++i) {
        pairs.push_back(std::make_unique<Pair>());
        REQUIRE(pairs.back()->establish());
    }
    CHECK(usrsctp_sysctl_get_sctp_hashtblsize() == 64);
    CHECK(usrsctp_sysctl_get_sctp_pcbtblsize() == 4);
    std::vector<std::uint16_t> ids;
    for (auto& p : pairs) {
        auto id = p->a->open_channel("x", "");
        REQUIRE(id.ok());
        ids.push_back(*id);
    }
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        pairs[i]->pump();
        REQUIRE(pairs[i]->b->send(ids[i], false, as_bytes("pair " + std::to_string(i))).ok());
    }
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        CAPTURE(i);
        pairs[i]->pump();
        const auto got = events_of<event::Message>(pairs[i]->ea);
        REQUIRE(got.size() == 1);
        CHECK(text_of(got[0]) == "pair " + std::to_string(i));
    }
}

TEST_CASE("the DTLS server opens odd stream ids and the client sees them requested") {
    Pair p;
    REQUIRE(p.establish());
    auto first = p.b->open_channel("one", "");
    auto second = p.b->open_channel("two", "");
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(*first == 1);
    CHECK(*second == 3);
    p.pump();
    auto requested = events_of<event::ChannelRequested>(p.ea);
    REQUIRE(requested.size() == 2);
    CHECK(requested[0].id == 1);
    CHECK(requested[1].label == "two");
    // The client's own ids do not collide with the server's.
    auto mine = p.a->open_channel("mine", "");
    REQUIRE(mine.ok());
    CHECK(*mine == 0);
}

TEST_CASE("channels opened before the association is up open when it comes up") {
    Pair p;
    auto id = p.a->open_channel("early", "");
    REQUIRE(id.ok());
    CHECK(p.a->channel(*id)->state == ChannelState::connecting);
    CHECK(p.a->send(*id, false, as_bytes("too soon")).error() == SctpError::not_established);
    p.a->set_buffered_amount_low_threshold(*id, 1234);
    REQUIRE(p.establish());
    CHECK(p.a->channel(*id)->state == ChannelState::open);
    CHECK(p.a->channel(*id)->low_threshold == 1234);  // settings made before open are kept
    auto requested = events_of<event::ChannelRequested>(p.eb);
    REQUIRE(requested.size() == 1);
    CHECK(requested[0].label == "early");
}

TEST_CASE("messages sent right after DATA_CHANNEL_OPEN arrive after the open event, in order") {
    Pair p;
    REQUIRE(p.establish());
    ChannelOptions unordered;
    unordered.reliability.ordered = false;
    auto id = p.a->open_channel("eager", "", unordered);
    REQUIRE(id.ok());
    // No pump in between: the ACK has not arrived, so these must go ordered (RFC 8832 §6).
    for (int i = 0; i < 5; ++i)
        REQUIRE(p.a->send(*id, false, as_bytes("m" + std::to_string(i))).ok());
    p.pump();
    REQUIRE(p.eb.size() >= 7);
    std::size_t first = 0;
    while (!std::holds_alternative<event::ChannelRequested>(p.eb[first]))
        ++first;
    CHECK(std::holds_alternative<event::ChannelOpened>(p.eb[first + 1]));
    for (int i = 0; i < 5; ++i) {
        auto* m = std::get_if<event::Message>(&p.eb[first + 2 + i]);
        REQUIRE(m);
        CHECK(text_of(*m) == "m" + std::to_string(i));
    }
}

TEST_CASE("negotiated channels skip DCEP and use the application's id on both sides") {
    Pair p;
    ChannelOptions options;
    options.negotiated_id = 7;  // odd, though we are the client: negotiated ids are free
    REQUIRE(p.a->open_channel("neg", "", options).ok());
    REQUIRE(p.b->open_channel("neg", "", options).ok());
    REQUIRE(p.establish());
    CHECK(events_of<event::ChannelOpened>(p.ea).size() == 1);
    CHECK(events_of<event::ChannelOpened>(p.eb).size() == 1);
    CHECK(events_of<event::ChannelRequested>(p.eb).empty());
    REQUIRE(p.a->send(7, false, as_bytes("x")).ok());
    REQUIRE(p.b->send(7, false, as_bytes("y")).ok());
    p.pump();
    CHECK(text_of(events_of<event::Message>(p.eb).at(0)) == "x");
    CHECK(text_of(events_of<event::Message>(p.ea).at(0)) == "y");
    for (const auto& c : p.chunks_ab)
        CHECK(c.ppid != 50);  // no DCEP on the wire
    // The id is taken now; a second negotiated channel on it is refused.
    CHECK(p.a->open_channel("again", "", options).error() == SctpError::id_in_use);
    options.negotiated_id = 1024;
    CHECK(p.a->open_channel("far", "", options).error() == SctpError::id_out_of_range);
}

TEST_CASE("100 channels on one association open, carry a message each and close together") {
    Pair p;
    REQUIRE(p.establish());
    std::vector<std::uint16_t> ids;
    for (int i = 0; i < 100; ++i) {
        auto id = p.a->open_channel("c" + std::to_string(i), "");
        REQUIRE(id.ok());
        ids.push_back(*id);
    }
    CHECK(ids.back() == 198);
    p.pump();
    CHECK(events_of<event::ChannelRequested>(p.eb).size() == 100);
    for (std::uint16_t id : ids)
        REQUIRE(p.a->send(id, false, as_bytes(std::to_string(id))).ok());
    p.pump();
    auto got = events_of<event::Message>(p.eb);
    REQUIRE(got.size() == 100);
    for (const auto& m : got)
        CHECK(text_of(m) == std::to_string(m.id));
    for (std::uint16_t id : ids)
        p.a->close_channel(id);
    REQUIRE(p.run_until([&] {
        return events_of<event::ChannelClosed>(p.ea).size() == 100 &&
               events_of<event::ChannelClosed>(p.eb).size() == 100;
    }));
    CHECK(p.a->channel_count() == 0);
    CHECK(p.b->channel_count() == 0);
}

TEST_CASE("empty, small, 16 KiB, 64 KiB and max-size messages arrive whole with the right PPIDs") {
    Config ca = client_config(), cb = server_config();
    ca.remote_max_message_size = cb.local_max_message_size = 262144;
    cb.remote_max_message_size = ca.local_max_message_size = 262144;
    Pair p(ca, cb);
    REQUIRE(p.establish());
    auto id = p.a->open_channel("sizes", "");
    REQUIRE(id.ok());
    p.pump();
    p.chunks_ab.clear();

    REQUIRE(p.a->send(*id, false, {}).ok());
    p.pump();
    REQUIRE(p.a->send(*id, true, {}).ok());
    p.pump();
    REQUIRE(p.chunks_ab.size() == 2);
    CHECK(p.chunks_ab[0].ppid == 56);
    CHECK(p.chunks_ab[0].payload_size == 1);
    CHECK(p.chunks_ab[1].ppid == 57);
    CHECK(p.chunks_ab[1].payload_size == 1);
    p.chunks_ab.clear();

    for (std::size_t size :
         {std::size_t{1}, std::size_t{16384}, std::size_t{65536}, std::size_t{262144}}) {
        Bytes data(size);
        for (std::size_t i = 0; i < size; ++i)
            data[i] = static_cast<std::uint8_t>(i * 31 + size);
        REQUIRE(p.a->send(*id, true, data).ok());
        REQUIRE(p.a->send(*id, false, data).ok());
    }
    REQUIRE(p.run_until([&] { return events_of<event::Message>(p.eb).size() == 10; }));
    auto got = events_of<event::Message>(p.eb);
    CHECK(got[0].data.empty());
    CHECK_FALSE(got[0].binary);
    CHECK(got[1].data.empty());
    CHECK(got[1].binary);
    std::size_t k = 2;
    for (std::size_t size :
         {std::size_t{1}, std::size_t{16384}, std::size_t{65536}, std::size_t{262144}}) {
        for (bool binary : {true, false}) {
            const auto& m = got[k++];
            REQUIRE(m.data.size() == size);
            CHECK(m.binary == binary);
            bool same = true;
            for (std::size_t i = 0; i < size; ++i)
                same &= m.data[i] == static_cast<std::uint8_t>(i * 31 + size);
            CHECK(same);
        }
    }
    bool ppids_ok = true;
    for (const auto& c : p.chunks_ab)
        ppids_ok &= c.ppid == 51 || c.ppid == 53;
    CHECK(ppids_ok);
    REQUIRE(p.b->send(*id, true, Bytes(200000, 4)).ok());  // and the other way, with SACKs
    REQUIRE(p.run_until([&] { return events_of<event::Message>(p.ea).size() == 1; }));
    CHECK(p.largest_packet > 1000);
    CHECK(p.largest_packet <= ca.mtu);  // every SCTP packet fits a DTLS record of 1,200 bytes
}

TEST_CASE("a message larger than the peer's max-message-size is refused at send, not truncated") {
    Config ca = client_config(), cb = server_config();
    ca.remote_max_message_size = 65536;
    Pair p(ca, cb);
    REQUIRE(p.establish());
    auto id = p.a->open_channel("big", "");
    REQUIRE(id.ok());
    Bytes too_big(65537, 0x5a);
    auto refused = p.a->send(*id, true, too_big);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error() == SctpError::message_too_large);
    too_big.pop_back();
    CHECK(p.a->send(*id, true, too_big).ok());
    p.pump();
    auto got = events_of<event::Message>(p.eb);
    REQUIRE(got.size() == 1);
    CHECK(got[0].data.size() == 65536);
}

TEST_CASE("an incoming message over our max-message-size is dropped and counted, the rest flows") {
    Config ca = client_config(), cb = server_config();
    ca.remote_max_message_size = 0;  // the peer said nothing useful: no limit on our side
    cb.local_max_message_size = 100000;
    Pair p(ca, cb);
    REQUIRE(p.establish());
    auto id = p.a->open_channel("x", "");
    REQUIRE(id.ok());
    REQUIRE(p.a->send(*id, true, Bytes(150000, 1)).ok());
    REQUIRE(p.a->send(*id, true, Bytes(1000, 2)).ok());
    REQUIRE(p.run_until([&] { return !events_of<event::Message>(p.eb).empty(); }));
    auto got = events_of<event::Message>(p.eb);
    REQUIRE(got.size() == 1);
    CHECK(got[0].data.size() == 1000);
    CHECK(p.b->stats().oversized_messages == 1);
}

TEST_CASE("closing from either side resets both streams and frees the id") {
    for (bool from_a : {true, false}) {
        CAPTURE(from_a);
        Pair p;
        const std::uint16_t id = open_from_a(p);
        Association& closer = from_a ? *p.a : *p.b;
        closer.close_channel(id);
        CHECK(closer.channel(id)->state == ChannelState::closing);
        closer.close_channel(id);  // twice is harmless
        CHECK(closer.send(id, false, as_bytes("late")).error() == SctpError::channel_not_open);
        REQUIRE(p.run_until([&] {
            return events_of<event::ChannelClosed>(p.ea).size() == 1 &&
                   events_of<event::ChannelClosed>(p.eb).size() == 1;
        }));
        CHECK(p.a->channel(id) == nullptr);
        CHECK(p.b->channel(id) == nullptr);
        CHECK(p.a->send(id, false, as_bytes("gone")).error() == SctpError::unknown_channel);
        // The id can be used again, and the new channel works.
        auto again = p.a->open_channel("again", "");
        REQUIRE(again.ok());
        CHECK(*again == id);
        p.pump();
        REQUIRE(p.a->send(*again, false, as_bytes("hi")).ok());
        p.pump();
        auto got = events_of<event::Message>(p.eb);
        REQUIRE(got.size() == 1);
        CHECK(text_of(got[0]) == "hi");
    }
}

TEST_CASE("queued data is delivered before the closing stream reset") {
    Config ca = client_config();
    ca.send_buffer_size = 16 * 1024;
    Pair p(ca);
    REQUIRE(p.establish());
    auto id = p.a->open_channel("drain", "");
    REQUIRE(id.ok());
    p.pump();
    for (int i = 0; i < 8; ++i)
        REQUIRE(p.a->send(*id, true, Bytes(32 * 1024, 7)).ok());
    CHECK(p.a->buffered_amount(*id) > 0);
    p.a->close_channel(*id);
    REQUIRE(p.run_until([&] { return !events_of<event::ChannelClosed>(p.eb).empty(); }));
    CHECK(events_of<event::Message>(p.eb).size() == 8);
}

TEST_CASE("buffered amount grows when usrsctp is full and the low-threshold event fires once") {
    Config ca = client_config();
    ca.send_buffer_size = 16 * 1024;
    Pair p(ca);
    auto id = p.a->open_channel("flow", "");
    REQUIRE(id.ok());
    p.a->set_buffered_amount_low_threshold(*id, 64 * 1024);  // before open: must stick
    REQUIRE(p.establish());
    for (int i = 0; i < 10; ++i)
        REQUIRE(p.a->send(*id, true, Bytes(64 * 1024, 9)).ok());
    const std::size_t queued = p.a->buffered_amount(*id);
    CHECK(queued > 64 * 1024);
    CHECK(queued <= 10 * 64 * 1024);
    CHECK(events_of<event::BufferedAmountLow>(p.ea).empty());
    REQUIRE(p.run_until([&] { return events_of<event::Message>(p.eb).size() == 10; }));
    CHECK(p.a->buffered_amount(*id) == 0);
    auto low = events_of<event::BufferedAmountLow>(p.ea);
    REQUIRE(low.size() == 1);
    CHECK(low[0].id == *id);
}

TEST_CASE("partially reliable channels give up on lost messages; reliable ones do not") {
    // Recovery here is by fast retransmit (gap reports in SACKs): usrsctp's T3 timer only resends
    // chunks whose *real* send time is older than the RTO, which virtual time never reaches.
    for (bool reliable : {false, true}) {
        CAPTURE(reliable);
        ChannelOptions options;
        options.reliability.ordered = false;
        if (!reliable) options.reliability.max_retransmits = 0;
        Pair p;
        const std::uint16_t id = open_from_a(p, options);
        auto requested = events_of<event::ChannelRequested>(p.eb);
        REQUIRE(requested.size() == 1);
        CHECK(requested[0].reliability == options.reliability);
        bool blackout = true;
        p.drop_if = [&](bool a_to_b, ByteSpan packet) {
            return blackout && a_to_b && !data_chunks(packet).empty();
        };
        for (int i = 0; i < 10; ++i)
            REQUIRE(p.a->send(id, true, Bytes(100, 1)).ok());
        p.run_for(200ms);
        blackout = false;
        for (int i = 0; i < 5; ++i) {
            REQUIRE(p.a->send(id, true, Bytes(5, 2)).ok());
            p.pump();
        }
        p.run_for(5s);
        auto got = events_of<event::Message>(p.eb);
        std::size_t lost_ones = 0;
        for (const auto& m : got)
            lost_ones += m.data.size() == 100;
        CHECK(got.size() - lost_ones == 5);  // the later messages always arrive
        if (reliable)
            CHECK(lost_ones == 10);
        else
            CHECK(lost_ones == 0);  // zero retransmissions allowed: abandoned
    }
}

TEST_CASE("unordered channels deliver around a lost packet; ordered ones wait for it") {
    for (bool ordered : {true, false}) {
        CAPTURE(ordered);
        ChannelOptions options;
        options.reliability.ordered = ordered;
        Pair p;
        const std::uint16_t id = open_from_a(p, options);
        bool dropped_one = false;
        p.drop_if = [&](bool a_to_b, ByteSpan packet) {
            if (dropped_one || !a_to_b || data_chunks(packet).empty()) return false;
            return dropped_one = true;
        };
        for (int i = 0; i < 6; ++i)
            REQUIRE(p.a->send(id, false, as_bytes("m" + std::to_string(i))).ok());
        REQUIRE(p.run_until([&] { return events_of<event::Message>(p.eb).size() == 6; }, 30s));
        auto got = events_of<event::Message>(p.eb);
        CHECK(dropped_one);
        if (ordered)
            CHECK(text_of(got[0]) == "m0");
        else
            CHECK(text_of(got[0]) != "m0");  // m0 came late, by retransmission
    }
}

TEST_CASE("close() aborts: the peer's channels close and so does its association") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    REQUIRE(p.a->send(id, true, Bytes(60000, 1)).ok());
    p.a->close();
    p.pump();
    CHECK(events_of<event::ChannelClosed>(p.ea).size() == 1);
    CHECK(events_of<event::AssociationClosed>(p.ea).size() == 1);
    CHECK(events_of<event::ChannelClosed>(p.eb).size() == 1);
    auto closed = events_of<event::AssociationClosed>(p.eb);
    REQUIRE(closed.size() == 1);  // the peer ended it on purpose: not a failure
    CHECK(closed[0].reason == "aborted by the peer");
    CHECK(events_of<event::AssociationFailed>(p.eb).empty());
    CHECK(p.a->send(id, true, as_bytes("x")).error() == SctpError::not_established);
    CHECK(p.a->open_channel("y", "").error() == SctpError::not_established);
}

TEST_CASE("destroying an association mid-transfer is clean, and the peer keeps running") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    for (int i = 0; i < 20; ++i)
        REQUIRE(p.a->send(id, true, Bytes(64 * 1024, 1)).ok());
    p.a->handle_timeout(virtual_now());
    // Part of the transfer is on the way; nothing more is carried once a is gone.
    p.a.reset();
    p.run_for(2s);
    CHECK(p.b->established());
    // The peer's channels survive until its own timers give up; its API stays usable.
    CHECK(p.b->send(id, false, as_bytes("into the void")).ok());
    // Unanswered retransmissions (backing off to 60 s) end it as a failure, not a close.
    REQUIRE(p.run_until([&] { return !events_of<event::AssociationFailed>(p.eb).empty(); },
                        std::chrono::minutes(15)));
    CHECK(events_of<event::AssociationClosed>(p.eb).empty());
    CHECK(events_of<event::ChannelClosed>(p.eb).size() == 1);
    CHECK_FALSE(p.b->established());
}

TEST_CASE("malformed DCEP messages and stray messages are dropped and counted") {
    Pair p;
    ChannelOptions on_a_only;
    on_a_only.negotiated_id = 10;
    REQUIRE(p.a->open_channel("raw", "", on_a_only).ok());
    ChannelOptions both;
    both.negotiated_id = 12;
    REQUIRE(p.a->open_channel("both", "", both).ok());
    REQUIRE(p.b->open_channel("both", "", both).ok());
    REQUIRE(p.establish());

    const std::uint8_t truncated_open[] = {0x03, 0x00, 0x00};
    const std::uint8_t unknown_type[] = {0x09};
    const std::uint8_t bad_channel_type[] = {0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    REQUIRE(p.a->send_with_ppid(10, 50, truncated_open).ok());
    REQUIRE(p.a->send_with_ppid(10, 50, unknown_type).ok());
    REQUIRE(p.a->send_with_ppid(10, 50, bad_channel_type).ok());
    // A well-formed OPEN for an id already in use must not replace the channel.
    auto open = encode_dcep(DataChannelOpen{{}, 0, "hijack", ""});
    REQUIRE(open.ok());
    REQUIRE(p.a->send_with_ppid(12, 50, *open).ok());
    // An ACK nobody waits for.
    REQUIRE(p.a->send_with_ppid(12, 50, encode_dcep_ack()).ok());
    p.pump();
    CHECK(p.b->stats().malformed_dcep == 5);
    CHECK(events_of<event::ChannelRequested>(p.eb).empty());

    REQUIRE(p.a->send_with_ppid(12, 99, as_bytes("unknown ppid")).ok());
    REQUIRE(p.a->send(10, false, as_bytes("no channel on b")).ok());
    p.pump();
    CHECK(p.b->stats().dropped_messages == 2);
    CHECK(events_of<event::Message>(p.eb).empty());

    REQUIRE(p.b->channel(12) != nullptr);
    CHECK(p.b->channel(12)->label == "both");
    REQUIRE(p.a->send(12, false, as_bytes("still fine")).ok());
    p.pump();
    auto got = events_of<event::Message>(p.eb);
    REQUIRE(got.size() == 1);
    CHECK(text_of(got[0]) == "still fine");
}

TEST_CASE("garbage packets leave an established association intact") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    Bytes junk(200);
    for (std::size_t i = 0; i < junk.size(); ++i)
        junk[i] = static_cast<std::uint8_t>(i * 13 + 5);
    p.b->handle_input(virtual_now(), junk);
    p.b->handle_input(virtual_now(), ByteSpan(junk).first(5));
    p.b->handle_input(virtual_now(), {});
    CHECK(p.b->stats().malformed_packets == 2);
    p.pump();
    REQUIRE(p.a->send(id, false, as_bytes("ok")).ok());
    p.pump();
    CHECK(events_of<event::Message>(p.eb).size() == 1);
    CHECK(p.b->established());
}

TEST_CASE("every outgoing packet carries a CRC32c that usrsctp's own implementation accepts") {
    Pair p;
    std::size_t checked = 0;
    bool all_ok = true;
    p.drop_if = [&](bool, ByteSpan packet) {
        Bytes copy(packet.begin(), packet.end());
        std::uint32_t stamped;
        std::memcpy(&stamped, copy.data() + 8, 4);
        std::memset(copy.data() + 8, 0, 4);
        all_ok &= usrsctp_crc32c(copy.data(), copy.size()) == stamped;
        ++checked;
        return false;
    };
    REQUIRE(p.establish());
    auto id = p.a->open_channel("x", "");
    REQUIRE(id.ok());
    REQUIRE(p.a->send(*id, true, Bytes(5000, 3)).ok());
    p.pump();
    CHECK(checked > 5);
    CHECK(all_ok);
}

TEST_CASE("the peer learns label, protocol, priority, ordering and lifetime from the OPEN") {
    ChannelOptions options;
    options.reliability.ordered = false;
    options.reliability.max_packet_life_time = 150;
    options.priority = priority::high;
    Pair p;
    REQUIRE(p.establish());
    REQUIRE(p.a->open_channel("telemetry", "json", options).ok());
    p.pump();
    auto requested = events_of<event::ChannelRequested>(p.eb);
    REQUIRE(requested.size() == 1);
    CHECK(requested[0].label == "telemetry");
    CHECK(requested[0].protocol == "json");
    CHECK(requested[0].priority == priority::high);
    CHECK(requested[0].reliability == options.reliability);
    const DataChannel* ch = p.b->channel(requested[0].id);
    REQUIRE(ch != nullptr);
    CHECK(ch->state == ChannelState::open);
    CHECK_FALSE(ch->opened_locally);
}

TEST_CASE("associations on negotiated ports other than 5000 connect") {
    Config ca = client_config(), cb = server_config();
    ca.local_port = cb.remote_port = 5001;
    ca.remote_port = cb.local_port = 6000;
    Pair p(ca, cb);
    const std::uint16_t id = open_from_a(p);
    REQUIRE(p.a->send(id, false, as_bytes("ports")).ok());
    p.pump();
    CHECK(events_of<event::Message>(p.eb).size() == 1);
}

TEST_CASE("a channel id beyond the peer's stream count is closed when the association comes up") {
    Config ca = client_config(), cb = server_config();
    cb.max_streams = 16;  // the peer accepts 16 incoming streams
    Pair p(ca, cb);
    ChannelOptions high;
    high.negotiated_id = 20;
    REQUIRE(p.a->open_channel("too high", "", high).ok());
    auto low = p.a->open_channel("fine", "");
    REQUIRE(low.ok());
    REQUIRE(p.establish());
    auto closed = events_of<event::ChannelClosed>(p.ea);
    REQUIRE(closed.size() == 1);
    CHECK(closed[0].id == 20);
    CHECK(p.a->channel(*low)->state == ChannelState::open);
    high.negotiated_id = 16;
    CHECK(p.a->open_channel("still too high", "", high).error() == SctpError::id_out_of_range);
    // Ids are handed out below the limit until none is left.
    for (int i = 1; i < 8; ++i)
        REQUIRE(p.a->open_channel("c", "").ok());
    CHECK(p.a->open_channel("one more", "").error() == SctpError::no_free_id);
}

TEST_CASE("bad channel options are refused before anything is sent") {
    Pair p;
    ChannelOptions both;
    both.reliability.max_retransmits = 1;
    both.reliability.max_packet_life_time = 1;
    CHECK(p.a->open_channel("x", "", both).error() == SctpError::invalid_options);
    CHECK(p.a->open_channel(std::string(65536, 'l'), "").error() == SctpError::invalid_options);
    CHECK(p.a->channel_count() == 0);
}

TEST_CASE("packet traces name the chunks and decode DCEP") {
    Pair p;
    std::vector<std::string> lines;
    std::size_t inits = 0, aborts = 0;
    p.drop_if = [&](bool, ByteSpan packet) {
        lines.push_back(describe_packet(packet));
        inits += has_chunk(packet, 1);
        aborts += has_chunk(packet, kAbortChunk);
        return false;
    };
    REQUIRE(p.establish());
    REQUIRE(p.a->open_channel("chat", "proto").ok());
    p.pump();
    auto seen = [&](std::string_view text) {
        for (const auto& l : lines)
            if (l.find(text) != std::string::npos) return true;
        return false;
    };
    CHECK(seen("SCTP 5000 > 5000"));
    CHECK(seen("| INIT"));
    CHECK(seen("| COOKIE-ECHO"));
    CHECK(seen("DATA_CHANNEL_OPEN label \"chat\" protocol \"proto\""));
    CHECK(seen("DATA_CHANNEL_ACK"));
    CHECK(inits == 2);  // both sides connect
    CHECK(aborts == 0);
    p.a->close();
    p.pump();
    CHECK(aborts == 1);
    const std::uint8_t cut[] = {0x13, 0x88, 0x13, 0x88, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 40, 1};
    CHECK(describe_packet(cut).find("(malformed)") != std::string::npos);
    CHECK(parse_packet(ByteSpan(cut).first(5)).chunks.empty());
}

TEST_CASE("chunk types come from the headers, with a DATA's TSN and a SACK's cumulative TSN") {
    // Common header; a SACK (cumulative TSN 0x01020304, no gaps); a DATA of one byte (TSN
    // 0x0A0B0C0D) and its three bytes of padding (RFC 9260 §3.3.1, §3.3.4).
    const std::uint8_t packet[] = {
        0x13, 0x88, 0x13, 0x88, 0,    0,    0,    1,    0, 0, 0, 0,              //
        3,    0,    0,    16,   0x01, 0x02, 0x03, 0x04, 0, 1, 0, 0, 0, 0, 0, 0,  //
        0,    3,    0,    17,   0x0A, 0x0B, 0x0C, 0x0D, 0, 1, 0, 0, 0, 0, 0, 53, 'x', 0, 0, 0};
    const ChunkTypes chunks(packet);
    CHECK(chunks.has(kSackChunk));
    CHECK(chunks.has(kDataChunk));
    CHECK_FALSE(chunks.has(kAbortChunk));
    CHECK(chunks.sack_cumulative_tsn() == 0x01020304u);
    CHECK(chunks.last_data_tsn() == 0x0A0B0C0Du);
    // A chunk whose length runs past the packet's end is not counted, nor is anything after it.
    const ChunkTypes cut(ByteSpan(packet).first(30));
    CHECK(cut.has(kSackChunk));
    CHECK_FALSE(cut.has(kDataChunk));
    CHECK_FALSE(cut.last_data_tsn().has_value());
}

TEST_CASE("poll_timeout asks for a tick while the association lives, and none once closed") {
    Pair p;
    CHECK(p.a->poll_timeout() == Instant{});  // due at once: starts the clock
    REQUIRE(p.establish());
    const Instant now = virtual_now();
    p.a->handle_timeout(now);
    CHECK(*p.a->poll_timeout() > now);
    CHECK(*p.a->poll_timeout() <= now + 200ms);  // established, nothing pending: the idle tick
    p.a->close();
    CHECK_FALSE(p.a->poll_timeout().has_value());
    CHECK(p.a->poll_transmit().has_value());  // the ABORT, for DTLS to carry
}

TEST_CASE("reordered and duplicated packets still deliver every message once, in order") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    SeededRandom random(42);
    std::vector<std::pair<bool, Bytes>> held;  // (a_to_b, packet)
    p.drop_if = [&](bool a_to_b, ByteSpan packet) {
        held.emplace_back(a_to_b, Bytes(packet.begin(), packet.end()));
        if (random.uniform(4) == 0) held.emplace_back(a_to_b, Bytes(packet.begin(), packet.end()));
        return true;
    };
    std::vector<Bytes> sent;
    for (int i = 0; i < 40; ++i) {
        Bytes m(1 + random.uniform(5000));
        for (auto& byte : m)
            byte = static_cast<std::uint8_t>(random.uniform(256));
        REQUIRE(p.a->send(id, true, m).ok());
        sent.push_back(std::move(m));
    }
    for (int round = 0; round < 10000 && events_of<event::Message>(p.eb).size() < sent.size();
         ++round) {
        p.pump();
        if (held.empty()) {
            p.run_for(10ms);
            continue;
        }
        for (std::size_t i = held.size(); i > 1; --i)
            std::swap(held[i - 1], held[random.uniform(i)]);
        auto batch = std::move(held);
        held.clear();
        for (auto& [a_to_b, packet] : batch)
            (a_to_b ? p.b : p.a)->handle_input(virtual_now(), packet);
    }
    p.pump();
    auto got = events_of<event::Message>(p.eb);
    REQUIRE(got.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i)
        CHECK(got[i].data == sent[i]);
}

TEST_CASE(
    "an idle association asks for a tick every 200 ms, and wakes only when a timer may fire") {
    Pair p;
    const auto id = open_from_a(p);
    const auto wait = [](Association& s) { return *s.poll_timeout() - virtual_now(); };
    // Everything acknowledged, no SACK owed: idle.
    p.run_for(300ms);
    CHECK(wait(*p.a) == 200ms);
    CHECK(wait(*p.b) == 200ms);
    // A send puts data in flight: a wakes when T3 could first expire (RTO.min after the write,
    // less a tick), not before.
    REQUIRE(p.a->send(id, false, as_bytes("wake up")).ok());
    CHECK(wait(*p.a) == kRtoMin - 1ms);
    p.pump();
    auto messages = events_of<event::Message>(p.eb);
    REQUIRE_FALSE(messages.empty());
    CHECK(as_string(messages.back().data) == "wake up");
    // b received a lone packet: its delayed SACK is due kSackDelay later, and b wakes then, not
    // every millisecond before.
    CHECK(wait(*p.b) == kSackDelay);
    // a's data is in flight until that SACK: a wakes no sooner than T3 could expire.
    p.a->handle_timeout(virtual_now());
    CHECK(wait(*p.a) >= kSackDelay);
    CHECK(wait(*p.a) <= kRtoMin);
    // b acknowledges at its tick; the SACK leaves and b owes nothing more: no slack ticks.
    p.run_for(kSackDelay);
    CHECK(wait(*p.b) == 200ms);
    // Once the SACK came back: idle again.
    p.run_for(300ms);
    CHECK(wait(*p.a) == 200ms);
    CHECK(wait(*p.b) == 200ms);
}

TEST_CASE("a SACK that another association's tick made for this one brings a tick to send it") {
    Pair p, q;
    const auto id = open_from_a(p);
    open_from_a(q);
    p.run_for(300ms);
    q.run_for(300ms);
    p.run_for(10ms);  // p's ticks now, with nothing pending: the idle one next
    // A lone packet a→b: b owes a delayed SACK, and would wake for it after the SACK delay.
    REQUIRE(p.a->send(id, false, as_bytes("one")).ok());
    while (auto packet = p.a->poll_transmit())
        p.b->handle_input(virtual_now(), *packet);
    CHECK(*p.b->poll_timeout() - virtual_now() == kSackDelay);
    // q's tick after that delay advances usrsctp's timers, which are global: b's SACK timer
    // fires there, and the SACK waits in b's queue. b asks to be woken at once to send it.
    virtual_now() += kSackDelay + 1ms;
    q.a->handle_timeout(virtual_now());
    CHECK(*p.b->poll_timeout() <= virtual_now());
    const auto sack = p.b->poll_transmit();
    REQUIRE(sack.has_value());
    CHECK(has_chunk(*sack, kSackChunk));
    // Sent: nothing waits, and no SACK is owed any more.
    CHECK_FALSE(p.b->poll_transmit().has_value());
    p.b->handle_timeout(virtual_now());
    CHECK(*p.b->poll_timeout() - virtual_now() == 200ms);
}

// Packets a→b that carry DATA for a burst of `count` messages of `size` bytes, sent corked or
// not, and whether every message arrived once, whole and in order.
struct BurstResult {
    std::uint64_t packets = 0;
    bool in_order = false;
};

static BurstResult send_burst(bool corked, int count, std::size_t size) {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    REQUIRE(p.run_until([&] { return p.a->stats().packets_sent > 0 && p.b->channel(id); }));
    p.pump();
    const std::uint64_t before = p.a->stats().packets_sent;
    p.ea.clear();
    p.eb.clear();
    if (corked) p.a->cork();
    for (int i = 0; i < count; ++i) {
        Bytes message(size, static_cast<std::uint8_t>(i));
        REQUIRE(p.a->send(id, true, message).ok());
    }
    if (corked) CHECK(p.a->uncork());
    REQUIRE(
        p.run_until([&] { return events_of<event::Message>(p.eb).size() >= std::size_t(count); }));
    BurstResult r;
    r.packets = p.a->stats().packets_sent - before;
    const auto got = events_of<event::Message>(p.eb);
    r.in_order = got.size() == std::size_t(count);
    for (int i = 0; r.in_order && i < count; ++i)
        r.in_order = got[std::size_t(i)].data == Bytes(size, static_cast<std::uint8_t>(i));
    return r;
}

TEST_CASE("a corked burst of small messages is bundled into full packets, in order") {
    // 200 messages of 100 bytes: 116 bytes of chunk each, nine to a 1,151-byte packet.
    const BurstResult one_by_one = send_burst(false, 200, 100);
    const BurstResult corked = send_burst(true, 200, 100);
    CAPTURE(one_by_one.packets);
    CAPTURE(corked.packets);
    CHECK(one_by_one.in_order);
    CHECK(corked.in_order);
    // Sent one by one, each message leaves in its own packet while the congestion window is open
    // (here only at first: then usrsctp queues and bundles by itself); corked, it sends full
    // packets from the start. Measured: 64 packets one by one, 40 corked.
    CHECK(corked.packets * 4 < one_by_one.packets * 3);
}

TEST_CASE("only messages that can share a packet wait while corked") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    p.a->cork();
    REQUIRE(p.a->send(id, true, Bytes(559, 1)).ok());  // 575 bytes of chunk: two fit in 1,151
    CHECK(p.a->buffered_amount(id) == 559);
    REQUIRE(p.a->send(id, true, Bytes(560, 2)).ok());  // waits too: it must follow the first
    CHECK(p.a->buffered_amount(id) == 559 + 560);
    CHECK(p.a->uncork());
    CHECK(p.a->buffered_amount(id) == 0);
    p.a->cork();
    REQUIRE(p.a->send(id, true, Bytes(560, 3)).ok());  // nothing ahead: straight to usrsctp
    CHECK(p.a->buffered_amount(id) == 0);
    CHECK_FALSE(p.a->uncork());
    REQUIRE(p.run_until([&] { return events_of<event::Message>(p.eb).size() == 3; }));
    const auto got = events_of<event::Message>(p.eb);
    CHECK(got[0].data == Bytes(559, 1));
    CHECK(got[1].data == Bytes(560, 2));
    CHECK(got[2].data == Bytes(560, 3));
}
