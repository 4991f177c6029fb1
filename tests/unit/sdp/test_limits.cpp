// The bounds on a peer's description (session_description.hpp `limits`, docs/sdp.md "Limits"):
// a description at each limit is read, one past it is refused with Problem::too_large naming the
// limit, and the hostile description of issue 13 (12,000 sections, a BUNDLE group of 60,000
// mids) is refused. How fast is bench_sdp's business (refuse_12000_sections_60000_mids).
#include <doctest/doctest.h>

#include <floe/sdp/jsep.hpp>
#include <floe/sdp/session_description.hpp>

#include "sdp_test_support.hpp"

using namespace floe::sdp;

namespace {

// `sections` sections (a data section, then rejected audio ones), each with a mid, and a BUNDLE
// group of `mids` mids; credentials at session level so that only the bounds decide.
std::string many_sections(std::size_t sections, std::size_t mids) {
    std::string out = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
    for (std::size_t i = 0; i < mids; ++i)
        out += ' ' + std::to_string(i);
    out += "\r\na=ice-ufrag:Ys3t\r\na=ice-pwd:Mu2KvTcbNWKcf7tE4kXE1aww\r\na=fingerprint:" +
           sdp_test::fp +
           "\r\na=setup:actpass\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n";
    for (std::size_t i = 1; i < sections; ++i)
        out += "m=audio 0 RTP/AVP 0\r\na=mid:" + std::to_string(i) + "\r\n";
    return out;
}

// The valid offer with `more` lines added to its data section.
std::string offer_with(const std::vector<std::string>& more) {
    auto lines = sdp_test::valid_offer_lines();
    lines.insert(lines.end(), more.begin(), more.end());
    return sdp_test::join_crlf(lines);
}

std::vector<std::string> repeated(const std::string& line, std::size_t n) {
    return std::vector<std::string>(n, line);
}

void check_refused(const std::string& text, Limit limit, std::size_t line) {
    auto r = read_remote(text, SdpType::offer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().problem == Problem::too_large);
    REQUIRE(r.error().limit.has_value());
    CHECK(*r.error().limit == limit);
    CHECK(r.error().line == line);
    CHECK(r.error().message().find("limit " + std::string(to_string(limit))) != std::string::npos);
    CHECK(r.error().message().find(std::to_string(limit_value(limit))) != std::string::npos);
}

}  // namespace

TEST_CASE("issue 13's hostile description is refused at its BUNDLE line, not read through") {
    const std::string hostile = many_sections(12000, 60000);
    CHECK(hostile.size() > 700'000);
    check_refused(hostile, Limit::group_mids, 5);
    // Without the group it is refused at the first section past the limit.
    check_refused(many_sections(12000, 1), Limit::media_sections,
                  9 + 2 * limits::media_sections + 1);
}

TEST_CASE("a description at the section and group limits is read and answered") {
    const std::string text = many_sections(limits::media_sections, limits::group_mids);
    auto r = read_remote(text, SdpType::offer);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->description.media.size() == limits::media_sections);
    auto answer = create_answer(r->description, [] {
        LocalParameters local;
        local.ice_ufrag = "fLoE";
        local.ice_pwd = "0123456789abcdefABCDEF+/";
        local.fingerprint.digest.assign(32, 0xab);
        return local;
    }());
    REQUIRE(answer.ok());
    CHECK(answer->media.size() == limits::media_sections);
    CHECK(answer->media[1].port == 0);

    check_refused(many_sections(limits::media_sections + 1, 1), Limit::media_sections,
                  9 + 2 * limits::media_sections + 1);
    check_refused(many_sections(1, limits::group_mids + 1), Limit::group_mids, 5);
}

TEST_CASE("the byte limit: a description of exactly the limit parses, one byte more does not") {
    std::string text = offer_with({});
    const std::string prefix = "a=x-padding:";
    const std::size_t pad = limits::description_bytes - text.size() - prefix.size() - 2;
    text += prefix + std::string(pad, 'p') + "\r\n";
    REQUIRE(text.size() == limits::description_bytes);
    CHECK(read_remote(text, SdpType::offer).ok());
    text.insert(text.size() - 2, "p");
    check_refused(text, Limit::description_bytes, 1);
}

TEST_CASE("the line limit: exactly the limit parses, one line more does not") {
    const std::size_t base = sdp_test::valid_offer_lines().size();
    const std::string at = offer_with(repeated("a=x", limits::lines - base));
    CHECK(read_remote(at, SdpType::offer).ok());
    check_refused(offer_with(repeated("a=x", limits::lines - base + 1)), Limit::lines,
                  limits::lines + 1);
}

TEST_CASE("candidates, fingerprints and formats per section are bounded") {
    const std::string candidate = "a=candidate:1 1 udp 2113937151 192.0.2.1 5000 typ host";
    // The valid offer already has one candidate and one fingerprint.
    auto r = read_remote(offer_with(repeated(candidate, limits::candidates - 1)), SdpType::offer);
    REQUIRE(r.ok());
    CHECK(r->candidates.size() == limits::candidates);
    check_refused(offer_with(repeated(candidate, limits::candidates)), Limit::candidates,
                  16 + limits::candidates);

    const std::string fingerprint = "a=fingerprint:" + sdp_test::fp;
    CHECK(read_remote(offer_with(repeated(fingerprint, limits::fingerprints - 1)), SdpType::offer)
              .ok());
    check_refused(offer_with(repeated(fingerprint, limits::fingerprints)), Limit::fingerprints,
                  16 + limits::fingerprints);

    auto audio = [](std::size_t formats) {
        std::string m = "m=audio 0 RTP/AVP";
        for (std::size_t i = 0; i < formats; ++i)
            m += ' ' + std::to_string(i);
        return m;
    };
    CHECK(read_remote(offer_with({audio(limits::formats)}), SdpType::offer).ok());
    check_refused(offer_with({audio(limits::formats + 1)}), Limit::formats, 17);
}

TEST_CASE("the BUNDLE check still finds duplicate mids and mids no section has") {
    using sdp_test::inserted;
    using sdp_test::replaced;
    struct Case {
        const char* what;
        std::string sdp;
        Problem problem;
        std::size_t line;
        const char* detail;
    };
    const Case cases[] = {
        {"a mid no section has", replaced(5, "a=group:BUNDLE 0 7"), Problem::bad_bundle, 5,
         "no section has mid 7"},
        {"a mid twice in the group", replaced(5, "a=group:BUNDLE 0 0"), Problem::bad_bundle, 5,
         "mid 0 is listed twice"},
        {"two sections with one mid", inserted(17, "m=audio 0 RTP/AVP 0\r\na=mid:0"),
         Problem::duplicate_mid, 18, "mid 0 is also section 0's"},
        {"a later group with a missing mid", inserted(6, "a=group:BUNDLE 9"), Problem::bad_bundle,
         5, "no section has mid 9"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        auto r = read_remote(c.sdp, SdpType::offer);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().problem == c.problem);
        CHECK(r.error().line == c.line);
        CHECK_MESSAGE(r.error().detail.find(c.detail) != std::string::npos, r.error().message());
    }
    // In any order, with sections that have no mid, and with other group semantics: fine.
    auto lines = many_sections(3, 0);
    lines.replace(lines.find("a=group:BUNDLE"), 14, "a=group:BUNDLE 2 0 1\r\na=group:LS 0 1");
    lines += "m=video 0 RTP/AVP 96\r\n";
    auto r = read_remote(lines, SdpType::offer);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
}
