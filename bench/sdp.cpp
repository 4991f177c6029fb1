// SDP figures: parsing and writing the Chromium 156 non-trickle data-channel offer (the shared
// sample chromium/offer.sdp, copied here byte for byte), and the JSEP steps a connection set-up
// takes with it; and the bounds of a hostile description (issue 13): 12,000 sections with a
// BUNDLE group of 60,000 mids (746 KB, once 1.7 s to refuse), and a description at the limits
// (1,024 sections, all bundled) that must still be read. docs/sdp.md "Limits" quotes these.
// Instructions/op: bench/callgrind.sh build/release/bench/bench_sdp CASE
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

// A description with `sections` sections (the first a data section) and a BUNDLE group of
// `mids` mids; credentials at session level so that only the bounds and the BUNDLE check refuse
// it.
std::string many_sections(std::size_t sections, std::size_t mids) {
    std::string out = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
    for (std::size_t i = 0; i < mids; ++i)
        out += ' ' + std::to_string(i);
    out +=
        "\r\na=ice-ufrag:Ys3t\r\na=ice-pwd:Mu2KvTcbNWKcf7tE4kXE1aww\r\na=fingerprint:sha-256 "
        "AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:"
        "AB:AB\r\na=setup:actpass\r\nm=application 9 UDP/DTLS/SCTP "
        "webrtc-datachannel\r\na=mid:0\r\n";
    for (std::size_t i = 1; i < sections; ++i)
        out += "m=audio 0 RTP/AVP 0\r\na=mid:" + std::to_string(i) + "\r\n";
    return out;
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
    const std::string hostile = many_sections(12000, 60000);
    if (sdp::read_remote(hostile, sdp::SdpType::offer)) return EXIT_FAILURE;
    bench::run("refuse_12000_sections_60000_mids", options, [&] {
        auto remote = sdp::read_remote(hostile, sdp::SdpType::offer);
        bench::keep(remote);
    });
    const std::string at_limits =
        many_sections(sdp::limits::media_sections, sdp::limits::group_mids);
    if (!sdp::read_remote(at_limits, sdp::SdpType::offer)) return EXIT_FAILURE;
    bench::run("read_remote_1024_sections_bundled", options, [&] {
        auto remote = sdp::read_remote(at_limits, sdp::SdpType::offer);
        bench::keep(remote);
    });
    return 0;
}
