// Each case breaks one rule of a valid data-channel offer once, a rule floe relies on. Every one
// must be refused with the right line and reason, by the grammar (sdp::parse) or by JSEP
// (read_remote). What is tolerated instead is in test_tolerance.cpp.
#include <doctest/doctest.h>

#include <floe/sdp/jsep.hpp>
#include <floe/sdp/session_description.hpp>

#include "sdp_test_support.hpp"

using namespace floe::sdp;

namespace {

using sdp_test::fp;
using sdp_test::inserted;
using sdp_test::removed;
using sdp_test::replaced;
using sdp_test::swapped;

// Line numbers below refer to sdp_test::valid_offer_lines().
std::vector<std::string> base() {
    return sdp_test::valid_offer_lines();
}

struct Case {
    const char* rule;
    std::string sdp;
    std::size_t line;
    Problem problem;
    const char* expected;  // part of what the error says was expected
    SdpType type = SdpType::offer;
};

std::vector<Case> cases() {
    const std::string long_ufrag(257, 'u');
    return {
        {"missing v=", removed(1), 1, Problem::syntax, "v=0 as the first line"},
        {"v= not 0", replaced(1, "v=1"), 1, Problem::syntax, "v=0"},
        {"missing o=", removed(2), 2, Problem::syntax, "o= before this line"},
        {"missing s=", removed(3), 3, Problem::syntax, "s= before this line"},
        {"o= after s=", swapped(2, 3), 2, Problem::syntax, "o= before this line"},
        {"missing t=", removed(4), 5, Problem::syntax, "t= before this line"},
        {"m= before the session lines end", inserted(4, "m=application 9 UDP/DTLS/SCTP x"), 4,
         Problem::syntax, "t= before this line"},
        {"upper-case type letter", inserted(5, "A=foo"), 5, Problem::syntax, "lower-case type"},
        {"a line without '='", inserted(5, "hello"), 5, Problem::syntax, "<type>=<value>"},
        {"a bare CR inside a line", replaced(14, "a=mid:0\rx"), 14, Problem::syntax, "no CR"},
        {"m= port beyond 65535",
         replaced(6, "m=application 70000 UDP/DTLS/SCTP webrtc-datachannel"), 6, Problem::syntax,
         "a port 0-65535"},
        {"m= port not a number", replaced(6, "m=application nine UDP/DTLS/SCTP webrtc-datachannel"),
         6, Problem::syntax, "a port 0-65535"},
        {"m= without formats", replaced(6, "m=application 9 UDP/DTLS/SCTP"), 6, Problem::syntax,
         "at least one media format"},
        {"m= with two fields", replaced(6, "m=application 9"), 6, Problem::syntax,
         "<media> <port> <proto>"},
        {"candidate with 5 fields", replaced(8, "a=candidate:1 1 udp 2113937151 192.0.2.1"), 8,
         Problem::malformed_candidate, "field 6"},
        {"candidate with an unknown type", replaced(8, "a=candidate:1 1 udp 1 192.0.2.1 1 typ foo"),
         8, Problem::malformed_candidate, "candidate type"},
        {"candidate with a bad address", replaced(8, "a=candidate:1 1 udp 1 300.1.1.1 1 typ host"),
         8, Problem::malformed_candidate, "address"},
        {"candidate with a dangling extension",
         replaced(8, "a=candidate:1 1 udp 1 192.0.2.1 1 typ host generation"), 8,
         Problem::malformed_candidate, "value after"},
        {"overlong ufrag", replaced(9, "a=ice-ufrag:" + long_ufrag), 9,
         Problem::malformed_ice_credentials, "ice-ufrag of 4-256"},
        {"ufrag of 3 chars", replaced(9, "a=ice-ufrag:abc"), 9, Problem::malformed_ice_credentials,
         "ice-ufrag of 4-256"},
        {"ufrag with '_'", replaced(9, "a=ice-ufrag:ab_cd"), 9, Problem::malformed_ice_credentials,
         "ice-ufrag of 4-256"},
        {"pwd of 21 chars", replaced(10, "a=ice-pwd:Mu2KvTcbNWKcf7tE4kXE1"), 10,
         Problem::malformed_ice_credentials, "ice-pwd of 22-256"},
        {"pwd with a space", replaced(10, "a=ice-pwd:Mu2KvTcbNWKcf7tE4k XE1aww"), 10,
         Problem::malformed_ice_credentials, "ice-pwd of 22-256"},
        {"fingerprint with bad hex", replaced(12, "a=fingerprint:sha-256 ZZ" + fp.substr(10)), 12,
         Problem::malformed_fingerprint, "hex pairs"},
        {"fingerprint one byte short", replaced(12, "a=fingerprint:" + fp.substr(0, fp.size() - 3)),
         12, Problem::malformed_fingerprint, "hash's length"},
        {"fingerprint without colons",
         replaced(12,
                  "a=fingerprint:sha-256 "
                  "BA6E06100DF0D684C5BF35246A6F0DE881B0FED72A7D9156C706CAB6ADA868B8"),
         12, Problem::malformed_fingerprint, "hex pairs"},
        {"fingerprint without a hash name", replaced(12, "a=fingerprint:" + fp.substr(8)), 12,
         Problem::malformed_fingerprint, "<hash-function>"},
        {"setup with an unknown role", replaced(13, "a=setup:both"), 13, Problem::unsupported_setup,
         "actpass, active, passive"},
        {"empty mid", replaced(14, "a=mid:"), 14, Problem::syntax, "mid made of"},
        {"sctp-port beyond 65535", replaced(15, "a=sctp-port:70000"), 15,
         Problem::bad_sctp_parameters, "SCTP port"},
        {"negative max-message-size", replaced(16, "a=max-message-size:-1"), 16,
         Problem::bad_sctp_parameters, "maximum message size"},
        {"empty group", replaced(5, "a=group:"), 5, Problem::bad_bundle, "<semantics>"},
        {"sctpmap without a number", inserted(16, "a=sctpmap:abc webrtc-datachannel"), 16,
         Problem::bad_sctp_parameters, "<port> <protocol>"},
        // JSEP: the grammar is fine, the description is not usable.
        {"no ice-ufrag", removed(9), 6, Problem::missing_ice_credentials, "a=ice-ufrag"},
        {"no ice-pwd", removed(10), 6, Problem::missing_ice_credentials, "a=ice-pwd"},
        {"no fingerprint", removed(12), 6, Problem::missing_fingerprint, "a=fingerprint"},
        {"only an unsupported hash", replaced(12, "a=fingerprint:md5 AB:CD"), 12,
         Problem::missing_fingerprint, "supported hash"},
        {"no data section", replaced(6, "m=audio 9 UDP/TLS/RTP/SAVPF 111"), 0,
         Problem::no_data_section, "m=application"},
        {"rejected data section", replaced(6, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel"),
         6, Problem::no_data_section, "port is not 0"},
        {"holdconn", replaced(13, "a=setup:holdconn"), 13, Problem::unsupported_setup, "holdconn"},
        {"actpass in an answer", sdp_test::join_crlf(base()), 13, Problem::unsupported_setup,
         "actpass is for offers", SdpType::answer},
        {"BUNDLE names a missing mid", replaced(5, "a=group:BUNDLE 0 1"), 5, Problem::bad_bundle,
         "no section has mid 1"},
        {"legacy section without a port", replaced(6, "m=application 9 DTLS/SCTP webrtc"), 6,
         Problem::bad_sctp_parameters, "SCTP port"},
    };
}

}  // namespace

TEST_CASE("the base description is valid, so each case below breaks exactly one rule") {
    const std::string text = sdp_test::join_crlf(base());
    auto parsed = parse(text);
    REQUIRE(parsed.ok());
    CHECK(read_remote(text, SdpType::offer).ok());
    CHECK(write(*parsed) == text);
}

TEST_CASE("malformed descriptions are refused with the right line and reason") {
    std::size_t checked = 0;
    for (const auto& c : cases()) {
        CAPTURE(c.rule);
        CAPTURE(c.sdp);
        auto r = read_remote(c.sdp, c.type);
        REQUIRE(!r.ok());
        CHECK(to_string(r.error().problem) == to_string(c.problem));
        CHECK(r.error().line == c.line);
        CHECK_MESSAGE(r.error().detail.find(c.expected) != std::string::npos, r.error().message());
        CHECK(r.error().message().find(c.expected) != std::string::npos);
        if (c.line > 0) {
            // The error quotes the line it names.
            std::vector<std::string> lines;
            std::string rest = c.sdp;
            for (std::size_t at; (at = rest.find("\r\n")) != std::string::npos;) {
                lines.push_back(rest.substr(0, at));
                rest = rest.substr(at + 2);
            }
            REQUIRE(c.line <= lines.size());
            CHECK(r.error().text == lines[c.line - 1]);
        }
        // Grammar errors come from sdp::parse itself, with the same line.
        auto parsed = parse(c.sdp);
        if (!parsed.ok()) CHECK(parsed.error().line == c.line);
        ++checked;
    }
    CHECK(checked >= 40);
}

TEST_CASE("an empty text and a text of blank lines are refused at line 1") {
    for (const char* text : {"", "\r\n", "\n\n"}) {
        auto r = parse(text);
        REQUIRE(!r.ok());
        CHECK(r.error().line == 1);
    }
}

TEST_CASE("a description that stops before t= says it ended early") {
    auto r = parse("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n");
    REQUIRE(!r.ok());
    CHECK(r.error().line == 3);
    CHECK(r.error().expected.find("t=") != std::string::npos);
}

TEST_CASE("the SdpError exception carries the problem and the line") {
    auto r = read_remote(removed(12), SdpType::offer);
    REQUIRE(!r.ok());
    try {
        throw SdpError(r.error());
    } catch (const floe::OperationError& e) {
        const auto* sdp = dynamic_cast<const SdpError*>(&e);
        REQUIRE(sdp);
        CHECK(sdp->problem() == Problem::missing_fingerprint);
        CHECK(sdp->line() == 6);
        CHECK(std::string(e.what()).find("line 6") != std::string::npos);
    }
}
