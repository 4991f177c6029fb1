#include <doctest/doctest.h>

#include <future>

#include <floe/error.hpp>
#include <floe/runtime.hpp>

#include "e2e_support.hpp"

using namespace floe;
using namespace floe::test;

namespace {

// Two connected peers; b's incoming channels are collected.
struct Connected {
    PeerConnection a{loopback_config()};
    PeerConnection b{loopback_config()};
    std::mutex mutex;
    std::vector<std::shared_ptr<DataChannel>> incoming;

    explicit Connected(bool trickle = false, std::function<void()> before_signal = {}) {
        b.on_data_channel([this](std::shared_ptr<DataChannel> dc) {
            std::lock_guard lock(mutex);
            incoming.push_back(dc);
        });
        if (before_signal) before_signal();
        if (trickle)
            signal_trickle(a, b);
        else
            signal_complete(a, b);
    }
    std::size_t incoming_count() {
        std::lock_guard lock(mutex);
        return incoming.size();
    }
    std::shared_ptr<DataChannel> incoming_at(std::size_t i) {
        std::lock_guard lock(mutex);
        return incoming.at(i);
    }
};

// A channel from a to b, open on both sides, with b's messages collected.
struct OpenChannel {
    Connected c;
    std::shared_ptr<DataChannel> local;
    std::shared_ptr<DataChannel> remote;
    Inbox at_b;

    explicit OpenChannel(const std::string& label) {
        local = c.a.create_data_channel(label);
        REQUIRE(eventually([&] { return c.incoming_count() == 1; }));
        remote = c.incoming_at(0);
        at_b.attach(remote);
        REQUIRE(eventually([&] { return local->ready_state() == DataChannelState::open; }));
    }
};

// Holds the runtime thread inside a callback of `o.local` (its on_message, on a message from b)
// while this thread runs `meanwhile`; then `then` runs on the runtime thread, still in that
// callback. Returns once `then` has.
void while_runtime_waits(OpenChannel& o, const std::function<void()>& meanwhile,
                         const std::function<void()>& then) {
    std::promise<void> holding, released, done;
    auto released_future = released.get_future();
    o.local->on_message([&](Message) {
        holding.set_value();
        released_future.wait();
        then();
        done.set_value();
    });
    o.remote->send("go");
    holding.get_future().wait();
    meanwhile();
    released.set_value();
    done.get_future().wait();
    o.local->on_message(nullptr);
}

}  // namespace

TEST_CASE("trickled candidates connect as well as complete descriptions") {
    Connected c(true, {});
    auto dc = c.a.create_data_channel("late");
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    REQUIRE(eventually([&] { return c.incoming_count() == 1; }));
    CHECK(c.a.signaling_state() == SignalingState::stable);
    CHECK(c.b.signaling_state() == SignalingState::stable);
}

TEST_CASE("a channel created after connecting opens, and 100 channels share one connection") {
    Connected c;
    std::vector<std::shared_ptr<DataChannel>> mine;
    for (int i = 0; i < 100; ++i)
        mine.push_back(c.a.create_data_channel("ch" + std::to_string(i)));
    REQUIRE(eventually([&] {
        return std::all_of(mine.begin(), mine.end(),
                           [](auto& d) { return d->ready_state() == DataChannelState::open; });
    }));
    REQUIRE(eventually([&] { return c.incoming_count() == 100; }));
    std::set<std::uint16_t> ids;
    for (auto& d : mine)
        ids.insert(*d->id());
    CHECK(ids.size() == 100);
    // The offerer is the DTLS server here (the answerer picks active): odd ids (RFC 8832 §6).
    for (auto id : ids)
        CHECK(id % 2 == 1);

    std::vector<Inbox> inboxes(100);
    for (std::size_t i = 0; i < 100; ++i)
        inboxes[i].attach(c.incoming_at(i));
    for (std::size_t i = 0; i < 100; ++i)
        mine[i]->send(mine[i]->label());
    REQUIRE(eventually([&] {
        return std::all_of(inboxes.begin(), inboxes.end(), [](auto& in) { return in.size() == 1; });
    }));
    for (std::size_t i = 0; i < 100; ++i)
        CHECK(inboxes[i].at(0).text() == c.incoming_at(i)->label());
    CHECK(c.a.get_stats().data_channels.size() == 100);
}

TEST_CASE("max_streams bounds the channel ids, and a connection with few streams still talks") {
    Configuration bad = loopback_config();
    bad.max_streams = 0;
    CHECK_THROWS_AS(PeerConnection{bad}, InvalidArgumentError);
    bad.max_streams = 1025;
    CHECK_THROWS_AS(PeerConnection{bad}, InvalidArgumentError);

    Configuration few = loopback_config();
    few.max_streams = 16;
    PeerConnection a(few), b(few);
    DataChannelInit init;
    init.negotiated = true;
    init.id = 16;
    CHECK_THROWS_AS(a.create_data_channel("too high", init), InvalidArgumentError);
    init.id = 15;
    auto x = a.create_data_channel("top", init);
    auto y = b.create_data_channel("top", init);
    auto dcep = a.create_data_channel("dcep");
    std::shared_ptr<DataChannel> incoming;
    std::mutex mutex;
    b.on_data_channel([&](std::shared_ptr<DataChannel> dc) {
        std::lock_guard lock(mutex);
        incoming = dc;
    });
    signal_complete(a, b);
    Inbox at_y;
    at_y.attach(y);
    REQUIRE(eventually([&] {
        return x->ready_state() == DataChannelState::open &&
               dcep->ready_state() == DataChannelState::open;
    }));
    CHECK(*x->id() == 15);
    CHECK(*dcep->id() < 16);
    x->send("highest id");
    REQUIRE(eventually([&] { return at_y.size() == 1; }));
    CHECK(at_y.at(0).text() == "highest id");
    REQUIRE(eventually([&] {
        std::lock_guard lock(mutex);
        return incoming != nullptr;
    }));
}

TEST_CASE("negotiated channels with the same id talk without DCEP") {
    Connected c;
    DataChannelInit init;
    init.negotiated = true;
    init.id = 42;
    auto x = c.a.create_data_channel("neg", init);
    auto y = c.b.create_data_channel("neg", init);
    Inbox at_y;
    at_y.attach(y);
    REQUIRE(eventually([&] {
        return x->ready_state() == DataChannelState::open &&
               y->ready_state() == DataChannelState::open;
    }));
    CHECK(*x->id() == 42);
    x->send("negotiated");
    REQUIRE(eventually([&] { return at_y.size() == 1; }));
    CHECK(at_y.at(0).text() == "negotiated");
    CHECK(c.incoming_count() == 0);  // no on_data_channel for negotiated channels
    CHECK_THROWS_AS(c.a.create_data_channel("dup", init), OperationError);
}

TEST_CASE("unordered and partially reliable channels carry their parameters to the peer") {
    Connected c;
    DataChannelInit unordered;
    unordered.ordered = false;
    DataChannelInit rexmit;
    rexmit.max_retransmits = 0;
    DataChannelInit lifetime;
    lifetime.max_packet_life_time = 150;
    lifetime.protocol = "proto";
    auto u = c.a.create_data_channel("u", unordered);
    auto r = c.a.create_data_channel("r", rexmit);
    auto l = c.a.create_data_channel("l", lifetime);
    REQUIRE(eventually([&] { return c.incoming_count() == 3; }));
    std::map<std::string, std::shared_ptr<DataChannel>> by_label;
    for (std::size_t i = 0; i < 3; ++i)
        by_label[c.incoming_at(i)->label()] = c.incoming_at(i);
    CHECK_FALSE(by_label["u"]->ordered());
    CHECK(by_label["r"]->max_retransmits() == std::optional<std::uint16_t>(0));
    CHECK(by_label["l"]->max_packet_life_time() == std::optional<std::uint16_t>(150));
    CHECK(by_label["l"]->protocol() == "proto");
    Inbox in;
    in.attach(by_label["u"]);
    for (int i = 0; i < 50; ++i)
        u->send(std::to_string(i));
    REQUIRE(eventually([&] { return in.size() == 50; }));  // loopback loses nothing

    DataChannelInit both;
    both.max_retransmits = 1;
    both.max_packet_life_time = 1;
    CHECK_THROWS_AS(c.a.create_data_channel("bad", both), InvalidArgumentError);
}

TEST_CASE("messages that arrive before on_message is set are delivered when it is") {
    Connected c;
    auto dc = c.a.create_data_channel("early");
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    for (int i = 0; i < 10; ++i)
        dc->send(std::to_string(i));
    REQUIRE(eventually([&] { return c.incoming_count() == 1; }));
    auto remote = c.incoming_at(0);
    // Give the messages time to arrive with nobody listening.
    REQUIRE(eventually([&] { return c.b.get_stats().floe.messages_received == 10; }));
    Inbox in;
    in.attach(remote);
    REQUIRE(eventually([&] { return in.size() == 10; }));
    for (int i = 0; i < 10; ++i)
        CHECK(in.at(i).text() == std::to_string(i));
}

TEST_CASE("the remote side closing a channel closes it on both sides") {
    Connected c;
    auto dc = c.a.create_data_channel("x");
    Inbox mine;
    mine.attach(dc);
    REQUIRE(eventually([&] { return c.incoming_count() == 1; }));
    auto remote = c.incoming_at(0);
    REQUIRE(eventually([&] { return remote->ready_state() == DataChannelState::open; }));
    remote->close();
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::closed; }));
    CHECK(mine.closes.load() == 1);
    CHECK_THROWS_AS(dc->send("too late"), InvalidStateError);
    dc->close();  // twice is fine
    c.a.close();
    c.a.close();
}

TEST_CASE("close() from inside callbacks neither deadlocks nor crashes") {
    Connected c;
    auto dc = c.a.create_data_channel("cb");
    std::atomic<bool> closed_channel{false};
    REQUIRE(eventually([&] { return c.incoming_count() == 1; }));
    auto remote = c.incoming_at(0);
    remote->on_message([&, raw = remote.get()](Message) {
        raw->send("bye");
        raw->close();  // channel close from its own callback
    });
    dc->on_message([&](Message) {
        c.a.close();  // PeerConnection close from a channel callback
        closed_channel = true;
    });
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    dc->send("hi");
    REQUIRE(eventually([&] { return closed_channel.load(); }));
    CHECK(c.a.connection_state() == PeerConnectionState::closed);
    CHECK(c.a.signaling_state() == SignalingState::closed);
    CHECK_THROWS_AS(c.a.create_offer(), InvalidStateError);
}

TEST_CASE(
    "a PeerConnection destroyed mid-transfer, even from a callback, leaves the other side sane") {
    auto a = std::make_unique<PeerConnection>(loopback_config());
    PeerConnection b(loopback_config());
    std::atomic<int> received{0};
    std::atomic<bool> remote_closed{false};
    b.on_data_channel([&](std::shared_ptr<DataChannel> dc) {
        dc->on_message([&](Message) { ++received; });
        dc->on_close([&] { remote_closed = true; });
    });
    auto dc = a->create_data_channel("bulk");
    signal_complete(*a, b);
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    const Bytes chunk(16384, 0xAB);
    for (int i = 0; i < 200; ++i)
        dc->send(chunk);
    REQUIRE(eventually([&] { return received.load() > 0; }));
    a.reset();  // mid-transfer
    CHECK(dc->ready_state() == DataChannelState::closed);
    CHECK_THROWS_AS(dc->send(chunk), InvalidStateError);
    REQUIRE(eventually([&] { return remote_closed.load(); }));

    // And from inside a callback: the PeerConnection is released by its own on_message.
    auto c = std::make_shared<std::unique_ptr<PeerConnection>>(
        std::make_unique<PeerConnection>(loopback_config()));
    PeerConnection d(loopback_config());
    auto ch = (*c)->create_data_channel("x");
    std::atomic<bool> released{false};
    ch->on_message([c, &released](Message) {
        c->reset();
        released = true;
    });
    d.on_data_channel([](std::shared_ptr<DataChannel> r) {
        r->on_open([raw = r.get()] { raw->send("go"); });
        if (r->ready_state() == DataChannelState::open) r->send("go");
    });
    signal_complete(**c, d);
    REQUIRE(eventually([&] { return released.load(); }));
    ch.reset();
}

TEST_CASE("buffered_amount rises with send and the low-threshold event fires as it drains") {
    Connected c;
    auto dc = c.a.create_data_channel("flow");
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    std::atomic<int> lows{0};
    dc->set_buffered_amount_low_threshold(64 * 1024);
    CHECK(dc->buffered_amount_low_threshold() == 64 * 1024);
    dc->on_buffered_amount_low([&] { ++lows; });
    const Bytes chunk(65536, 1);
    for (int i = 0; i < 64; ++i)
        dc->send(chunk);
    CHECK(dc->buffered_amount() > 64 * 1024);
    REQUIRE(eventually([&] { return dc->buffered_amount() == 0; }));
    // The event is delivered on the runtime thread after the amount fell (as a browser queues
    // bufferedamountlow as a task): this thread may see 0 first.
    CHECK(eventually([&] { return lows.load() >= 1; }));
}

TEST_CASE("buffered_amount counts a send at once, also from a callback on the runtime thread") {
    Connected c;
    auto dc = c.a.create_data_channel("pace");
    REQUIRE(eventually([&] { return c.incoming_count() == 1; }));
    auto remote = c.incoming_at(0);
    REQUIRE(eventually([&] { return remote->ready_state() == DataChannelState::open; }));
    // The runtime thread runs this callback: nothing is sent or acknowledged until it returns.
    // The SCTP stack takes what fits in its own send buffer (a few MiB at most); from the first
    // message it refuses, every later one queues whole behind it and must show in
    // buffered_amount at once (a sender pacing itself on buffered_amount relies on it).
    constexpr int messages = 256;  // 16 MiB
    const Bytes chunk(65536, 7);
    std::vector<std::size_t> seen;
    std::atomic<bool> sent{false};
    dc->on_message([&](Message) {
        for (int i = 0; i < messages; ++i) {
            dc->send(chunk);
            seen.push_back(dc->buffered_amount());
        }
        sent = true;
    });
    remote->send("go");
    REQUIRE(eventually([&] { return sent.load(); }));
    REQUIRE(seen.size() == messages);
    for (std::size_t i = 1; i < seen.size(); ++i) {
        if (seen[i - 1] > 0)
            CHECK(seen[i] == seen[i - 1] + chunk.size());
        else
            CHECK(seen[i] <= chunk.size());
    }
    CHECK(seen.back() >= std::size_t(messages / 2) * chunk.size());
    REQUIRE(eventually([&] { return dc->buffered_amount() == 0; }));
}

TEST_CASE("a bad remote description is refused with its line, and the state stays as it was") {
    PeerConnection a(loopback_config());
    PeerConnection b(loopback_config());
    a.create_data_channel("x");
    auto offer = a.create_offer();
    std::string broken = offer.sdp;
    const auto pos = broken.find("a=max-message-size:");
    REQUIRE(pos != std::string::npos);
    broken.insert(pos + 19, "x");
    try {
        b.set_remote_description({SdpType::offer, broken});
        FAIL("accepted a broken description");
    } catch (const OperationError& e) {
        CHECK(std::string(e.what()).find("line ") != std::string::npos);
    }
    CHECK(b.signaling_state() == SignalingState::stable);
    CHECK_FALSE(b.remote_description().has_value());
    CHECK_THROWS_AS(b.create_answer(), InvalidStateError);
    CHECK_THROWS_AS(b.set_remote_description({SdpType::answer, offer.sdp}), InvalidStateError);
    CHECK_THROWS_AS(SessionDescription::from_json("{\"type\":\"nonsense\",\"sdp\":\"\"}"),
                    InvalidArgumentError);
    // The real offer still works afterwards.
    b.set_remote_description(offer);
    CHECK(b.signaling_state() == SignalingState::have_remote_offer);
}

TEST_CASE("rollback returns to stable from have-local-offer and have-remote-offer") {
    PeerConnection a(loopback_config());
    PeerConnection b(loopback_config());
    a.create_data_channel("x");
    a.set_local_description(a.create_offer());
    CHECK(a.signaling_state() == SignalingState::have_local_offer);
    a.set_local_description(SessionDescription{SdpType::rollback, ""});
    CHECK(a.signaling_state() == SignalingState::stable);
    b.set_remote_description(a.create_offer());
    CHECK(b.signaling_state() == SignalingState::have_remote_offer);
    b.set_remote_description(SessionDescription{SdpType::rollback, ""});
    CHECK(b.signaling_state() == SignalingState::stable);
    CHECK_FALSE(b.remote_description().has_value());
}

TEST_CASE("description and candidate JSON round-trip as browsers write them") {
    SessionDescription d{SdpType::offer, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"};
    CHECK(d.to_json() == R"({"type":"offer","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"})");
    auto back = SessionDescription::from_json(d.to_json());
    CHECK(back == d);
    IceCandidate c{"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "0", 0, "Ys3t"};
    CHECK(
        c.to_json() ==
        R"({"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"Ys3t"})");
    CHECK(IceCandidate::from_json(c.to_json()) == c);
}

TEST_CASE(
    "bursts sent from callbacks, small messages bundled and large ones not, arrive in order") {
    // Messages sent inside callbacks are gathered and bundled (sctp::Association::cork); sizes
    // around the bundling limit (559 bytes) interleave held and direct sends. a sends from its
    // open and buffered-amount-low callbacks, b echoes each message from its message callback,
    // and a checks the echoes: every message once, whole, in order.
    const std::vector<std::size_t> sizes{1, 100, 559, 560, 1200, 40, 16384, 7};
    constexpr int total = 3000;
    Connected c;
    std::shared_ptr<DataChannel> dc;
    int next = 0;  // runtime thread only
    auto message = [&](int i) {
        Bytes m(sizes[std::size_t(i) % sizes.size()], static_cast<std::uint8_t>(i));
        if (m.size() >= 2) {
            m[0] = static_cast<std::uint8_t>(i >> 8);
            m[1] = static_cast<std::uint8_t>(i);
        }
        return m;
    };
    auto burst = [&] {
        while (next < total && dc->buffered_amount() < 64 * 1024)
            dc->send(message(next++));
    };
    c.b.on_data_channel([](std::shared_ptr<DataChannel> in) {
        in->on_message([in](Message m) { in->send(ByteSpan(m.data)); });
    });
    Inbox echoes;
    dc = c.a.create_data_channel("burst");
    echoes.attach(dc);
    dc->set_buffered_amount_low_threshold(16 * 1024);
    dc->on_buffered_amount_low(burst);
    dc->on_open(burst);
    // The association is up: the channel may have opened, and its open event gone to the
    // Inbox's handler, before on_open(burst) was set. Start the burst on the runtime thread then.
    Runtime::default_runtime()->post([&] {
        if (dc->ready_state() == DataChannelState::open && next == 0) burst();
    });
    REQUIRE(
        eventually([&] { return echoes.size() == std::size_t(total); }, std::chrono::seconds(30)));
    for (int i = 0; i < total; ++i) {
        CAPTURE(i);
        const Message m = echoes.at(std::size_t(i));
        REQUIRE(m.data == message(i));
    }
}

TEST_CASE("max_message_size() is the peer's a=max-message-size, and send() obeys it") {
    Configuration big = loopback_config();
    big.max_message_size = 1024 * 1024;
    PeerConnection a{loopback_config()};  // accepts 262144, the default
    PeerConnection b{big};
    // before any remote description: RFC 8841 §6's default
    CHECK(a.max_message_size() == 65536);
    Inbox inbox;
    b.on_data_channel([&inbox](std::shared_ptr<DataChannel> dc) { inbox.attach(dc); });
    auto dc = a.create_data_channel("big");
    signal_complete(a, b);
    CHECK(a.max_message_size() == 1024 * 1024);  // what b advertised
    CHECK(b.max_message_size() == 262144);       // what a advertised
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));

    Bytes exact(1024 * 1024, std::uint8_t{7});
    dc->send(ByteSpan(exact));
    Bytes over(1024 * 1024 + 1, std::uint8_t{8});
    CHECK_THROWS_AS(dc->send(ByteSpan(over)), InvalidArgumentError);
    CHECK(dc->ready_state() == DataChannelState::open);  // the refusal changed nothing
    REQUIRE(eventually([&] { return inbox.size() == 1; }));
    CHECK(inbox.at(0).data.size() == exact.size());
}

TEST_CASE(
    "send() from another thread, then close() on the runtime thread: the message arrives "
    "before the channel closes, with no error") {
    OpenChannel o("late");
    auto& dc = o.local;
    std::atomic<int> errors{0};
    dc->on_error([&](std::string) { ++errors; });
    // The runtime thread waits inside a callback of `a` while this thread sends: the message is
    // accepted and queued, and close() runs on the runtime thread before the loop hands it over.
    while_runtime_waits(
        o, [&] { dc->send("late"); },
        [&] {
            dc->close();
            CHECK_THROWS_AS(dc->send("after close"), InvalidStateError);
        });
    REQUIRE(eventually([&] { return o.remote->ready_state() == DataChannelState::closed; }));
    REQUIRE(o.at_b.size() == 1);
    CHECK(o.at_b.at(0).text() == "late");
    CHECK(errors.load() == 0);
}

TEST_CASE(
    "send() on the runtime thread does not overtake what another thread's send() accepted "
    "before it") {
    OpenChannel o("order");
    // The runtime thread waits inside a callback of `a` while this thread sends 1..3: they are
    // accepted and queued for the loop. Then the callback sends 4 itself, before the loop could
    // hand 1..3 to the session. An application that orders its sends across threads (here the
    // helper's promises) must see that order on the wire.
    while_runtime_waits(
        o,
        [&] {
            for (const char* text : {"1", "2", "3"})
                o.local->send(text);
        },
        [&] { o.local->send("4"); });
    REQUIRE(eventually([&] { return o.at_b.size() == 4; }));
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(o.at_b.at(i).text() == std::to_string(i + 1));
    CHECK(o.local->buffered_amount() == 0);
}

TEST_CASE("send() misuse throws the same errors on the runtime thread and on another thread") {
    Connected c;
    auto dc = c.a.create_data_channel("rule");
    REQUIRE(eventually([&] { return c.incoming_count() == 1; }));
    auto remote = c.incoming_at(0);
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    const std::size_t too_large = default_max_message_size + 1;  // both sides' limit
    CHECK_THROWS_AS(dc->send(Bytes(too_large)), InvalidArgumentError);
    std::promise<std::string> on_runtime;
    dc->on_message([&](Message) {
        std::string what;
        try {
            dc->send(Bytes(too_large));
            what = "none";
        } catch (const InvalidArgumentError&) {
            what = "InvalidArgumentError";
        } catch (const std::exception& e) {
            what = e.what();
        }
        on_runtime.set_value(what);
    });
    remote->send("go");
    CHECK(on_runtime.get_future().get() == "InvalidArgumentError");
    remote->close();
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::closed; }));
    CHECK_THROWS_AS(dc->send("x"), InvalidStateError);
}
