// The generic RFC 8866 grammar: every line type has a place in the model and comes back out.
#include <doctest/doctest.h>

#include <floe/sdp/attributes.hpp>
#include <floe/sdp/session_description.hpp>

#include "sdp_test_support.hpp"

using namespace floe::sdp;

namespace {

// RFC 8866 §5's example, with every optional line type added.
const char* const full =
    "v=0\r\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
    "s=Call to John Smith\r\n"
    "i=SDP Offer #1\r\n"
    "u=http://www.jdoe.example.com/home.html\r\n"
    "e=Jane Doe <jane@jdoe.example.com>\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 233.252.0.1/127\r\n"
    "b=CT:128\r\n"
    "t=0 0\r\n"
    "t=3724394400 3724398000\r\n"
    "r=7d 1h 0 25h\r\n"
    "z=2882844526 -1h 2898848070 0\r\n"
    "k=clear:secret\r\n"
    "a=recvonly\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "m=video 51372/2 RTP/AVP 99\r\n"
    "i=the video\r\n"
    "c=IN IP6 2001:db8::2\r\n"
    "c=IN IP6 2001:db8::3\r\n"
    "b=AS:512\r\n"
    "k=prompt\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n"
    "a=x-empty:\r\n";

}  // namespace

TEST_CASE("every RFC 8866 line type parses into the model and writes back the same bytes") {
    auto sd = parse(full);
    REQUIRE_MESSAGE(sd.ok(), sd.error().message());
    CHECK(sd->origin.username == "jdoe");
    CHECK(sd->origin.session_version == 3724394405u);
    CHECK(sd->session_name == "Call to John Smith");
    CHECK(sd->information == "SDP Offer #1");
    CHECK(sd->uri == "http://www.jdoe.example.com/home.html");
    CHECK(sd->emails.size() == 1);
    CHECK(sd->phones.size() == 1);
    REQUIRE(sd->connection);
    CHECK(sd->connection->address == "233.252.0.1/127");
    CHECK(sd->bandwidths == std::vector<Bandwidth>{{"CT", 128}});
    REQUIRE(sd->timings.size() == 2);
    CHECK(sd->timings[1].start == 3724394400u);
    CHECK(sd->timings[1].repeats == std::vector<std::string>{"7d 1h 0 25h"});
    CHECK(sd->zone == "2882844526 -1h 2898848070 0");
    CHECK(sd->key == "clear:secret");
    CHECK(sd->has("recvonly"));
    CHECK(!sd->find("recvonly")->value);
    REQUIRE(sd->media.size() == 2);
    const Media& video = sd->media[1];
    CHECK(video.port == 51372);
    CHECK(video.port_count == 2u);
    CHECK(video.title == "the video");
    CHECK(video.connections.size() == 2);
    CHECK(video.key == "prompt");
    CHECK(video.value("x-empty") == "");
    CHECK(video.find("x-empty")->value.has_value());
    CHECK(write(*sd) == full);
}

TEST_CASE("LF endings, a missing final newline and trailing blank lines are accepted") {
    const std::string lf = sdp_test::to_lf(full);
    auto a = parse(full);
    REQUIRE(a.ok());
    for (const std::string& variant :
         {lf, lf.substr(0, lf.size() - 1), lf + "\n\n", std::string(full) + "\r\n"}) {
        auto b = parse(variant);
        REQUIRE(b.ok());
        CHECK(*b == *a);
    }
}

TEST_CASE("unknown attributes keep their place among known ones") {
    const std::string text = sdp_test::data_section_with({
        "a=x-first:1",
        "a=mid:0",
        "a=x-second",
        "a=sctp-port:5000",
        "a=x-third:a:b c",
    });
    auto sd = parse(text);
    REQUIRE(sd.ok());
    const auto& a = sd->media.at(0).attributes;
    REQUIRE(a.size() == 5);
    CHECK(a[0].name == "x-first");
    CHECK(a[2].name == "x-second");
    CHECK(a[4].value == "a:b c");
    CHECK(write(*sd) == text);
}

TEST_CASE("typed values format the way browsers write them") {
    auto f = Fingerprint::parse(
        "SHA-256 ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:"
        "01:23:45:67:89:ab:cd:ef:01:23:45:67:89");
    REQUIRE(f);
    CHECK(f->to_string() ==
          "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:"
          "EF:01:23:45:67:89");
    for (auto h : {HashFunction::sha1, HashFunction::sha224, HashFunction::sha256,
                   HashFunction::sha384, HashFunction::sha512}) {
        CHECK(parse_hash_function(to_string(h)) == h);
        Fingerprint g{h, floe::Bytes(digest_size(h), 0x0f)};
        auto back = Fingerprint::parse(g.to_string());
        REQUIRE(back);
        CHECK(*back == g);
    }
    CHECK(!Fingerprint::parse("sha-256 AB:CD"));
    CHECK(!Fingerprint::parse("md5 AB:CD"));

    auto o = IceOptions::parse("trickle ice2 renomination");
    REQUIRE(o);
    CHECK(o->trickle);
    CHECK(o->ice2);
    CHECK(o->others == std::vector<std::string>{"renomination"});
    CHECK(o->to_string() == "trickle ice2 renomination");

    auto legacy = IceOptions::parse("google-ice");
    REQUIRE(legacy);
    CHECK(legacy->others == std::vector<std::string>{"google-ice"});
    CHECK(!IceOptions::parse(""));
    CHECK(!IceOptions::parse("   "));

    auto g = Group::parse("BUNDLE 0 1 data");
    REQUIRE(g);
    CHECK(g->mids.size() == 3);
    CHECK(g->to_string() == "BUNDLE 0 1 data");

    CHECK(parse_setup("ACTPASS") == Setup::actpass);
    CHECK(to_string(Setup::holdconn) == "holdconn");
    CHECK(!parse_setup("both"));

    CHECK(is_valid_ice_ufrag("abcd"));
    CHECK(!is_valid_ice_ufrag("abc"));
    CHECK(is_valid_ice_ufrag(std::string(256, 'a')));
    CHECK(!is_valid_ice_ufrag(std::string(257, 'a')));
    CHECK(is_valid_ice_pwd(std::string(22, '+')));
    CHECK(!is_valid_ice_pwd(std::string(21, '+')));
    CHECK(!is_valid_ice_pwd(std::string(22, '-')));
}

TEST_CASE("a parse error's message names the line, what was expected and the text") {
    auto r = parse("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:ab\r\n");
    REQUIRE(!r.ok());
    CHECK(r.error().line == 5);
    CHECK(r.error().attribute == "ice-ufrag");
    CHECK(r.error().text == "a=ice-ufrag:ab");
    CHECK(r.error().message() ==
          "line 5: expected an ice-ufrag of 4-256 ice-chars (ALPHA / DIGIT / + /) (a=ice-ufrag) in "
          "\"a=ice-ufrag:ab\"");
}

TEST_CASE("a default-constructed model writes a minimal valid description") {
    SessionDescription sd;
    CHECK(write(sd) == "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    auto back = parse(write(sd));
    REQUIRE(back.ok());
    CHECK(*back == sd);
}
