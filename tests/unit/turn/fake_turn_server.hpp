// A scripted TURN server for the client's unit tests, sans-IO like the client: requests in,
// answers out, on the test's virtual clock. It enforces what a real server enforces (the
// long-term credential, the allocation's, permissions' and channels' lifetimes), so a client that
// refreshes late loses them here as it would against coturn (tests/e2e/turn_coturn.cpp).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "common/time.hpp"
#include "turn/channel_data.hpp"

namespace floe::test {

struct FakeTurnServer {
    std::string realm = "floe.test";
    std::string username = "alice";
    std::string password = "secret";
    bool offer_sha256 = false;
    SocketAddress relayed = *SocketAddress::parse("192.0.2.15:50000");
    SocketAddress mapped = *SocketAddress::parse("198.51.100.7:41000");
    std::uint32_t max_lifetime = 600;
    // Scripted trouble.
    bool stale_next = false;                 // the next authenticated request gets a 438
    bool always_stale = false;               // every authenticated request gets a 438
    std::map<std::uint16_t, int> fail_with;  // method -> error code for authenticated requests
    bool silent = false;                     // answers nothing

    // What it saw and holds.
    struct Seen {
        Instant at;
        std::uint16_t method;
        std::optional<std::uint32_t> lifetime;
        std::optional<SocketAddress> peer;
    };
    std::vector<Seen> accepted;  // authenticated requests it granted
    int requests = 0;
    int nonce_number = 1;
    std::optional<Instant> allocation_expires;
    std::map<IpAddress, Instant> permission_expires;
    std::map<std::uint16_t, std::pair<SocketAddress, Instant>> channels;
    std::vector<std::pair<SocketAddress, Bytes>> relayed_out;  // what it would send to peers
    int lost_allocations = 0;  // the allocation expired before a refresh came
    int lost_permissions = 0;  // data for a peer whose permission had expired

    std::string nonce() const {
        return (offer_sha256 ? "obMatJos2" : std::string()) + "nonce-" +
               std::to_string(nonce_number);
    }
    stun::IntegrityKey key() const {
        return offer_sha256 ? stun::IntegrityKey::long_term_sha256(username, realm, password)
                            : stun::IntegrityKey::long_term_md5(username, realm, password);
    }
    bool allocated(Instant now) const { return allocation_expires && now < *allocation_expires; }
    bool permitted(Instant now, const IpAddress& ip) const {
        auto it = permission_expires.find(ip);
        return it != permission_expires.end() && now < it->second;
    }
    int count(std::uint16_t method, std::optional<std::uint32_t> lifetime = {}) const {
        int n = 0;
        for (const auto& s : accepted)
            n += s.method == method && (!lifetime || s.lifetime == lifetime);
        return n;
    }

    // Data from a peer, as the server would relay it to the client: ChannelData when a channel
    // is bound to the peer, else a Data indication.
    Bytes from_peer(Instant now, const SocketAddress& peer, ByteSpan data) const {
        Bytes out;
        for (const auto& [number, c] : channels)
            if (c.first == peer && now < c.second) {
                turn::encode_channel_data(out, number, data, false);
                return out;
            }
        stun::MessageBuilder b(out, {stun::method::data, stun::MessageClass::indication},
                               stun::TransactionId{9, 9, 9});
        b.add_xor_peer_address(peer).add_data(data);
        (void)b.finish();
        return out;
    }

    std::vector<Bytes> handle(Instant now, ByteSpan bytes) {
        if (allocation_expires && now >= *allocation_expires) {
            ++lost_allocations;
            allocation_expires.reset();
        }
        if (turn::looks_like_channel_data(bytes)) {
            auto cd = turn::decode_channel_data(bytes);
            REQUIRE(cd);
            auto it = channels.find(cd->channel);
            REQUIRE(it != channels.end());
            relay(now, it->second.first, cd->data);
            return {};
        }
        auto m = stun::Message::decode(bytes);
        REQUIRE(m);
        if (m->message_class() == stun::MessageClass::indication) {
            REQUIRE(m->method() == stun::method::send);
            relay(now, *m->xor_peer_address(), *m->data());
            return {};
        }
        ++requests;
        if (silent) return {};
        const auto type = m->type();
        if (!m->username()) return {answer_error(*m, 401, true)};
        const bool good =
            offer_sha256 ? m->check_integrity_sha256(key()) : m->check_integrity(key());
        if (!good || *m->username() != username) return {answer_error(*m, 401, true)};
        // The nonce expires when the script says so (a real server: after some time); requests
        // signed with an old one get a 438 with the current one.
        if (stale_next || always_stale) {
            stale_next = false;
            ++nonce_number;
            return {answer_error(*m, 438, true)};
        }
        if (*m->nonce() != nonce()) return {answer_error(*m, 438, true)};
        if (auto f = fail_with.find(type.method); f != fail_with.end())
            return {answer_error(*m, f->second, false)};
        Bytes out;
        stun::MessageBuilder b(out, {type.method, stun::MessageClass::success_response},
                               m->transaction_id());
        Seen seen{now, type.method, m->lifetime(), m->xor_peer_address()};
        switch (type.method) {
            case stun::method::allocate: {
                REQUIRE(m->requested_transport() == stun::transport_udp);
                const std::uint32_t granted = std::min(*m->lifetime(), max_lifetime);
                allocation_expires = now + std::chrono::seconds(granted);
                b.add_xor_relayed_address(relayed).add_xor_mapped_address(mapped);
                b.add_lifetime(granted);
                break;
            }
            case stun::method::refresh: {
                if (!allocated(now)) return {answer_error(*m, 437, false)};
                const std::uint32_t granted = std::min(*m->lifetime(), max_lifetime);
                if (granted == 0)
                    allocation_expires.reset();
                else
                    allocation_expires = now + std::chrono::seconds(granted);
                b.add_lifetime(granted);
                break;
            }
            case stun::method::create_permission:
                if (!allocated(now)) return {answer_error(*m, 437, false)};
                permission_expires[m->xor_peer_address()->ip()] = now + 300s;
                break;
            case stun::method::channel_bind:
                if (!allocated(now)) return {answer_error(*m, 437, false)};
                channels[*m->channel_number()] = {*m->xor_peer_address(), now + 600s};
                permission_expires[m->xor_peer_address()->ip()] = now + 300s;
                break;
            default:
                FAIL("unexpected method");
        }
        accepted.push_back(seen);
        b.add_message_integrity(key()).add_fingerprint();
        REQUIRE(b.finish());
        return {out};
    }

  private:
    void relay(Instant now, const SocketAddress& peer, ByteSpan data) {
        if (!permitted(now, peer.ip())) {
            ++lost_permissions;
            return;
        }
        relayed_out.emplace_back(peer, Bytes(data.begin(), data.end()));
    }

    Bytes answer_error(const stun::Message& request, int code, bool challenge) {
        Bytes out;
        stun::MessageBuilder b(out, {request.method(), stun::MessageClass::error_response},
                               request.transaction_id());
        b.add_error_code(code);
        if (challenge) {
            b.add_realm(realm).add_nonce(nonce());
            if (offer_sha256) {
                const stun::PasswordAlgorithmEntry algorithms[] = {{2, {}}, {1, {}}};
                b.add_password_algorithms(algorithms);
            }
        }
        b.add_fingerprint();
        REQUIRE(b.finish());
        return out;
    }
};

}  // namespace floe::test
