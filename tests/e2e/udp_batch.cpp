// rtc::UdpSocket's batched path on real loopback sockets: send_batch (sendmmsg, UDP GSO runs) and
// start_receive_batch (UDP GRO) must deliver every datagram whole, in order, to the right peer.
#include <cstddef>  // before asio (doctest.h includes no std header): see rtc/udp_socket.hpp

#include <doctest/doctest.h>

#include <asio.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "rtc/udp_socket.hpp"

using namespace floe;

namespace {

struct Received {
    SocketAddress from;
    Bytes data;
};

// A datagram whose bytes say which one it is, so a lost, merged, split or reordered one shows.
Bytes numbered(std::size_t index, std::size_t size) {
    Bytes b(size);
    for (std::size_t i = 0; i < size; ++i)
        b[i] = static_cast<std::uint8_t>(index * 31 + i);
    return b;
}

// Runs `io` until `done` or two seconds pass (a bound, not a timing assertion).
template <class F>
void run_until(asio::io_context& io, F done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!done() && std::chrono::steady_clock::now() < end)
        io.run_for(std::chrono::milliseconds(10));
}

}  // namespace

TEST_CASE("send_batch delivers runs of equal datagrams, size changes and two peers intact") {
    asio::io_context io;
    const auto any = *SocketAddress::parse("127.0.0.1:0");
    rtc::UdpSocket sender(io, any), a(io, any), b(io, any);
    sender.set_buffer_sizes(1 << 20);
    a.set_buffer_sizes(1 << 20);
    b.set_buffer_sizes(1 << 20);
    std::vector<Received> at_a, at_b;
    int batches_a = 0;
    a.start_receive_batch(
        [&](const SocketAddress& from, ByteSpan d) {
            at_a.push_back({from, Bytes(d.begin(), d.end())});
        },
        [&] { ++batches_a; });
    b.start_receive_batch(
        [&](const SocketAddress& from, ByteSpan d) {
            at_b.push_back({from, Bytes(d.begin(), d.end())});
        },
        [] {});

    // A burst first: a wake-up that finds many datagrams queued switches coalesced reads on.
    CHECK_FALSE(a.receive_offload());
    {
        std::vector<Bytes> warm_up;
        std::vector<rtc::OutgoingDatagram> burst;
        for (std::size_t i = 0; i < 40; ++i)
            warm_up.push_back(numbered(1000 + i, 300));
        for (const auto& d : warm_up)
            burst.push_back({d, a.local_address()});
        sender.send_batch(burst);
        run_until(io, [&] { return at_a.size() >= warm_up.size(); });
        REQUIRE(at_a.size() == warm_up.size());
        for (std::size_t i = 0; i < warm_up.size(); ++i)
            CHECK(at_a[i].data == warm_up[i]);
        CHECK(a.receive_offload());
        at_a.clear();
    }
    const auto reads_before = a.stats().reads;
    const auto received_before = a.stats().datagrams_received;
    batches_a = 0;

    // What a flush produces: long runs of full-size records, a short one ending a run, a run
    // longer than one segmented send may carry, an empty datagram, and a second destination.
    std::vector<std::pair<std::size_t, bool>> plan;  // size, to b
    for (int i = 0; i < 100; ++i)
        plan.push_back({1163, false});
    plan.push_back({97, false});
    for (int i = 0; i < 5; ++i)
        plan.push_back({1163, i % 2 == 1});
    plan.push_back({0, false});
    plan.push_back({1200, false});
    plan.push_back({1200, false});
    plan.push_back({600, false});
    plan.push_back({1200, false});
    std::vector<Bytes> payloads;
    std::vector<rtc::OutgoingDatagram> batch;
    for (std::size_t i = 0; i < plan.size(); ++i)
        payloads.push_back(numbered(i, plan[i].first));
    for (std::size_t i = 0; i < plan.size(); ++i)
        batch.push_back({payloads[i], plan[i].second ? b.local_address() : a.local_address()});

    const std::size_t calls = sender.send_batch(batch);
    CHECK(calls >= 1);
    if (sender.segmentation_offload())
        CHECK(calls < 5);  // every run in one sendmmsg (or a few): not one call per datagram
    else
        MESSAGE("this kernel has no UDP GSO: one datagram per message, ", calls, " calls");

    std::vector<Bytes> expect_a, expect_b;
    for (std::size_t i = 0; i < plan.size(); ++i)
        (plan[i].second ? expect_b : expect_a).push_back(payloads[i]);
    run_until(io, [&] { return at_a.size() >= expect_a.size() && at_b.size() >= expect_b.size(); });
    REQUIRE(at_a.size() == expect_a.size());
    REQUIRE(at_b.size() == expect_b.size());
    for (std::size_t i = 0; i < expect_a.size(); ++i) {
        CHECK(at_a[i].data == expect_a[i]);
        CHECK(at_a[i].from == sender.local_address());
    }
    for (std::size_t i = 0; i < expect_b.size(); ++i)
        CHECK(at_b[i].data == expect_b[i]);
    CHECK(sender.stats().send_calls - 1 == calls);  // the burst's one call before
    CHECK(sender.stats().datagrams_sent == plan.size() + 40);
    CHECK(sender.stats().datagrams_dropped == 0);
    const auto reads = a.stats().reads - reads_before;
    CHECK(a.stats().datagrams_received - received_before == expect_a.size());
    // Everything was queued before the first wake-up: read in batches, not one wake-up per
    // datagram, and with coalescing on and segmented sends, in fewer reads than datagrams.
    CHECK(batches_a >= 1);
    CHECK(std::size_t(batches_a) < expect_a.size() / 10);
    if (sender.segmentation_offload())
        CHECK(reads < expect_a.size() / 2);
    else
        CHECK(reads <= expect_a.size());
}

TEST_CASE("sparse traffic, a datagram per wake-up, never asks for coalesced reads") {
    asio::io_context io;
    const auto any = *SocketAddress::parse("127.0.0.1:0");
    rtc::UdpSocket sender(io, any), a(io, any);
    std::size_t received = 0;
    a.start_receive_batch([&](const SocketAddress&, ByteSpan) { ++received; }, [] {});
    for (std::size_t i = 0; i < 20; ++i) {
        REQUIRE_FALSE(sender.send_to(numbered(i, 100), a.local_address()));
        run_until(io, [&] { return received == i + 1; });
        REQUIRE(received == i + 1);
    }
    CHECK(a.stats().reads == 20);
    CHECK_FALSE(a.receive_offload());
}

TEST_CASE("send_batch to an address of the wrong family drops that run and sends the rest") {
    asio::io_context io;
    rtc::UdpSocket sender(io, *SocketAddress::parse("127.0.0.1:0"));
    rtc::UdpSocket a(io, *SocketAddress::parse("127.0.0.1:0"));
    std::vector<Bytes> got;
    a.start_receive_batch(
        [&](const SocketAddress&, ByteSpan d) { got.emplace_back(d.begin(), d.end()); }, [] {});
    const Bytes first = numbered(1, 500), second = numbered(2, 500);
    const std::vector<rtc::OutgoingDatagram> batch{
        {first, a.local_address()},
        {first, *SocketAddress::parse("[::1]:9")},  // an IPv4 socket cannot send there
        {second, a.local_address()},
    };
    sender.send_batch(batch);
    run_until(io, [&] { return got.size() >= 2; });
    REQUIRE(got.size() == 2);
    CHECK(got[0] == first);
    CHECK(got[1] == second);
    CHECK(sender.stats().datagrams_sent == 2);
    CHECK(sender.stats().datagrams_dropped == 1);
}
