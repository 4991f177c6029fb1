// The simulator itself, checked with two toy nodes before any protocol runs on it: a Probe that
// sends what the test tells it and records what arrives, and an Echo that answers every datagram
// with the address it came from (what a STUN server tells a client, without the codec).
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "sim/network.hpp"

using namespace floe;
using namespace floe::sim;

namespace {

IpAddress ip(std::string_view text) {
    return *IpAddress::parse(text);
}
SocketAddress at(std::string_view text) {
    return *SocketAddress::parse(text);
}

struct Received {
    Instant at;
    SocketAddress local;
    SocketAddress from;
    std::string text;
};

// A node with no timers: what it sends waits in an outbox until the network collects it.
class Outbox : public Node {
  public:
    void send(SocketAddress from, SocketAddress to, std::string_view text) {
        out_.push_back(Datagram{from, to, Bytes(text.begin(), text.end())});
    }
    void handle_timeout(Instant) override {}
    std::optional<Instant> poll_timeout() const override { return std::nullopt; }
    std::optional<Datagram> poll_transmit() override {
        if (out_.empty()) return std::nullopt;
        auto d = std::move(out_.front());
        out_.pop_front();
        return d;
    }

  private:
    std::deque<Datagram> out_;
};

// Sends what the test tells it; records what arrives.
class Probe final : public Outbox {
  public:
    void handle_input(Instant now, SocketAddress local, SocketAddress from,
                      ByteSpan data) override {
        received.push_back({now, local, from, std::string(as_string(data))});
    }
    std::vector<Received> received;
};

// Answers every datagram with the address it came from.
class Echo final : public Outbox {
  public:
    void handle_input(Instant, SocketAddress local, SocketAddress from, ByteSpan) override {
        send(local, from, from.to_string());
    }
};

// One NAT with a probe behind it and two echo servers (and a stranger probe) outside.
struct NatBench {
    explicit NatBench(NatConfig config, std::uint64_t seed = 1) : net(seed) {
        nat = net.add_nat(Network::internet, ip("203.0.113.1"), config);
        inner = net.add_host(net.inside(nat), ip("198.18.1.2"));
        server1 = net.add_host(Network::internet, ip("198.51.100.1"));
        server2 = net.add_host(Network::internet, ip("198.51.100.2"));
        stranger = net.add_host(Network::internet, ip("198.51.100.3"));
        net.attach(inner, probe);
        net.attach(server1, echo1);
        net.attach(server2, echo2);
        net.attach(stranger, outsider);
    }
    // The external address the NAT gave the probe's 198.18.1.2:5000 towards `server`.
    SocketAddress reflexive(SocketAddress server) {
        const auto before = probe.received.size();
        probe.send(at("198.18.1.2:5000"), server, "who am I");
        net.run_for(1s);
        REQUIRE(probe.received.size() == before + 1);
        return at(probe.received.back().text);
    }
    Network net;
    NatId nat{};
    HostId inner{}, server1{}, server2{}, stranger{};
    Probe probe, outsider;
    Echo echo1, echo2;
};

}  // namespace

TEST_CASE("a datagram takes the uplink delay plus the downlink delay") {
    Network net(7);
    const auto a = net.add_host(Network::internet, ip("198.51.100.1"), {.up = {.delay = 30ms}});
    const auto b = net.add_host(Network::internet, ip("198.51.100.2"), {.down = {.delay = 20ms}});
    Probe pa, pb;
    net.attach(a, pa);
    net.attach(b, pb);
    const auto start = net.now();
    pa.send(at("198.51.100.1:1000"), at("198.51.100.2:2000"), "hello");
    net.run_for(1s);
    REQUIRE(pb.received.size() == 1);
    CHECK(pb.received[0].at - start == 50ms);
    CHECK(pb.received[0].from == at("198.51.100.1:1000"));
    CHECK(pb.received[0].local == at("198.51.100.2:2000"));
    CHECK(pb.received[0].text == "hello");
    CHECK(net.now() - start == 1s);
}

TEST_CASE("link loss, duplication and jitter follow their probabilities and the seed") {
    auto run = [](std::uint64_t seed) {
        Network net(seed);
        const LinkConfig lossy{.delay = 10ms, .jitter = 40ms, .loss = 0.3, .duplicate = 0.1};
        const auto a = net.add_host(Network::internet, ip("198.51.100.1"), {.up = lossy});
        const auto b = net.add_host(Network::internet, ip("198.51.100.2"));
        Probe pa, pb;
        net.attach(a, pa);
        net.attach(b, pb);
        for (int i = 0; i < 2000; ++i)
            pa.send(at("198.51.100.1:1"), at("198.51.100.2:2"), std::to_string(i));
        net.run_for(1s);
        std::vector<std::string> order;
        for (const auto& r : pb.received)
            order.push_back(r.text);
        return std::pair(net.stats(), order);
    };
    const auto [stats, order] = run(42);
    INFO("seed 42");
    CHECK(stats.sent == 2000);
    CHECK(stats.lost > 500);  // 30 % of 2000 is 600
    CHECK(stats.lost < 700);
    CHECK(stats.duplicated > 100);  // 10 % of the 1400 that survive
    CHECK(stats.duplicated < 180);
    CHECK(order.size() == 2000 - stats.lost + stats.duplicated);
    CHECK_FALSE(std::is_sorted(order.begin(), order.end(), [](auto& x, auto& y) {
        return std::stoi(x) < std::stoi(y);
    }));                             // jitter reorders
    CHECK(run(42).second == order);  // the same seed replays exactly
    CHECK(run(43).second != order);
}

TEST_CASE("reordering holds a datagram back behind later ones") {
    Network net(3);
    const auto a = net.add_host(Network::internet, ip("198.51.100.1"),
                                {.up = {.delay = 5ms, .reorder = 0.5, .reorder_delay = 100ms}});
    const auto b = net.add_host(Network::internet, ip("198.51.100.2"));
    Probe pa, pb;
    net.attach(a, pa);
    net.attach(b, pb);
    pa.send(at("198.51.100.1:1"), at("198.51.100.2:2"), "0");
    net.run_for(1ms);
    for (int i = 1; i < 20; ++i) {
        pa.send(at("198.51.100.1:1"), at("198.51.100.2:2"), std::to_string(i));
        net.run_for(1ms);
    }
    net.run_for(1s);
    REQUIRE(pb.received.size() == 20);
    int inversions = 0;
    for (std::size_t i = 1; i < pb.received.size(); ++i)
        if (std::stoi(pb.received[i].text) < std::stoi(pb.received[i - 1].text)) ++inversions;
    CHECK(inversions > 0);
}

TEST_CASE("a private address is unreachable from the internet and from another private zone") {
    Network net(1);
    const auto nat_a = net.add_nat(Network::internet, ip("203.0.113.1"), {});
    const auto nat_b = net.add_nat(Network::internet, ip("203.0.113.2"), {});
    const auto a = net.add_host(net.inside(nat_a), ip("198.18.1.2"));
    const auto b = net.add_host(net.inside(nat_b), ip("198.18.2.2"));
    Probe pa, pb;
    net.attach(a, pa);
    net.attach(b, pb);
    pa.send(at("198.18.1.2:1"), at("198.18.2.2:1"), "lost");
    net.run_for(1s);
    CHECK(pb.received.empty());
    CHECK(net.stats().unroutable == 1);
}

TEST_CASE("endpoint-independent mapping reuses one external port for every destination") {
    NatBench bench({.mapping = Mapping::endpoint_independent});
    const auto r1 = bench.reflexive(at("198.51.100.1:3478"));
    const auto r2 = bench.reflexive(at("198.51.100.2:3478"));
    const auto r3 = bench.reflexive(at("198.51.100.2:3479"));
    CHECK(r1.ip() == ip("203.0.113.1"));
    CHECK(r1.port() == 5000);  // port preserving
    CHECK(r2 == r1);
    CHECK(r3 == r1);
}

TEST_CASE("address-dependent mapping gives each destination IP its own port") {
    NatBench bench({.mapping = Mapping::address_dependent});
    const auto r1 = bench.reflexive(at("198.51.100.1:3478"));
    const auto r2 = bench.reflexive(at("198.51.100.1:3479"));
    const auto r3 = bench.reflexive(at("198.51.100.2:3478"));
    CHECK(r2 == r1);
    CHECK(r3 != r1);
    CHECK(r3.ip() == r1.ip());
}

TEST_CASE("address-and-port-dependent mapping gives each destination its own port") {
    NatBench bench(
        {.mapping = Mapping::address_and_port_dependent, .ports = PortAllocation::random});
    const auto r1 = bench.reflexive(at("198.51.100.1:3478"));
    const auto r2 = bench.reflexive(at("198.51.100.1:3479"));
    const auto r3 = bench.reflexive(at("198.51.100.2:3478"));
    CHECK(r1.port() != 5000);  // random allocation
    CHECK(r2 != r1);
    CHECK(r3 != r1);
    CHECK(r3 != r2);
    CHECK(bench.net.nat(bench.nat).mapping_count(bench.net.now()) == 3);
}

TEST_CASE("filtering decides which strangers reach an open mapping") {
    struct Case {
        Filtering filtering;
        bool same_ip_other_port;
        bool other_ip;
    };
    for (const auto c : {Case{Filtering::endpoint_independent, true, true},
                         Case{Filtering::address_dependent, true, false},
                         Case{Filtering::address_and_port_dependent, false, false}}) {
        CAPTURE(to_string(c.filtering));
        NatBench bench({.mapping = Mapping::endpoint_independent, .filtering = c.filtering});
        const auto mapped = bench.reflexive(at("198.51.100.1:3478"));
        // Server 1's host now runs a probe, to send from the address the NAT knows and from
        // another port of the same IP.
        Probe server;
        bench.net.detach(bench.server1);
        bench.net.attach(bench.server1, server);
        server.send(at("198.51.100.1:3478"), mapped, "known");
        server.send(at("198.51.100.1:9999"), mapped, "same ip");
        bench.outsider.send(at("198.51.100.3:3478"), mapped, "other ip");
        bench.net.run_for(1s);
        std::vector<std::string> got;
        for (const auto& r : bench.probe.received)
            got.push_back(r.text);
        CHECK(std::ranges::find(got, "known") != got.end());
        CHECK((std::ranges::find(got, "same ip") != got.end()) == c.same_ip_other_port);
        CHECK((std::ranges::find(got, "other ip") != got.end()) == c.other_ip);
        CHECK(bench.net.nat(bench.nat).stats().dropped_filtered ==
              std::uint64_t(!c.same_ip_other_port) + std::uint64_t(!c.other_ip));
    }
}

TEST_CASE("a mapping idle for its timeout is forgotten and replies are dropped") {
    NatBench bench({.mapping = Mapping::endpoint_independent,
                    .filtering = Filtering::endpoint_independent,
                    .mapping_timeout = 30s});
    const auto mapped = bench.reflexive(at("198.51.100.1:3478"));
    bench.net.run_for(28s);  // 29 s idle: still open
    bench.outsider.send(at("198.51.100.3:1"), mapped, "early");
    bench.net.run_for(2s);  // 31 s idle: gone
    bench.outsider.send(at("198.51.100.3:1"), mapped, "late");
    bench.net.run_for(1s);
    REQUIRE(bench.probe.received.size() == 2);
    CHECK(bench.probe.received[1].text == "early");
    CHECK(bench.net.nat(bench.nat).stats().mappings_expired == 1);
    CHECK(bench.net.nat(bench.nat).stats().dropped_no_mapping == 1);
}

TEST_CASE("outbound traffic keeps a mapping alive past its timeout") {
    NatBench bench({.mapping_timeout = 30s});
    const auto first = bench.reflexive(at("198.51.100.1:3478"));
    for (int i = 0; i < 5; ++i) {
        bench.net.run_for(20s);
        CHECK(bench.reflexive(at("198.51.100.1:3478")) == first);
    }
    CHECK(bench.net.nat(bench.nat).stats().mappings_created == 1);
}

TEST_CASE("a NAT rebinding hands out a new external port and drops the old mapping") {
    NatBench bench({});
    const auto before = bench.reflexive(at("198.51.100.1:3478"));
    bench.net.nat(bench.nat).rebind();
    bench.outsider.send(at("198.51.100.3:3478"), before, "to the old mapping");
    const auto after = bench.reflexive(at("198.51.100.1:3478"));
    CHECK(after.ip() == before.ip());
    CHECK(after.port() != before.port());
    CHECK(bench.net.nat(bench.nat).stats().dropped_no_mapping == 1);
}

TEST_CASE("no hairpinning: a host cannot reach its own NAT's external address") {
    NatBench bench({.filtering = Filtering::endpoint_independent});
    const auto mapped = bench.reflexive(at("198.51.100.1:3478"));
    bench.probe.send(at("198.18.1.2:5001"), mapped, "hairpin");
    bench.net.run_for(1s);
    CHECK(bench.probe.received.size() == 1);
    CHECK(bench.net.stats().nat_dropped == 1);
}

TEST_CASE("a NAT nested inside another NAT's zone translates twice") {
    Network net(5);
    const auto outer = net.add_nat(Network::internet, ip("203.0.113.1"), {});
    const auto inner = net.add_nat(net.inside(outer), ip("198.18.0.1"), {});
    const auto host = net.add_host(net.inside(inner), ip("198.18.9.2"));
    const auto server = net.add_host(Network::internet, ip("198.51.100.1"));
    Probe probe;
    Echo echo;
    net.attach(host, probe);
    net.attach(server, echo);
    probe.send(at("198.18.9.2:4000"), at("198.51.100.1:3478"), "?");
    net.run_for(1s);
    REQUIRE(probe.received.size() == 1);
    CHECK(probe.received[0].text == "203.0.113.1:4000");
}

TEST_CASE("a node that asks to be woken in the past forever is reported, not spun on") {
    struct Spinner final : Node {
        void handle_input(Instant, SocketAddress, SocketAddress, ByteSpan) override {}
        void handle_timeout(Instant) override {}
        std::optional<Instant> poll_timeout() const override { return Instant{}; }
        std::optional<Datagram> poll_transmit() override { return std::nullopt; }
    } spinner;
    Network net(1);
    net.attach(net.add_host(Network::internet, ip("198.51.100.1")), spinner);
    CHECK_THROWS_AS(net.run_until([] { return false; }, net.now() + 1s, 1000), std::runtime_error);
}
