// SDP figures: parsing and writing the Chromium 156 non-trickle data-channel offer (the shared
// sample chromium/offer.sdp, copied here byte for byte), and the JSEP steps a connection set-up
// takes with it. Instructions/op: bench/callgrind.sh build/release/bench/bench_sdp CASE
#include "support/bench.hpp"

#include <cstdlib>
#include <string>

#include <floe/sdp/jsep.hpp>
#include <floe/sdp/session_description.hpp>

namespace {

const std::string chromium_offer =
    "v=0\r\n"
    "o=- 8245390087951482411 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 33038 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 198.18.0.1\r\n"
    "a=candidate:1848090273 1 udp 2113937151 198.18.0.1 33038 typ host generation 0 network-cost "
    "999\r\n"
    "a=ice-ufrag:O5fO\r\n"
    "a=ice-pwd:hZ6X3AUrFLb5KkCmwA+VFYDb\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "9D:5D:84:D6:FE:78:56:83:F3:65:15:06:3E:E6:A3:EB:CC:39:09:E4:C8:FE:26:EF:A0:48:37:6B:C2:00:1D:"
    "9D\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

floe::sdp::LocalParameters local_parameters() {
    floe::sdp::LocalParameters local;
    local.ice_ufrag = "fLoE";
    local.ice_pwd = "0123456789abcdefABCDEF+/";
    local.fingerprint.digest.assign(32, 0xab);
    local.session_id = 4611686018427387903ull;
    local.session_version = 2;
    return local;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace floe;
    const auto options = bench::Options::parse(argc, argv);
    auto parsed = sdp::parse(chromium_offer);
    if (!parsed || sdp::write(*parsed) != chromium_offer) return EXIT_FAILURE;
    const auto local = local_parameters();

    bench::run("parse_chromium_offer", options, [&] {
        auto sd = sdp::parse(chromium_offer);
        bench::keep(sd);
    });
    bench::run("write_chromium_offer", options, [&] {
        auto text = sdp::write(*parsed);
        bench::keep(text);
    });
    std::string buffer;
    bench::run("write_chromium_offer_reused_buffer", options, [&] {
        buffer.clear();
        sdp::write(*parsed, buffer);
        bench::keep(buffer);
    });
    bench::run("read_remote_chromium_offer", options, [&] {
        auto remote = sdp::read_remote(chromium_offer, sdp::SdpType::offer);
        bench::keep(remote);
    });
    bench::run("answer_chromium_offer", options, [&] {
        auto answer = sdp::create_answer(*parsed, local);
        auto text = sdp::write(*answer);
        bench::keep(text);
    });
    bench::run("create_offer", options, [&] {
        auto offer = sdp::create_offer(local);
        auto text = sdp::write(*offer);
        bench::keep(text);
    });
    return 0;
}
