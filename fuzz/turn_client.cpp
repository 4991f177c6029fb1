// The TURN client as a state machine: the input is a program of operations (server answers,
// peer data, ChannelData, stream bytes, API calls, time passing) run against one client. Answers
// are raw bytes, or well-formed responses to the client's latest request built from fuzz-chosen
// fields (class, error code, REALM/NONCE, addresses, LIFETIME) and signed with the right key, a
// wrong one or none, so the fuzzer reaches every state of an allocation: challenged, allocated,
// refreshing, with permissions and channels, closing, closed, failed.
//
// Invariants checked after every operation:
// - after handle_timeout(now), poll_timeout() is later than now (no busy loop);
// - every transmit is non-empty and goes to the server;
// - once closed or failed: no timeouts, no transmits, send_to refuses;
// - bound channels are in 0x4000-0x4FFF;
// - the stream framer never returns more bytes than it was given.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "common/byte_reader.hpp"
#include "common/random.hpp"
#include "turn/channel_data.hpp"
#include "turn/client.hpp"
#include "turn/stream_framer.hpp"

using namespace floe;

namespace {

const SocketAddress server = *SocketAddress::parse("192.0.2.1:3478");
const std::array<const char*, 4> peers = {"203.0.113.5:9000", "203.0.113.6:9001",
                                          "[2001:db8::7]:9002", "203.0.113.5:9003"};
const std::array<int, 12> codes = {300, 400, 401, 403, 420, 437, 438, 441, 442, 486, 500, 508};
const std::array<const char*, 3> nonces = {"nonce-a", "nonce-b", "obMatJos2nonce-c"};

void check(bool condition) {
    if (!condition) std::abort();
}

class Harness {
  public:
    explicit Harness(ByteReader& in)
        : in_(in), random_(in.u64().value_or(0)), client_(make_config(in), random_, now_) {}

    void run() {
        drain();  // the first Allocate, so that answers have a request to answer
        while (!in_.empty()) {
            step();
            drain();
            invariants();
        }
        client_.close(now_);
        drain();
        for (int i = 0; i < 64 && client_.poll_timeout(); ++i) {
            now_ = std::max(now_, *client_.poll_timeout());
            client_.handle_timeout(now_);
            drain();
            invariants();
        }
    }

  private:
    static turn::ClientConfig make_config(ByteReader& in) {
        turn::ClientConfig c;
        const std::uint8_t flags = in.u8().value_or(0);
        c.server = server;
        c.username = "user";
        c.password = "pass";
        c.stream = flags & 1;
        c.lifetime_seconds = (flags & 2) ? 0 : 600;
        if (flags & 4) c.software = "fuzz";
        return c;
    }

    SocketAddress pick_peer() {
        return *SocketAddress::parse(peers[in_.u8().value_or(0) % peers.size()]);
    }
    Bytes take_bytes() {
        const std::size_t n = in_.u8().value_or(0);
        auto b = in_.bytes(std::min(n, in_.remaining()));
        return b ? Bytes(b->begin(), b->end()) : Bytes{};
    }

    void step() {
        const std::uint8_t op = in_.u8().value_or(0);
        switch (op % 11) {
            case 0:
                client_.handle_input(now_, take_bytes());
                break;
            case 1:
                answer();
                break;
            case 2: {  // a Data indication from a peer
                Bytes out;
                stun::TransactionId id{};
                random_.fill(id);
                stun::MessageBuilder b(out, {stun::method::data, stun::MessageClass::indication},
                                       id);
                b.add_xor_peer_address(pick_peer()).add_data(take_bytes());
                if (b.finish()) client_.handle_input(now_, out);
                break;
            }
            case 3: {  // ChannelData on a fuzz-chosen channel
                Bytes out;
                const std::uint16_t channel = 0x4000 + (in_.u8().value_or(0) % 4);
                turn::encode_channel_data(out, channel, take_bytes(), in_.u8().value_or(0) & 1);
                client_.handle_input(now_, out);
                break;
            }
            case 4:  // time passes (up to ~18 minutes)
                now_ += std::chrono::milliseconds(std::uint64_t{in_.u16().value_or(0)} * 16);
                client_.handle_timeout(now_);
                check(!client_.poll_timeout() || *client_.poll_timeout() > now_);
                break;
            case 5:
                client_.create_permission(now_, pick_peer());
                break;
            case 6: {
                const auto r = client_.send_to(pick_peer(), take_bytes());
                if (closed()) check(r == turn::SendResult::not_allocated);
                break;
            }
            case 7:
                client_.bind_channel(now_, pick_peer());
                break;
            case 8:
                if ((in_.u8().value_or(0) & 7) == 0) client_.close(now_);
                break;
            case 9:
                stream_bytes();
                break;
            case 10: {  // a mutated copy of the last transmit, as if reflected
                if (last_.empty()) break;
                Bytes copy = last_;
                copy[in_.u16().value_or(0) % copy.size()] ^= in_.u8().value_or(1);
                client_.handle_input(now_, copy);
                break;
            }
        }
    }

    // A response to the client's latest request with fuzz-chosen contents.
    void answer() {
        auto request = stun::Message::decode(last_);
        if (!request || request->message_class() != stun::MessageClass::request) return;
        const std::uint8_t flags = in_.u8().value_or(0);
        const bool success = flags & 1;
        Bytes out;
        stun::MessageBuilder b(out,
                               {request->method(), success ? stun::MessageClass::success_response
                                                           : stun::MessageClass::error_response},
                               request->transaction_id());
        const char* nonce = nonces[(flags >> 1) % nonces.size()];
        if (!success) {
            b.add_error_code(codes[in_.u8().value_or(0) % codes.size()]);
            if (flags & 8) b.add_realm("realm").add_nonce(nonce);
            if (flags & 16) {
                const stun::PasswordAlgorithmEntry algorithms[] = {{2, {}}, {1, {}}};
                b.add_password_algorithms(algorithms);
            }
        } else {
            if (flags & 8) b.add_xor_relayed_address(pick_peer());
            if (flags & 16) b.add_xor_mapped_address(pick_peer());
            if (flags & 32) b.add_lifetime(in_.u32().value_or(0));
        }
        switch (flags >> 6) {
            case 0:
                b.add_message_integrity(stun::IntegrityKey::long_term_md5("user", "realm", "pass"));
                break;
            case 1:
                b.add_message_integrity_sha256(
                    stun::IntegrityKey::long_term_sha256("user", "realm", "pass"));
                break;
            case 2:
                b.add_message_integrity(stun::IntegrityKey::long_term_md5("user", "realm", "x"));
                break;
            default:
                break;
        }
        b.add_fingerprint();
        if (b.finish()) client_.handle_input(now_, out);
    }

    // Bytes through the TCP/TLS framer, each whole message to the client.
    void stream_bytes() {
        const Bytes bytes = take_bytes();
        if (!framer_.push(bytes)) return;
        pushed_ += bytes.size();
        while (auto m = framer_.next()) {
            taken_ += m->size();
            check(taken_ <= pushed_);
            client_.handle_input(now_, *m);
        }
    }

    bool closed() const {
        return client_.state() == turn::Client::State::closed ||
               client_.state() == turn::Client::State::failed;
    }

    void drain() {
        while (auto t = client_.poll_transmit()) {
            check(!t->data.empty());
            check(t->destination == server);
            last_ = std::move(t->data);
        }
        while (auto e = client_.poll_event())
            if (e->kind == turn::Event::Kind::channel_bound)
                check(turn::is_valid_channel(e->channel));
    }

    void invariants() {
        if (closed()) {
            check(!client_.poll_timeout());
            check(!client_.poll_transmit());
        }
    }

    ByteReader& in_;
    SeededRandom random_;
    Instant now_ = Instant{} + std::chrono::hours(1);
    turn::Client client_;
    turn::StreamFramer framer_{4096};
    Bytes last_;
    std::size_t pushed_ = 0;
    std::size_t taken_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ByteReader in(ByteSpan(data, size));
    Harness(in).run();
    return 0;
}
