// The association as a state machine: the input is a script of API calls, packet deliveries and
// losses, timer ticks, raw DCEP messages and raw SCTP packets (sent with the peer's ports and
// verification tag, so usrsctp parses their chunks) played against two associations in memory.
// Nothing may crash, leak or trip a sanitizer; usrsctp's global state must survive every input.
#include <cstdint>
#include <vector>

#include "common/byte_reader.hpp"
#include "sctp/memory_pair.hpp"
#include "sctp/packet_trace.hpp"

namespace {

using namespace floe;
using namespace floe::sctp;

Instant& clock_now() {  // usrsctp's timers are global: one clock that only moves forward
    static Instant now = Instant{} + std::chrono::hours(1);
    return now;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ByteReader in(ByteSpan(data, size));
    Config ca{.role = Role::client}, cb{.role = Role::server};
    ca.send_buffer_size = cb.send_buffer_size = 32 * 1024;  // reach the send queue quickly
    cb.local_max_message_size = ca.remote_max_message_size = 4096;
    MemoryPair pair(clock_now(), ca, cb);
    pair.collect_events = false;
    std::vector<std::uint16_t> ids_a, ids_b;
    pair.on_event = [&](bool from_a, Event& e) {
        if (auto* r = std::get_if<event::ChannelRequested>(&e))
            (from_a ? ids_a : ids_b).push_back(r->id);
    };
    std::uint32_t drop_ab = 0;
    Bytes header;  // a's latest packet header to b: ports and b's verification tag
    pair.drop = [&](bool a_to_b, ByteSpan packet) {
        if (a_to_b && packet.size() >= 12) header.assign(packet.begin(), packet.begin() + 12);
        if (a_to_b && drop_ab > 0) {
            --drop_ab;
            return true;
        }
        return false;
    };
    pair.establish(2s);
    auto pick = [&](const std::vector<std::uint16_t>& ids, std::uint8_t k) -> std::uint16_t {
        return ids.empty() ? k : ids[k % ids.size()];
    };

    for (int steps = 0; steps < 200 && !in.empty(); ++steps) {
        const std::uint8_t op = *in.u8() % 13;
        const std::uint8_t arg = in.u8().value_or(0);
        Association& a = *pair.a;
        Association& b = *pair.b;
        switch (op) {
            case 0:
            case 1: {
                ChannelOptions o;
                o.reliability.ordered = arg & 1;
                if (arg & 2) o.reliability.max_retransmits = arg >> 4;
                if (arg & 4) o.reliability.max_packet_life_time = arg >> 4;
                if (arg & 8) o.negotiated_id = arg >> 3;
                auto id = (op == 0 ? a : b).open_channel("f", "p", o);
                if (id) (op == 0 ? ids_a : ids_b).push_back(*id);
                break;
            }
            case 2:
            case 3: {
                const std::size_t n = in.u16().value_or(0) % 9000;
                auto bytes = in.bytes(std::min(n, in.remaining()));
                Bytes body(n, arg);
                if (bytes) std::copy(bytes->begin(), bytes->end(), body.begin());
                (void)(op == 2 ? a.send(pick(ids_a, arg), arg & 1, body)
                               : b.send(pick(ids_b, arg), arg & 1, body));
                break;
            }
            case 4:
                a.close_channel(pick(ids_a, arg));
                break;
            case 5:
                b.close_channel(pick(ids_b, arg));
                break;
            case 6:
                pair.pump();
                break;
            case 7:
                pair.run_for(milliseconds(10 * (arg % 64 + 1)));
                break;
            case 8:
                drop_ab = arg % 8;
                break;
            case 9: {  // a raw DCEP message from a on one of its channels
                auto bytes = in.bytes(std::min<std::size_t>(arg, in.remaining()));
                if (bytes) (void)a.send_with_ppid(pick(ids_a, arg), arg % 4 ? 50 : arg, *bytes);
                break;
            }
            case 10: {  // a raw SCTP packet into b, with a valid header
                auto bytes = in.bytes(std::min<std::size_t>(arg * 4u, in.remaining()));
                if (bytes && header.size() == 12) {
                    Bytes packet = header;
                    packet.insert(packet.end(), bytes->begin(), bytes->end());
                    (void)describe_packet(packet);  // the trace decoder must cope too
                    b.handle_input(clock_now(), packet);
                }
                break;
            }
            case 12: {  // arbitrary bytes as a packet, header and all
                auto bytes = in.bytes(std::min<std::size_t>(arg * 4u, in.remaining()));
                if (bytes) a.handle_input(clock_now(), *bytes);
                break;
            }
            case 11:
                if (arg == 0xff)
                    a.close();
                else
                    a.set_buffered_amount_low_threshold(pick(ids_a, arg), arg * 100u);
                break;
        }
    }
    pair.run_for(100ms);
    return 0;
}
