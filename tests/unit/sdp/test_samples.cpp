// The real descriptions Chromium 156 and aiortc 1.4 wrote (/work/shared/testdata/sdp): each one
// parses, writes back byte for byte, yields the right typed fields, and gets a valid answer.
#include <doctest/doctest.h>

#include <floe/sdp/attributes.hpp>
#include <floe/sdp/jsep.hpp>
#include <floe/sdp/session_description.hpp>
#include <floe/signaling.hpp>

#include <sstream>

#include "sdp_test_support.hpp"

using namespace floe::sdp;

namespace {

struct Expected {
    const char* file;
    DataChannelForm form;
    Setup setup;
    std::uint64_t max_message_size;
    std::size_t candidates;
    bool end_of_candidates;
    bool trickle;
    const char* ufrag;
};

constexpr auto modern = DataChannelForm::modern;
constexpr auto legacy = DataChannelForm::legacy;

const Expected samples[] = {
    {"aiortc/answer-ipv6-to-aiortc.sdp", legacy, Setup::active, 65536, 2, true, false, "k2rn"},
    {"aiortc/answer-ipv6-to-chromium.sdp", modern, Setup::active, 65536, 2, true, false, "KvKX"},
    {"aiortc/answer-to-aiortc.sdp", legacy, Setup::active, 65536, 1, true, false, "kKlJ"},
    {"aiortc/answer-to-chromium.sdp", modern, Setup::active, 65536, 1, true, false, "iaOb"},
    {"aiortc/answer-trickle-to-aiortc.sdp", legacy, Setup::active, 65536, 1, true, false, "lVGk"},
    {"aiortc/answer-trickle-to-chromium.sdp", modern, Setup::active, 65536, 1, true, false, "6mWN"},
    {"aiortc/offer-ipv6.sdp", legacy, Setup::actpass, 65536, 2, true, false, "VkPI"},
    {"aiortc/offer-trickle.sdp", legacy, Setup::actpass, 65536, 1, true, false, "L4oR"},
    {"aiortc/offer.sdp", legacy, Setup::actpass, 65536, 1, true, false, "qTbp"},
    {"chromium/answer-ipv6-to-aiortc.sdp", legacy, Setup::active, 65536, 2, false, true, "q8P+"},
    {"chromium/answer-ipv6-to-chromium.sdp", modern, Setup::active, 262144, 2, false, true, "tm9z"},
    {"chromium/answer-to-aiortc.sdp", legacy, Setup::active, 65536, 1, false, true, "JufD"},
    {"chromium/answer-to-chromium.sdp", modern, Setup::active, 262144, 1, false, true, "OQhc"},
    {"chromium/answer-trickle-to-aiortc.sdp", legacy, Setup::active, 65536, 0, false, true, "oVQk"},
    {"chromium/answer-trickle-to-chromium.sdp", modern, Setup::active, 262144, 0, false, true,
     "xoIX"},
    {"chromium/offer-ipv6.sdp", modern, Setup::actpass, 262144, 2, false, true, "OGZb"},
    {"chromium/offer-trickle.sdp", modern, Setup::actpass, 262144, 0, false, true, "Ys3t"},
    {"chromium/offer.sdp", modern, Setup::actpass, 262144, 1, false, true, "O5fO"},
};

std::string line_value(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0)
            return line.substr(prefix.size(), line.size() - prefix.size() - 1);
    return {};
}

LocalParameters local_parameters() {
    LocalParameters local;
    local.ice_ufrag = "fLoE";
    local.ice_pwd = "0123456789abcdefABCDEF+/";
    local.fingerprint.algorithm = HashFunction::sha256;
    local.fingerprint.digest.assign(32, 0xab);
    local.session_id = 4611686018427387903ull;
    local.session_version = 2;
    return local;
}

}  // namespace

TEST_CASE("the sample set is the one this test knows") {
    std::vector<std::string> listed;
    for (const auto& s : samples)
        listed.push_back(s.file);
    CHECK(sdp_test::sample_names() == listed);
}

TEST_CASE("every sample parses (CRLF or LF) and writes back the same bytes and the same model") {
    for (const auto& s : samples) {
        CAPTURE(s.file);
        const std::string text = sdp_test::sample_text(s.file);
        REQUIRE(!text.empty());
        auto parsed = parse(text);
        REQUIRE_MESSAGE(parsed.ok(), parsed.error().message());
        const std::string written = write(*parsed);
        CHECK(written == text);
        auto again = parse(written);
        REQUIRE(again.ok());
        CHECK(*again == *parsed);
        auto lf = parse(sdp_test::to_lf(text));
        REQUIRE(lf.ok());
        CHECK(*lf == *parsed);
    }
}

TEST_CASE("every sample, signaled as JSON, parses through the W3C types to the codec's models") {
    for (const auto& s : samples) {
        CAPTURE(s.file);
        const std::string text = sdp_test::sample_text(s.file);
        const bool is_offer = std::string(s.file).find("/offer") != std::string::npos;
        const floe::SessionDescription signaled{is_offer ? SdpType::offer : SdpType::answer, text};
        const auto received = floe::SessionDescription::from_json(signaled.to_json());
        CHECK(received == signaled);
        auto parsed = received.parse();
        REQUIRE_MESSAGE(parsed.ok(), parsed.error().message());
        REQUIRE(parsed->media.size() == 1);
        CHECK(parsed->media[0].value("mid") == "0");
        // Each a=candidate line, trickled as a browser would, parses to the same candidate.
        std::size_t candidates = 0;
        for (std::string_view value : parsed->media[0].values("candidate")) {
            const floe::IceCandidate trickled{"candidate:" + std::string(value), "0", 0,
                                              std::string(s.ufrag)};
            auto c = floe::IceCandidate::from_json(trickled.to_json()).parse();
            REQUIRE(c.ok());
            CHECK(*c == *floe::ice::Candidate::parse_value(value));
            ++candidates;
        }
        CHECK(candidates == s.candidates);
    }
}

TEST_CASE("every sample yields the typed data-channel parameters it was written with") {
    for (const auto& s : samples) {
        CAPTURE(s.file);
        const std::string text = sdp_test::sample_text(s.file);
        const bool is_offer = std::string(s.file).find("/offer") != std::string::npos;
        auto r = read_remote(text, is_offer ? SdpType::offer : SdpType::answer);
        REQUIRE_MESSAGE(r.ok(), r.error().message());
        CHECK(r->media_index == 0);
        CHECK(r->mid == "0");
        CHECK(r->form == s.form);
        CHECK(r->setup == s.setup);
        CHECK(r->sctp_port == 5000);
        CHECK(r->max_message_size == s.max_message_size);
        CHECK(r->candidates.size() == s.candidates);
        CHECK(r->end_of_candidates == s.end_of_candidates);
        CHECK(r->ice_options.trickle == s.trickle);
        CHECK(!r->ice_lite);
        CHECK(r->ice_ufrag == s.ufrag);
        CHECK(r->ice_pwd == line_value(text, "a=ice-pwd:"));
        REQUIRE(r->fingerprints.size() == 1);
        CHECK(r->fingerprints[0].algorithm == HashFunction::sha256);
        CHECK(r->fingerprints[0].digest.size() == 32);
        CHECK(r->fingerprints[0].to_string() == line_value(text, "a=fingerprint:"));
        for (const auto& c : r->candidates) {
            CHECK(c.type == floe::ice::CandidateType::host);
            REQUIRE(c.socket_address());
            CHECK((c.address.rfind("198.18.0.", 0) == 0 || c.address.rfind("2001:2::", 0) == 0));
        }
        if (std::string(s.file).find("ipv6") != std::string::npos) {
            REQUIRE(r->candidates.size() == 2);
            CHECK(r->candidates[1].socket_address()->is_v6());
        }
    }
}

TEST_CASE("Chromium's extension pairs and session attributes are kept, typed where known") {
    const std::string text = sdp_test::sample_text("chromium/offer.sdp");
    auto sd = parse(text);
    REQUIRE(sd.ok());
    CHECK(sd->origin.session_id == 8245390087951482411ull);
    CHECK(sd->origin.session_version == 2);
    CHECK(sd->has("extmap-allow-mixed"));
    CHECK(sd->value("msid-semantic") == " WMS");
    CHECK(bundle_mids(*sd) == std::vector<std::string>{"0"});
    auto c = candidates(sd->media.at(0));
    REQUIRE(c.size() == 1);
    CHECK(c[0].extension("generation") == "0");
    CHECK(c[0].extension("network-cost") == "999");
    CHECK(c[0].port == 33038);
    CHECK(sd->media.at(0).port == 33038);
}

TEST_CASE("aiortc's legacy section has its sctpmap typed") {
    const std::string text = sdp_test::sample_text("aiortc/offer.sdp");
    auto sd = parse(text);
    REQUIRE(sd.ok());
    const Media& m = sd->media.at(0);
    CHECK(m.protocol == "DTLS/SCTP");
    CHECK(m.formats == std::vector<std::string>{"5000"});
    auto map = sctpmap(m);
    REQUIRE(map);
    CHECK(map->port == 5000);
    CHECK(map->protocol == "webrtc-datachannel");
    CHECK(map->streams == 65535u);
    CHECK(!sctp_port(m));
    CHECK(max_message_size(m) == 65536u);
}

TEST_CASE("floe answers every sample offer with a valid answer in the offer's form") {
    for (const auto& s : samples) {
        if (std::string(s.file).find("/offer") == std::string::npos) continue;
        CAPTURE(s.file);
        const std::string text = sdp_test::sample_text(s.file);
        auto offer = parse(text);
        REQUIRE(offer.ok());
        auto answer = create_answer(*offer, local_parameters());
        REQUIRE_MESSAGE(answer.ok(), answer.error().message());
        const std::string answer_text = write(*answer);
        auto r = read_remote(answer_text, SdpType::answer);
        REQUIRE_MESSAGE(r.ok(), r.error().message());
        CHECK(r->form == s.form);
        CHECK(r->setup == Setup::active);
        CHECK(r->mid == "0");
        CHECK(r->ice_ufrag == "fLoE");
        CHECK(bundle_mids(*answer) == std::vector<std::string>{"0"});
        CHECK(answer->media.at(0).protocol == offer->media.at(0).protocol);
    }
}

TEST_CASE("the trickled candidates in the .jsonl files parse and carry the offer's ufrag") {
    for (const char* name : {"chromium/offer-trickle", "chromium/answer-trickle",
                             "aiortc/offer-trickle", "aiortc/answer-trickle"}) {
        CAPTURE(name);
        std::istringstream lines(sdp_test::read_file(sdp_test::samples_dir() /
                                                     (std::string(name) + ".candidates.jsonl")));
        bool done = false;
        std::size_t count = 0;
        for (std::string line; std::getline(lines, line);) {
            if (line.find("\"done\"") != std::string::npos) {
                done = true;
                continue;
            }
            auto init = parse_candidate_json(line);
            REQUIRE(init.ok());
            CHECK(init->sdp_mid == "0");
            CHECK(init->sdp_mline_index == 0);
            auto c = init->parse();
            REQUIRE(c.ok());
            CHECK(c->extension("ufrag") ==
                  (std::string(name) == "chromium/offer-trickle" ? "Ys3t" : "xoIX"));
            auto again = parse_candidate_json(init->to_json());
            REQUIRE(again.ok());
            CHECK(*again == *init);
            ++count;
        }
        CHECK(done);
        CHECK(count == (std::string(name).rfind("chromium", 0) == 0 ? 1u : 0u));
    }
}
