// The corpus of other stacks' descriptions (tests/data/sdp/<stack>/, README.md there names where
// each file came from): pion, libdatachannel, werift, Firefox and Safari. Every file parses and
// round-trips; floe answers every offer the way JSEP asks (the offer's mid and form, the other
// sections rejected in place, setup active unless the offer forces it), and reads every answer as
// the answer to a floe offer. libdatachannel's files were refused before issue 13
// (a=ice-options:ice2,trickle).
#include <doctest/doctest.h>

#include <floe/sdp/attributes.hpp>
#include <floe/sdp/jsep.hpp>
#include <floe/sdp/session_description.hpp>

#include <algorithm>
#include <filesystem>

#include "sdp_test_support.hpp"

using namespace floe::sdp;

namespace {

std::filesystem::path corpus_dir() {
    return std::filesystem::path(FLOE_SOURCE_DIR) / "tests" / "data" / "sdp";
}

enum class Kind { offer, answer };

struct Entry {
    const char* file;
    Kind kind;
    std::size_t sections;  // m= lines
    std::size_t candidates;
    DataChannelForm form;
};

constexpr auto modern = DataChannelForm::modern;

const Entry corpus[] = {
    {"firefox/answer-esr153.sdp", Kind::answer, 1, 2, modern},
    {"firefox/answer-trickle.sdp", Kind::answer, 1, 0, modern},
    {"firefox/offer-esr153.sdp", Kind::offer, 1, 2, modern},
    {"firefox/offer-trickle.sdp", Kind::offer, 1, 0, modern},
    {"firefox/offer.sdp", Kind::offer, 1, 6, modern},
    {"libdatachannel/answer-to-chromium.sdp", Kind::answer, 1, 2, modern},
    {"libdatachannel/offer.sdp", Kind::offer, 1, 2, modern},
    {"pion/answer.sdp", Kind::answer, 1, 2, modern},
    {"pion/offer-trickle.sdp", Kind::offer, 1, 0, modern},
    {"safari/offer-trickle.sdp", Kind::offer, 1, 0, modern},
    {"werift/answer-to-chromium.sdp", Kind::answer, 1, 2, modern},
    {"werift/offer-audio-video-data.sdp", Kind::offer, 3, 2, modern},
    {"werift/offer.sdp", Kind::offer, 1, 2, modern},
};

std::string text_of(const Entry& e) {
    return sdp_test::read_file(corpus_dir() / e.file);
}

LocalParameters local_parameters() {
    LocalParameters local;
    local.ice_ufrag = "fLoE";
    local.ice_pwd = "0123456789abcdefABCDEF+/";
    local.fingerprint.digest.assign(32, 0xab);
    local.session_id = 4611686018427387903ull;
    local.session_version = 2;
    return local;
}

}  // namespace

TEST_CASE("the corpus is the set of files this test knows") {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(corpus_dir()))
        if (entry.path().extension() == ".sdp")
            found.push_back(std::filesystem::relative(entry.path(), corpus_dir()).generic_string());
    std::sort(found.begin(), found.end());
    std::vector<std::string> listed;
    for (const auto& e : corpus)
        listed.push_back(e.file);
    CHECK(found == listed);
    CHECK(std::filesystem::exists(corpus_dir() / "README.md"));
}

TEST_CASE("every description in the corpus parses, CRLF or LF, and round-trips") {
    for (const auto& e : corpus) {
        CAPTURE(e.file);
        const std::string text = text_of(e);
        REQUIRE(text.find("\r\n") != std::string::npos);  // kept as the stack wrote it
        auto parsed = parse(text);
        REQUIRE_MESSAGE(parsed.ok(), parsed.error().message());
        CHECK(parsed->media.size() == e.sections);
        // Every line of these is one floe has a place for: nothing lands in other_lines.
        CHECK(write(*parsed) == text);
        auto lf = parse(sdp_test::to_lf(text));
        REQUIRE(lf.ok());
        CHECK(*lf == *parsed);
    }
}

TEST_CASE("floe answers every corpus offer as JSEP asks, and reads its own answer back") {
    std::size_t offers = 0;
    for (const auto& e : corpus) {
        if (e.kind != Kind::offer) continue;
        CAPTURE(e.file);
        ++offers;
        auto remote = read_remote(text_of(e), SdpType::offer);
        REQUIRE_MESSAGE(remote.ok(), remote.error().message());
        CHECK(remote->candidates.size() == e.candidates);
        CHECK(remote->form == e.form);
        CHECK(remote->setup == Setup::actpass);

        // What the PeerConnection core does with a remote offer.
        auto answer = create_answer(remote->description, local_parameters());
        REQUIRE_MESSAGE(answer.ok(), answer.error().message());
        const std::string answer_text = write(*answer);
        auto mine = read_remote(answer_text, SdpType::answer);
        REQUIRE_MESSAGE(mine.ok(), mine.error().message());

        CHECK(mine->mid == remote->mid);
        CHECK(mine->media_index == remote->media_index);
        CHECK(mine->form == remote->form);
        CHECK(mine->setup == Setup::active);
        CHECK(is_dtls_client(mine->setup, remote->setup));
        const Media& offered = remote->description.media[remote->media_index];
        const Media& data = answer->media[remote->media_index];
        CHECK(data.protocol == offered.protocol);
        CHECK(data.formats == offered.formats);
        CHECK(data.has("sctp-port") == (e.form == modern));
        CHECK(data.has("sctpmap") == (e.form != modern));
        // JSEP §5.3.1: as many sections as offered; the others rejected with port 0, same mid.
        REQUIRE(answer->media.size() == remote->description.media.size());
        for (std::size_t i = 0; i < answer->media.size(); ++i) {
            if (i == remote->media_index) continue;
            CHECK(answer->media[i].port == 0);
            CHECK(answer->media[i].media == remote->description.media[i].media);
            CHECK(mid(answer->media[i]) == mid(remote->description.media[i]));
        }
        CHECK(bundle_mids(*answer) == std::vector<std::string>{remote->mid});
    }
    CHECK(offers == 8);
}

TEST_CASE("an offer that forces the active role is answered passive") {
    for (const auto& e : corpus) {
        if (e.kind != Kind::offer) continue;
        CAPTURE(e.file);
        std::string text = text_of(e);
        std::size_t replaced = 0;
        for (auto at = text.find("a=setup:actpass"); at != std::string::npos;
             at = text.find("a=setup:actpass", at), ++replaced)
            text.replace(at, 15, "a=setup:active");
        REQUIRE(replaced > 0);
        auto remote = read_remote(text, SdpType::offer);
        REQUIRE(remote.ok());
        auto answer = create_answer(remote->description, local_parameters());
        REQUIRE(answer.ok());
        auto mine = read_remote(write(*answer), SdpType::answer);
        REQUIRE(mine.ok());
        CHECK(mine->setup == Setup::passive);
        CHECK_FALSE(is_dtls_client(mine->setup, remote->setup));
    }
}

TEST_CASE("every corpus answer is read as the answer to a floe offer") {
    auto offer = create_offer(local_parameters());
    REQUIRE(offer.ok());
    std::size_t answers = 0;
    for (const auto& e : corpus) {
        if (e.kind != Kind::answer) continue;
        CAPTURE(e.file);
        ++answers;
        auto r = read_remote(text_of(e), SdpType::answer);
        REQUIRE_MESSAGE(r.ok(), r.error().message());
        // floe's offer has one data section with mid "0"; the answer must match it.
        CHECK(r->mid == *mid(offer->media[0]));
        CHECK(r->media_index == 0);
        CHECK(r->form == e.form);
        CHECK(r->candidates.size() == e.candidates);
        CHECK(r->setup == Setup::active);
        CHECK_FALSE(is_dtls_client(Setup::actpass, r->setup));  // floe is the DTLS server
        CHECK(r->fingerprints.size() == 1);
    }
    CHECK(answers == 5);
}

TEST_CASE("libdatachannel's ice-options read as trickle and ice2") {
    const auto lib = std::find_if(std::begin(corpus), std::end(corpus), [](const Entry& e) {
        return std::string_view(e.file) == "libdatachannel/offer.sdp";
    });
    REQUIRE(lib != std::end(corpus));
    auto r = read_remote(text_of(*lib), SdpType::offer);
    REQUIRE(r.ok());
    CHECK(r->ice_options.trickle);
    CHECK(r->ice_options.ice2);
}
