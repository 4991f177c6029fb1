// What the parser tolerates (docs/sdp.md "What the parser tolerates"): each case bends one line
// of a valid offer the way some real stack does, or in a way floe does not rely on. Each must be
// accepted, keep the line somewhere (nothing is silently dropped), survive write -> parse, and
// still get an answer. Before issue 13 every one of these failed the whole description.
#include <doctest/doctest.h>

#include <floe/log.hpp>
#include <floe/sdp/attributes.hpp>
#include <floe/sdp/jsep.hpp>
#include <floe/sdp/session_description.hpp>

#include <algorithm>
#include <functional>
#include <mutex>

#include "sdp_test_support.hpp"

using namespace floe::sdp;
using sdp_test::inserted;
using sdp_test::replaced;

namespace {

bool contains(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

struct Case {
    const char* what;
    std::string sdp;
    // Where the bent line went, and what floe reads from the description.
    std::function<bool(const RemoteDescription&)> check;
};

LocalParameters local_parameters() {
    LocalParameters local;
    local.ice_ufrag = "fLoE";
    local.ice_pwd = "0123456789abcdefABCDEF+/";
    local.fingerprint.digest.assign(32, 0xab);
    return local;
}

std::vector<Case> cases() {
    const auto& fp = sdp_test::fp;
    return {
        {"libdatachannel's comma-separated ice-options", replaced(11, "a=ice-options:ice2,trickle"),
         [](const RemoteDescription& r) {
             return r.ice_options.trickle && r.ice_options.ice2 && r.ice_options.others.empty() &&
                    r.description.media[0].value("ice-options") == "ice2,trickle";
         }},
        {"ice-options with a comma and a space", replaced(11, "a=ice-options:trickle, ice2"),
         [](const RemoteDescription& r) { return r.ice_options.trickle && r.ice_options.ice2; }},
        {"unknown ice-options", replaced(11, "a=ice-options:google-ice renomination"),
         [](const RemoteDescription& r) {
             return !r.ice_options.trickle &&
                    r.ice_options.others == std::vector<std::string>{"google-ice", "renomination"};
         }},
        {"empty ice-options", replaced(11, "a=ice-options:"),
         [](const RemoteDescription& r) { return r.ice_options == IceOptions{}; }},
        {"o= with 5 fields", replaced(2, "o=- 1 2 IN IP4"),
         [](const RemoteDescription& r) {
             return r.description.origin.as_written == "- 1 2 IN IP4";
         }},
        {"o= with 7 fields", replaced(2, "o=- 1 2 IN IP4 127.0.0.1 x"),
         [](const RemoteDescription& r) {
             return r.description.origin.as_written == "- 1 2 IN IP4 127.0.0.1 x";
         }},
        {"o= session id not a number",
         replaced(2, "o=mozilla...THIS_IS_SDPARTA abc 0 IN IP4 0.0.0.0"),
         [](const RemoteDescription& r) { return r.description.origin.as_written.has_value(); }},
        {"o= session id beyond 64 bits", replaced(2, "o=- 99999999999999999999 2 IN IP4 ::1"),
         [](const RemoteDescription& r) { return r.description.origin.as_written.has_value(); }},
        {"s= empty", replaced(3, "s="),
         [](const RemoteDescription& r) { return r.description.session_name.empty(); }},
        {"s= twice", inserted(4, "s=again"),
         [](const RemoteDescription& r) {
             return r.description.session_name == "-" &&
                    contains(r.description.other_lines, "s=again");
         }},
        {"t= with one field", replaced(4, "t=0"),
         [](const RemoteDescription& r) {
             return contains(r.description.other_lines, "t=0") &&
                    r.description.timings == std::vector<Timing>{Timing{}};
         }},
        {"t= not numeric", replaced(4, "t=now 0"),
         [](const RemoteDescription& r) { return contains(r.description.other_lines, "t=now 0"); }},
        {"r= before t=", inserted(4, "r=7d 1h 0 25h"),
         [](const RemoteDescription& r) {
             return r.description.timings[0].repeats == std::vector<std::string>{"7d 1h 0 25h"};
         }},
        {"k= twice after t= (the first counts; found by fuzz_sdp_parse)",
         inserted(5, "k=clear:x\r\nk=prompt"),
         [](const RemoteDescription& r) {
             return r.description.key == "clear:x" &&
                    contains(r.description.other_lines, "k=prompt");
         }},
        {"an unknown line type", inserted(5, "x=1"),
         [](const RemoteDescription& r) { return contains(r.description.other_lines, "x=1"); }},
        {"an empty line in the middle", inserted(5, ""),
         [](const RemoteDescription& r) { return r.description.other_lines.empty(); }},
        {"session c= after t=", inserted(5, "c=IN IP4 0.0.0.0"),
         [](const RemoteDescription& r) { return r.description.connection.has_value(); }},
        {"c= with 2 fields", replaced(7, "c=IN IP4"),
         [](const RemoteDescription& r) {
             return contains(r.description.media[0].other_lines, "c=IN IP4");
         }},
        {"b= without a value", inserted(8, "b=AS"),
         [](const RemoteDescription& r) {
             return contains(r.description.media[0].other_lines, "b=AS");
         }},
        {"b= not numeric", inserted(8, "b=AS:lots"),
         [](const RemoteDescription& r) {
             return contains(r.description.media[0].other_lines, "b=AS:lots");
         }},
        {"media c= after a=", inserted(9, "c=IN IP4 0.0.0.0"),
         [](const RemoteDescription& r) { return r.description.media[0].connections.size() == 2; }},
        {"t= inside a media section", inserted(8, "t=0 0"),
         [](const RemoteDescription& r) {
             return contains(r.description.media[0].other_lines, "t=0 0");
         }},
        {"i= twice in a section", inserted(8, "i=one\r\ni=two"),
         [](const RemoteDescription& r) {
             return r.description.media[0].title == "one" &&
                    contains(r.description.media[0].other_lines, "i=two");
         }},
        {"an attribute name with a space", inserted(8, "a=bad name:1"),
         [](const RemoteDescription& r) {
             return contains(r.description.media[0].other_lines, "a=bad name:1");
         }},
        {"end-of-candidates with a value", inserted(9, "a=end-of-candidates:yes"),
         [](const RemoteDescription& r) { return r.end_of_candidates; }},
        {"a tls-id too short", inserted(16, "a=tls-id:abc"),
         [](const RemoteDescription& r) {
             return !r.tls_id && r.description.media[0].value("tls-id") == "abc";
         }},
        {"Chromium's msid-semantic and extmap-allow-mixed, in the section too",
         inserted(6, "a=msid-semantic: WMS\r\na=extmap-allow-mixed\r\na=msid-semantic:WMS *"),
         [](const RemoteDescription& r) {
             return r.description.values("msid-semantic") ==
                    std::vector<std::string_view>{" WMS", "WMS *"};
         }},
        {"a group inside a section is not read there", inserted(16, "a=group:"),
         [](const RemoteDescription& r) { return r.description.media[0].has("group"); }},
        {"a=mid at session level is not read there", inserted(6, "a=mid:"),
         [](const RemoteDescription& r) { return r.mid == "0"; }},
        {"a session-level candidate is not read", inserted(6, "a=candidate:junk"),
         [](const RemoteDescription& r) { return r.candidates.size() == 1; }},
        {"spaces around a relied-on value", replaced(13, "a=setup: actpass "),
         [](const RemoteDescription& r) {
             return r.setup == Setup::actpass && r.description.media[0].value("setup") == "actpass";
         }},
        {"two spaces after the fingerprint's hash",
         replaced(12, "a=fingerprint:sha-256  " + fp.substr(8)),
         [](const RemoteDescription& r) { return r.fingerprints.size() == 1; }},
        {"a tab after a mid", replaced(14, "a=mid:0\t"),
         [](const RemoteDescription& r) { return r.mid == "0"; }},
        {"an upper-case hash name", replaced(12, "a=fingerprint:SHA-256 " + fp.substr(8)),
         [](const RemoteDescription& r) {
             return r.fingerprints.size() == 1 &&
                    r.fingerprints[0].algorithm == HashFunction::sha256;
         }},
    };
}

}  // namespace

TEST_CASE("bent lines floe does not rely on are kept, and the description still works") {
    for (const auto& c : cases()) {
        CAPTURE(c.what);
        CAPTURE(c.sdp);
        auto r = read_remote(c.sdp, SdpType::offer);
        REQUIRE_MESSAGE(r.ok(), r.error().message());
        CHECK(r->ice_ufrag == "Ys3t");
        CHECK(r->candidates.size() == 1);
        CHECK(c.check(*r));
        // Kept lines survive a write and a parse, so the fuzz target's round trip holds.
        const std::string written = write(r->description);
        auto again = parse(written);
        REQUIRE(again.ok());
        CHECK(*again == r->description);
        CHECK(write(*again) == written);
        // And floe can answer it.
        auto answer = create_answer(r->description, local_parameters());
        REQUIRE(answer.ok());
        CHECK(read_remote(write(*answer), SdpType::answer).ok());
    }
}

TEST_CASE("what is bent is logged at debug level, under \"sdp\"") {
    std::mutex mutex;
    std::vector<std::string> lines;
    const auto level = floe::log_level();
    floe::set_log_level(floe::LogLevel::debug);
    floe::set_log_sink([&](floe::LogLevel l, std::string_view component, std::string_view text) {
        std::lock_guard lock(mutex);
        if (l == floe::LogLevel::debug && component == "sdp") lines.emplace_back(text);
    });
    auto r = parse(inserted(5, "x=1") + "a=rtpmap:0 PCMU/8000\r\n");
    auto commas = parse(replaced(11, "a=ice-options:ice2,trickle"));
    floe::set_log_sink({});
    floe::set_log_level(level);
    REQUIRE(r.ok());
    REQUIRE(commas.ok());
    auto logged = [&](std::string_view part) {
        return std::any_of(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.find(part) != std::string::npos; });
    };
    CHECK(logged("line 5: kept as written (unknown line type): x=1"));
    CHECK(logged("1 attributes floe does not use were kept"));
    CHECK(logged("line 11: a=ice-options kept as written"));
}

TEST_CASE("the lines floe relies on stay strict however they are bent") {
    // The counterpart of the cases above: bending these is refused (test_malformed.cpp has the
    // full list); spaces around the value are the only slack.
    for (const auto& text : {replaced(9, "a=ice-ufrag:Ys 3t"), replaced(13, "a=setup:act pass"),
                             replaced(14, "a=mid:0 1"), replaced(15, "a=sctp-port:5000,5001"),
                             replaced(5, "a=group:BUNDLE 0,1"),
                             replaced(8, "a=candidate:1 1 udp 2113937151 192.0.2.1 5000 typ")}) {
        CAPTURE(text);
        CHECK_FALSE(read_remote(text, SdpType::offer).ok());
    }
}
