// A Runtime with several threads: each PeerConnection stays on one loop for its whole life, and
// pairs whose two ends live on different threads exchange and close without losing a message.
// Also run under ThreadSanitizer (the tsan preset).
#include <doctest/doctest.h>

#include <floe/runtime.hpp>

#include "e2e_support.hpp"

using namespace floe;
using namespace floe::test;
using namespace std::chrono_literals;

namespace {

Configuration on(const std::shared_ptr<Runtime>& runtime) {
    Configuration c = loopback_config();
    c.runtime = runtime;
    return c;
}

// Records which threads a PeerConnection's callbacks ran on.
struct Threads {
    std::mutex mutex;
    std::set<std::thread::id> seen;
    void note() {
        std::lock_guard lock(mutex);
        seen.insert(std::this_thread::get_id());
    }
    std::set<std::thread::id> get() {
        std::lock_guard lock(mutex);
        return seen;
    }
};

}  // namespace

TEST_CASE("a Runtime of N threads puts PeerConnections on its loops in turn, each on one") {
    auto runtime = std::make_shared<Runtime>(2);
    CHECK(runtime->threads() == 2);
    CHECK(std::make_shared<Runtime>(0)->threads() == 1);  // at least one

    PeerConnection a(on(runtime)), b(on(runtime));
    Threads threads_a, threads_b;
    a.on_connection_state_change([&](PeerConnectionState) { threads_a.note(); });
    b.on_connection_state_change([&](PeerConnectionState) { threads_b.note(); });
    auto dc = a.create_data_channel("t");
    Inbox inbox_b;
    std::shared_ptr<DataChannel> remote;
    std::mutex remote_mutex;
    b.on_data_channel([&](std::shared_ptr<DataChannel> c) {
        threads_b.note();
        inbox_b.attach(c);
        std::lock_guard lock(remote_mutex);
        remote = c;
    });
    Inbox inbox_a;
    inbox_a.attach(dc);
    dc->on_open([&] { threads_a.note(); });
    signal_complete(a, b);
    REQUIRE(eventually([&] { return dc->ready_state() == DataChannelState::open; }));
    for (int i = 0; i < 50; ++i)
        dc->send("m" + std::to_string(i));
    REQUIRE(eventually([&] { return inbox_b.size() == 50; }));

    const auto ta = threads_a.get(), tb = threads_b.get();
    REQUIRE(ta.size() == 1);  // every callback of a on one thread
    REQUIRE(tb.size() == 1);
    CHECK(*ta.begin() != *tb.begin());  // and a and b on different ones
    CHECK(*ta.begin() != std::this_thread::get_id());
    a.close();
    b.close();
}

TEST_CASE("pairs split across two threads exchange and close concurrently, nothing lost") {
    auto runtime = std::make_shared<Runtime>(2);
    constexpr int pairs = 4, messages = 200;
    struct Side {
        std::unique_ptr<PeerConnection> pc;
        std::shared_ptr<DataChannel> dc;
        Inbox inbox;
    };
    std::vector<std::unique_ptr<Side>> offerers, answerers;
    std::mutex mutex;
    for (int p = 0; p < pairs; ++p) {
        auto o = std::make_unique<Side>();
        auto a = std::make_unique<Side>();
        o->pc = std::make_unique<PeerConnection>(on(runtime));
        a->pc = std::make_unique<PeerConnection>(on(runtime));
        Side* answer = a.get();
        a->pc->on_data_channel([answer, &mutex](std::shared_ptr<DataChannel> c) {
            answer->inbox.attach(c);
            // echo everything back, from the answerer's own thread
            c->on_message([c](Message m) {
                if (m.binary)
                    c->send(ByteSpan(m.data));
                else
                    c->send(m.text());
            });
            std::lock_guard lock(mutex);
            answer->dc = c;
        });
        o->dc = o->pc->create_data_channel("p" + std::to_string(p));
        o->inbox.attach(o->dc);
        signal_complete(*o->pc, *a->pc);
        offerers.push_back(std::move(o));
        answerers.push_back(std::move(a));
    }
    for (auto& o : offerers)
        REQUIRE(eventually([&] { return o->dc->ready_state() == DataChannelState::open; }));

    // Every offerer sends from its own application thread at once.
    std::vector<std::thread> senders;
    for (auto& o : offerers) {
        senders.emplace_back([&o] {
            for (int i = 0; i < messages; ++i)
                o->dc->send("message " + std::to_string(i));
            o->dc->send(ByteSpan(Bytes(64 * 1024, 0x5a)));
        });
    }
    for (auto& t : senders)
        t.join();
    for (auto& o : offerers) {
        REQUIRE(eventually([&] { return o->inbox.size() == messages + 1; }, 30s));
        for (int i = 0; i < messages; ++i)
            CHECK(o->inbox.at(i).text() == "message " + std::to_string(i));
        CHECK(o->inbox.at(messages).data.size() == 64 * 1024);
    }
    // close everything from several threads at once
    std::vector<std::thread> closers;
    for (auto& o : offerers)
        closers.emplace_back([&o] { o->pc->close(); });
    for (auto& t : closers)
        t.join();
    for (auto& a : answerers)
        CHECK(eventually([&] { return a->pc->connection_state() == PeerConnectionState::closed; }));
}
