// Data channels under random loss (issue 18), deterministic: the pair in memory drops a seeded
// random 10 % of the packets each way once the channel is open.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <thread>

#include "common/random.hpp"
#include "pair.hpp"

using namespace floe;
using namespace floe::sctp;
using namespace floe::sctp::test;
using namespace std::chrono_literals;

namespace {

// Drops `percent` % of the packets both ways, chosen by a seeded generator.
void random_loss(Pair& p, SeededRandom& random, int percent) {
    p.drop_if = [&random, percent](bool, ByteSpan) {
        return random.uniform(100) < static_cast<std::uint64_t>(percent);
    };
}

Bytes numbered(std::uint32_t n, std::size_t size) {
    Bytes m(std::max<std::size_t>(size, 4));
    for (std::size_t i = 0; i < m.size(); ++i)
        m[i] = static_cast<std::uint8_t>((n >> (8 * (i % 4))) + i / 4);
    return m;
}

std::uint32_t number_of(const Bytes& m) {
    return std::uint32_t{m[0]} | std::uint32_t{m[1]} << 8 | std::uint32_t{m[2]} << 16 |
           std::uint32_t{m[3]} << 24;
}

}  // namespace

TEST_CASE("unordered, max_retransmits 0, 10 % loss: ~90 % arrive at once, none twice, none late") {
    ChannelOptions options;
    options.reliability.ordered = false;
    options.reliability.max_retransmits = 0;
    Pair p;
    const std::uint16_t id = open_from_a(p, options);
    SeededRandom random(18);
    random_loss(p, random, 10);
    constexpr std::uint32_t kCount = 1000;
    std::map<std::uint32_t, int> seen;
    std::uint32_t on_time = 0;
    for (std::uint32_t n = 0; n < kCount; ++n) {
        REQUIRE(p.a->send(id, true, numbered(n, 200)).ok());
        p.pump();  // no time passes: only what arrives without any wait counts as on time
        for (const auto& m : events_of<event::Message>(p.eb)) {
            const std::uint32_t k = number_of(m.data);
            if (++seen[k] == 1 && k == n) ++on_time;
            CHECK(m.data == numbered(k, 200));
        }
        p.eb.clear();
        if (n % 20 == 19) p.run_for(10ms);  // SACKs, FORWARD-TSNs
    }
    p.run_for(2s);
    for (const auto& m : events_of<event::Message>(p.eb))
        ++seen[number_of(m.data)];
    std::size_t twice = 0;
    for (const auto& [k, count] : seen)
        twice += count > 1;
    CHECK(twice == 0);
    // 10 % of DATA packets lost and never resent: about 90 % arrive, each as soon as it is sent.
    MESSAGE("delivered ", seen.size(), " on time ", on_time);
    CHECK(seen.size() >= kCount * 85 / 100);
    CHECK(seen.size() <= kCount * 95 / 100);
    CHECK(on_time == seen.size());
    CHECK(p.a->established());
}

TEST_CASE("ordered reliable, 10 % loss: every message arrives once, in order, intact") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    SeededRandom random(1810);
    random_loss(p, random, 10);
    std::vector<Bytes> sent;
    for (std::uint32_t n = 0; n < 600; ++n) {
        sent.push_back(numbered(n, 1 + random.uniform(3000)));
        REQUIRE(p.a->send(id, true, sent.back()).ok());
        p.pump();
    }
    // usrsctp's T3 timer resends only chunks older than its smoothed RTT in *real* time
    // (sctp_mark_all_for_resend): let a little real time pass with the virtual time.
    REQUIRE(p.run_until(
        [&] {
            std::this_thread::sleep_for(500us);
            return events_of<event::Message>(p.eb).size() >= sent.size();
        },
        120s));
    p.run_for(1s);  // nothing more may come
    const auto got = events_of<event::Message>(p.eb);
    REQUIRE(got.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i)
        CHECK(got[i].data == sent[i]);
    CHECK(p.a->established());
    CHECK(p.b->established());
}

TEST_CASE(
    "the receiver acknowledges every packet while it sees losses, every second one otherwise") {
    Pair p;
    const std::uint16_t id = open_from_a(p);
    p.run_for(2s);
    bool drop_next_data = false;
    std::size_t data_packets = 0, sacks = 0;
    p.drop_if = [&](bool a_to_b, ByteSpan packet) {
        if (a_to_b && !data_chunks(packet).empty()) {
            if (drop_next_data) {
                drop_next_data = false;
                return true;
            }
            ++data_packets;
        }
        if (!a_to_b && has_chunk(packet, 3)) ++sacks;  // SACK, RFC 9260 §3.3.4
        return false;
    };
    // One packet at a time, each carried at once: how many SACKs come back for 40 packets?
    const auto burst = [&] {
        data_packets = sacks = 0;
        for (int i = 0; i < 40; ++i) {
            REQUIRE(p.a->send(id, true, Bytes(1000, 1)).ok());
            p.pump();
        }
        return std::pair{data_packets, sacks};
    };
    const auto [clean_data, clean_sacks] = burst();
    CHECK(clean_data == 40);
    CHECK(clean_sacks <= 22);  // every second packet
    // One loss: b's SACKs report a gap (fast retransmit fills it), then b acknowledges every
    // packet.
    drop_next_data = true;
    burst();
    p.run_for(50ms);
    const auto [lossy_data, lossy_sacks] = burst();
    CHECK(lossy_data == 40);
    CHECK(lossy_sacks >= 38);
    // A second without losses: every second packet again.
    p.run_for(1500ms);
    const auto [later_data, later_sacks] = burst();
    CHECK(later_data == 40);
    CHECK(later_sacks <= 22);
}
