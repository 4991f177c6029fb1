// STUN codec costs:
//   decode_request           plain decode of the RFC 5769 §2.1 request (108 bytes, 6 attributes)
//   decode_validate_request  decode + FINGERPRINT + MESSAGE-INTEGRITY (short-term key, prepared
//   once) build_response           Binding success response: XOR-MAPPED-ADDRESS + MESSAGE-INTEGRITY
//   +
//                            FINGERPRINT, into a fixed buffer
//   key_setup                deriving an IntegrityKey (once per credential, for comparison)
// Instructions/op: bench/callgrind.sh build/release/bench/bench_stun_codec CASE
#include <array>
#include <cstdio>
#include <cstdlib>

#include <floe/stun/builder.hpp>
#include <floe/stun/message.hpp>

#include "support/bench.hpp"

using namespace floe;
using namespace floe::stun;

int main(int argc, char** argv) {
    const auto options = bench::Options::parse(argc, argv);
    // RFC 5769 §2.1 sample request (the same bytes as ../shared/testdata/stun-rfc5769).
    const Bytes request = *from_hex(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573742063"
        "6c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a68"
        "367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e5"
        "7a3bcf");
    const auto key = IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt");
    {  // the cases must do what they claim
        auto m = Message::decode(request);
        if (!m || !m->check_fingerprint() || !m->check_integrity(key)) {
            std::fprintf(stderr, "bench_stun_codec: the RFC 5769 request does not verify\n");
            return 1;
        }
    }

    bench::run("decode_request", options, [&] {
        auto m = Message::decode(request);
        bench::keep(m.ok());
    });

    bench::run("decode_validate_request", options, [&] {
        auto m = Message::decode(request);
        const bool ok = m && m->check_fingerprint() && m->check_integrity(key);
        if (!ok) std::abort();
        bench::keep(ok);
    });

    const TransactionId id = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                              0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
    const SocketAddress mapped = *SocketAddress::parse("192.0.2.1:32853");
    std::array<std::uint8_t, 128> buffer;
    bench::run("build_response", options, [&] {
        MessageBuilder b(buffer, {method::binding, MessageClass::success_response}, id);
        b.add_xor_mapped_address(mapped).add_message_integrity(key).add_fingerprint();
        auto out = b.finish();
        bench::keep(out.ok());
        bench::keep(buffer);
    });

    bench::run("key_setup", options, [&] {
        auto k = IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt");
        bench::keep(k);
    });
    return 0;
}
