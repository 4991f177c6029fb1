// The sans-IO Binding server: answers, errors and what it drops.
#include <doctest/doctest.h>

#include <floe/stun/builder.hpp>

#include "common/byte_writer.hpp"
#include "stun/binding_server.hpp"

using namespace floe;
using namespace floe::stun;

namespace {

const TransactionId tid = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144};
const SocketAddress v4 = *SocketAddress::parse("192.0.2.9:50000");
const SocketAddress v6 = *SocketAddress::parse("[2001:db8::9]:50001");

Bytes build(MessageType type, void (*extra)(MessageBuilder&) = nullptr) {
    Bytes out;
    MessageBuilder b(out, type, tid);
    if (extra) extra(b);
    b.add_fingerprint();
    REQUIRE(b.finish());
    return out;
}

Message answer(BindingServer& s, Bytes& storage) {
    auto tx = s.poll_transmit();
    REQUIRE(tx);
    storage = tx->data;
    auto m = Message::decode(storage);
    REQUIRE(m);
    CHECK(m->transaction_id() == tid);
    CHECK(m->check_fingerprint());
    CHECK_FALSE(s.poll_transmit());
    return *m;
}

}  // namespace

TEST_CASE("a 20-byte Binding request gets the smallest answer: 40 bytes over IPv4, 52 over IPv6") {
    // Amplification towards a spoofed source: XOR-MAPPED-ADDRESS and FINGERPRINT only, by
    // default; no MAPPED-ADDRESS, no SOFTWARE.
    BindingServer s;
    Bytes bare;
    MessageBuilder(bare, {method::binding, MessageClass::request}, tid);
    REQUIRE(bare.size() == 20);
    for (const auto& entry : {std::pair{v4, 40u}, std::pair{v6, 52u}}) {
        const auto& from = entry.first;  // CAPTURE takes it, which a binding may not be (clang 14)
        const auto size = entry.second;
        CAPTURE(from.to_string());
        s.handle_input(Instant{}, from, bare);
        Bytes storage;
        Message m = answer(s, storage);
        CHECK(storage.size() == size);
        CHECK(m.type() == MessageType{method::binding, MessageClass::success_response});
        CHECK(*m.xor_mapped_address() == from);
        CHECK_FALSE(m.has(attr::mapped_address));
        CHECK_FALSE(m.has(attr::software));
    }
    CHECK(s.counters().success_responses == 2);
}

TEST_CASE("the largest answers to the smallest requests: 400 and 420, as docs/stun.md says") {
    // What amplification remains (docs/stun.md): a 20-byte request of another method gets a
    // 48-byte 400; a 24-byte request with one unknown comprehension-required attribute gets a
    // 64-byte 420 (ERROR-CODE with its reason phrase, UNKNOWN-ATTRIBUTES, FINGERPRINT).
    BindingServer s;
    Bytes other;
    MessageBuilder(other, {method::allocate, MessageClass::request}, tid);
    REQUIRE(other.size() == 20);
    s.handle_input(Instant{}, v4, other);
    Bytes storage;
    CHECK(answer(s, storage).error_code()->code == 400);
    CHECK(storage.size() == 48);
    Bytes unknown;
    MessageBuilder(unknown, {method::binding, MessageClass::request}, tid).add(0x7f01, {});
    REQUIRE(unknown.size() == 24);
    s.handle_input(Instant{}, v6, unknown);
    CHECK(answer(s, storage).error_code()->code == 420);
    CHECK(storage.size() == 64);
}

TEST_CASE("SOFTWARE is added only when configured") {
    BindingServer s({.software = "floe-test"});
    for (const auto& from : {v4, v6}) {
        s.handle_input(Instant{}, from, build({method::binding, MessageClass::request}));
        Bytes storage;
        Message m = answer(s, storage);
        CHECK(*m.xor_mapped_address() == from);
        CHECK(*m.software() == "floe-test");
        CHECK_FALSE(m.has(attr::mapped_address));
        // 16 more bytes: the attribute header and "floe-test" padded to 12.
        CHECK(storage.size() == (from.is_v4() ? 40u : 52u) + 16u);
    }
}

TEST_CASE("an unknown comprehension-required attribute gets 420 listing it") {
    BindingServer s;
    s.handle_input(
        Instant{}, v4, build({method::binding, MessageClass::request}, [](auto& b) {
            b.add(0x7f01, as_bytes("x")).add(0xc001, as_bytes("ignored")).add(0x0031, {});
        }));
    Bytes storage;
    Message m = answer(s, storage);
    CHECK(m.message_class() == MessageClass::error_response);
    CHECK(m.error_code()->code == 420);
    auto list = *m.unknown_attributes_list();
    REQUIRE(list.size() == 2);
    CHECK(list[0] == 0x7f01);
    CHECK(list[1] == 0x0031);
    CHECK(s.counters().unknown_attribute == 1);
}

TEST_CASE("malformed attributes and other methods get 400; broken framing is dropped silently") {
    BindingServer s;
    // PRIORITY with 2 bytes: the header is fine, so the server can answer 400.
    Bytes bad = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42};
    ByteWriter(bad).bytes(tid);
    for (std::uint8_t b : {0x00, 0x24, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00})
        bad.push_back(b);
    s.handle_input(Instant{}, v4, bad);
    Bytes storage;
    CHECK(answer(s, storage).error_code()->code == 400);
    CHECK(s.counters().bad_request == 1);

    s.handle_input(Instant{}, v4, build({method::allocate, MessageClass::request}));
    Message m = answer(s, storage);
    CHECK(m.error_code()->code == 400);
    CHECK(m.method() == method::allocate);
    CHECK(s.counters().unsupported_method == 1);

    Bytes truncated = build({method::binding, MessageClass::request});
    truncated.resize(truncated.size() - 4);
    s.handle_input(Instant{}, v4, truncated);
    CHECK_FALSE(s.poll_transmit());
    CHECK(s.counters().dropped_malformed == 1);
}

TEST_CASE("indications, responses, non-STUN and a wrong FINGERPRINT are dropped and counted") {
    BindingServer s;
    s.handle_input(Instant{}, v4, build({method::binding, MessageClass::indication}));
    s.handle_input(Instant{}, v4, build({method::binding, MessageClass::success_response}));
    s.handle_input(Instant{}, v4, build({method::binding, MessageClass::error_response}));
    const Bytes dtls = {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    s.handle_input(Instant{}, v4, dtls);
    s.handle_input(Instant{}, v4, Bytes{});
    Bytes bad_fp = build({method::binding, MessageClass::request});
    bad_fp.back() ^= 0xff;
    s.handle_input(Instant{}, v4, bad_fp);
    CHECK_FALSE(s.poll_transmit());
    const auto& c = s.counters();
    CHECK(c.received == 6);
    CHECK(c.dropped_indication == 1);
    CHECK(c.dropped_response == 2);
    CHECK(c.dropped_not_stun == 2);
    CHECK(c.dropped_bad_fingerprint == 1);
    CHECK(c.success_responses == 0);
    CHECK(to_string(c).find("dropped_response=2") != std::string::npos);
}

TEST_CASE("responses beyond the queue bound are dropped and counted, not buffered") {
    BindingServer s({.max_queued = 2});
    const Bytes req = build({method::binding, MessageClass::request});
    for (int i = 0; i < 3; ++i)
        s.handle_input(Instant{}, v4, req);
    CHECK(s.poll_transmit());
    CHECK(s.poll_transmit());
    CHECK_FALSE(s.poll_transmit());
    CHECK(s.counters().dropped_queue_full == 1);
}
