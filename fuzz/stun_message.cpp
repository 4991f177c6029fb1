// STUN messages: decode; read every attribute through its typed getter; re-encode through the
// builder, decode again and compare; sign the re-encoded attributes (MESSAGE-INTEGRITY,
// MESSAGE-INTEGRITY-SHA256, FINGERPRINT) and check that they verify; feed the Binding server.
#include <cstdint>
#include <cstdlib>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "stun/binding_server.hpp"

using namespace floe;
using namespace floe::stun;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void read_everything(const Message& m) {
    (void)m.mapped_address();
    (void)m.xor_mapped_address();
    (void)m.alternate_server();
    (void)m.username();
    (void)m.userhash();
    (void)m.realm();
    (void)m.nonce();
    (void)m.software();
    (void)m.alternate_domain();
    (void)m.priority();
    (void)m.use_candidate();
    (void)m.ice_controlled();
    (void)m.ice_controlling();
    (void)m.fingerprint();
    (void)m.message_integrity();
    (void)m.message_integrity_sha256();
    if (auto e = m.error_code()) check(e->code >= 300 && e->code <= 699);
    if (auto list = m.unknown_attributes_list())
        for (std::size_t i = 0; i < list->size(); ++i)
            (void)(*list)[i];
    if (auto algs = m.password_algorithms()) (void)algs->size();
    (void)m.password_algorithm();
    std::uint16_t unknown[max_attributes];
    check(m.unknown_comprehension_required(unknown) <= m.unknown_attributes(unknown));
    // Decode validated the address attributes: their getters must succeed.
    if (m.has(attr::xor_mapped_address)) check(m.xor_mapped_address().has_value());
    if (m.has(attr::mapped_address)) check(m.mapped_address().has_value());
}

bool is_trailer(std::uint16_t type) {
    return type == attr::message_integrity || type == attr::message_integrity_sha256 ||
           type == attr::fingerprint;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ByteSpan input(data, size);
    static const IntegrityKey key = IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt");

    static BindingServer server;
    server.handle_input(Instant{}, SocketAddress(IpAddress::loopback(AddressFamily::ipv6), 9),
                        input);
    while (auto tx = server.poll_transmit())
        check(Message::decode(tx->data).ok());

    auto m = Message::decode(input);
    if (!m) return 0;
    read_everything(*m);
    (void)m->check_fingerprint();
    (void)m->check_integrity(key);
    (void)m->check_integrity_sha256(key);

    // Re-encode attribute by attribute: same order, same values (padding becomes zeros).
    Bytes again;
    MessageBuilder b(again, m->type(), m->transaction_id());
    for (const RawAttribute& a : m->attributes())
        b.add(a.type, m->value(a));
    auto encoded = b.finish();
    check(encoded.ok());
    check(encoded->size() == size);
    auto m2 = Message::decode(*encoded);
    check(m2.ok());
    check(m2->type() == m->type() && m2->transaction_id() == m->transaction_id());
    check(m2->attributes().size() == m->attributes().size());
    for (std::size_t i = 0; i < m->attributes().size(); ++i) {
        const RawAttribute& a = m->attributes()[i];
        const RawAttribute& c = m2->attributes()[i];
        check(a.type == c.type && a.length == c.length && a.offset == c.offset);
        check(equal_constant_time(m->value(a), m2->value(c)));
    }
    check(m2->xor_mapped_address() == m->xor_mapped_address());
    check(m2->error_code().has_value() == m->error_code().has_value());

    // Sign the non-trailer attributes afresh: integrity and fingerprint must verify.
    Bytes signed_bytes;
    MessageBuilder s(signed_bytes, m->type(), m->transaction_id());
    std::size_t kept = 0;
    for (const RawAttribute& a : m->attributes())
        if (!is_trailer(a.type) && kept < max_attributes - 3) {
            s.add(a.type, m->value(a));
            ++kept;
        }
    s.add_message_integrity(key).add_message_integrity_sha256(key).add_fingerprint();
    if (auto out = s.finish()) {  // may exceed 64 KiB in theory; then the builder says so
        auto m3 = Message::decode(*out);
        check(m3.ok());
        check(m3->check_integrity(key));
        check(m3->check_integrity_sha256(key));
        check(m3->check_fingerprint());
        check(!m3->check_integrity(IntegrityKey::short_term("other")));
    }
    return 0;
}
