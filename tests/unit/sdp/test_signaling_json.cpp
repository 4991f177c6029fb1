// The browser's JSON forms of descriptions and candidates, and the JSON strings inside them.
#include <doctest/doctest.h>

#include <floe/error.hpp>
#include <floe/json.hpp>
#include <floe/sdp/jsep.hpp>
#include <floe/signaling.hpp>

using namespace floe::sdp;
using floe::IceCandidate;

TEST_CASE("a description survives JSON with its CRLFs, quotes and backslashes") {
    floe::SessionDescription d{SdpType::answer, "v=0\r\ns=\"quoted\" \\ back\tslash\x01\r\n"};
    const std::string json = d.to_json();
    CHECK(json ==
          "{\"type\":\"answer\",\"sdp\":\"v=0\\r\\ns=\\\"quoted\\\" \\\\ "
          "back\\tslash\\u0001\\r\\n\"}");
    auto back = parse_description_json(json);
    REQUIRE(back.ok());
    CHECK(*back == d);
}

TEST_CASE("JSON escapes decode, including \\/ and surrogate pairs") {
    auto d = parse_description_json(
        R"( { "sdp" : "a\/b \u00e9 \u20AC \ud83d\ude00 \"x\"" , "type" : "offer" } )");
    REQUIRE(d.ok());
    CHECK(d->type == SdpType::offer);
    CHECK(d->sdp == "a/b \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \"x\"");
}

TEST_CASE("broken JSON is refused with the offset where it went wrong") {
    const char* bad[] = {
        "",
        "[]",
        R"({"type":"offer","sdp":"\ud83d"})",        // lone high surrogate
        R"({"type":"offer","sdp":"\ude00"})",        // lone low surrogate
        R"({"type":"offer","sdp":"\x"})",            // unknown escape
        R"({"type":"offer","sdp":"\u12"})",          // short \u
        "{\"type\":\"offer\",\"sdp\":\"a\nb\"}",     // raw control character
        R"({"type":"offer","sdp":"v=0"} trailing)",  // text after the object
        R"({"type":"offer","sdp":{"nested":1}})",    // nested values are refused
        R"({"type":"offer","sdp":"v=0",})",          // trailing comma
        R"({"type":"offer","sdp":"v=0")",            // unterminated object
        R"({"type":"banana","sdp":"v=0"})",          // unknown type
        R"({"type":"offer"})",                       // no sdp
        R"({"type":"offer","sdp":12})",              // sdp of the wrong kind
    };
    for (const char* text : bad) {
        CAPTURE(text);
        auto r = parse_description_json(text);
        CHECK(!r.ok());
    }
    auto r = parse_description_json(R"({"type":"offer","sdp":"v=0" x})");
    REQUIRE(!r.ok());
    CHECK(r.error().offset == 28);
}

TEST_CASE("a rollback needs no sdp") {
    auto r = parse_description_json(R"({"type":"rollback"})");
    REQUIRE(r.ok());
    CHECK(r->type == SdpType::rollback);
}

TEST_CASE("RTCIceCandidateInit JSON round-trips, with null and absent members") {
    auto c = parse_candidate_json(
        R"({"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host","sdpMid":null,"sdpMLineIndex":0,"usernameFragment":"abcd"})");
    REQUIRE(c.ok());
    CHECK(!c->sdp_mid);
    CHECK(c->sdp_mline_index == 0);
    CHECK(c->username_fragment == "abcd");
    CHECK(c->parse().ok());
    auto again = parse_candidate_json(c->to_json());
    REQUIRE(again.ok());
    CHECK(*again == *c);

    auto end = parse_candidate_json(R"({"candidate":"","sdpMid":"0"})");
    REQUIRE(end.ok());
    CHECK(end->is_end_of_candidates());
    CHECK(!end->sdp_mline_index);
    CHECK(!end->parse().ok());
}

TEST_CASE("IceCandidate::from_json keeps null members null and the usernameFragment") {
    // A browser's JSON.stringify(event.candidate) for a candidate of a section without a mid:
    // null must not come back as "" or 0 (addIceCandidate reads those as a mid and an index).
    const std::string json =
        R"({"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":"Ys3t"})";
    const IceCandidate c = IceCandidate::from_json(json);
    CHECK(!c.sdp_mid);
    CHECK(!c.sdp_mline_index);
    CHECK(c.username_fragment == "Ys3t");
    CHECK(c.to_json() == json);
    CHECK(IceCandidate::from_json(c.to_json()) == c);

    // Absent members are null too, and written as null (usernameFragment left out).
    const IceCandidate bare = IceCandidate::from_json(R"({"candidate":""})");
    CHECK(bare.is_end_of_candidates());
    CHECK(bare.to_json() == R"({"candidate":"","sdpMid":null,"sdpMLineIndex":null})");
    CHECK(IceCandidate::from_json(bare.to_json()) == bare);

    CHECK_THROWS_AS(IceCandidate::from_json(R"({"candidate":"","sdpMLineIndex":"0"})"),
                    floe::InvalidArgumentError);
    CHECK_THROWS_AS(floe::SessionDescription::from_json(R"({"type":"offer"})"),
                    floe::InvalidArgumentError);
}

TEST_CASE("RTCIceCandidateInit members of the wrong kind are refused") {
    for (const char* text :
         {R"({"sdpMid":"0"})", R"({"candidate":1})", R"({"candidate":"","sdpMid":0})",
          R"({"candidate":"","sdpMLineIndex":"0"})", R"({"candidate":"","sdpMLineIndex":-1})",
          R"({"candidate":"","sdpMLineIndex":1.5})", R"({"candidate":"","sdpMLineIndex":70000})"}) {
        CAPTURE(text);
        CHECK(!parse_candidate_json(text).ok());
    }
}

TEST_CASE("make_ice_candidate writes the line, the mid, the index and the generation's ufrag") {
    auto c = floe::ice::Candidate::parse("candidate:1 1 udp 1 192.0.2.1 5000 typ host");
    REQUIRE(c.ok());
    auto trickled = make_ice_candidate(*c, "0", 0, "abcd");
    CHECK(
        trickled.to_json() ==
        R"({"candidate":"candidate:1 1 udp 1 192.0.2.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"})");
}

TEST_CASE("JSON numbers follow RFC 8259") {
    for (const char* ok : {R"({"n":0})", R"({"n":-0.5e+3})", R"({"n":12E2})"})
        CHECK(floe::json::parse_flat_object(ok).ok());
    for (const char* bad :
         {R"({"n":01})", R"({"n":1.})", R"({"n":-})", R"({"n":.5})", R"({"n":1e})"})
        CHECK(!floe::json::parse_flat_object(bad).ok());
}

TEST_CASE("json::quote writes a JSON string as append_string does, quotes included") {
    CHECK(floe::json::quote("a \"b\" \\ \n\x01") == "\"a \\\"b\\\" \\\\ \\n\\u0001\"");
    CHECK(floe::json::quote("") == "\"\"");
}

TEST_CASE(
    "a description error's line is printable as message() quotes it, for JSON and terminals") {
    auto r = read_remote("v=0\r\nbroken\x01\xff line\r\n", SdpType::offer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().printable_text() == "broken\\x01\\xff line");
    CHECK(r.error().message().find(r.error().printable_text()) != std::string::npos);
}
