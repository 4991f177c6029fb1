// JSEP for data channels: the offer floe writes, the answers it gives, and the roles they imply.
#include <doctest/doctest.h>

#include <floe/sdp/attributes.hpp>
#include <floe/sdp/jsep.hpp>

#include "sdp_test_support.hpp"

using namespace floe::sdp;
using floe::ice::Candidate;

namespace {

LocalParameters local_parameters() {
    LocalParameters local;
    local.ice_ufrag = "fLoE";
    local.ice_pwd = "0123456789abcdefABCDEF+/";
    local.fingerprint.algorithm = HashFunction::sha256;
    for (std::uint8_t i = 0; i < 32; ++i)
        local.fingerprint.digest.push_back(i);
    local.session_id = 4611686018427387903ull;
    local.session_version = 2;
    return local;
}

Candidate candidate(const char* line) {
    auto c = Candidate::parse(line);
    REQUIRE(c.ok());
    return *c;
}

const char* const trickle_offer =
    "v=0\r\n"
    "o=- 4611686018427387903 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:fLoE\r\n"
    "a=ice-pwd:0123456789abcdefABCDEF+/\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:"
    "1E:1F\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

// An offer with audio and video around the data section, as a browser with media would send.
std::string media_offer(bool bundle = true) {
    std::vector<std::string> lines = {
        "v=0",
        "o=- 1 1 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
    };
    if (bundle) lines.push_back("a=group:BUNDLE a v d");
    for (const char* l : {
             "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
             "c=IN IP4 0.0.0.0",
             "a=mid:a",
             "a=rtpmap:111 opus/48000/2",
             "m=video 9 UDP/TLS/RTP/SAVPF 96",
             "c=IN IP4 0.0.0.0",
             "a=mid:v",
             "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
             "c=IN IP4 0.0.0.0",
             "a=ice-ufrag:Ys3t",
             "a=ice-pwd:Mu2KvTcbNWKcf7tE4kXE1aww",
             "a=fingerprint:sha-256 BA:6E:06:10:0D:F0:D6:84:C5:BF:35:24:6A:6F:0D:E8:81:B0:FE:D7:"
             "2A:7D:91:56:C7:06:CA:B6:AD:A8:68:B8",
             "a=setup:actpass",
             "a=mid:d",
             "a=sctp-port:5000",
         })
        lines.emplace_back(l);
    return sdp_test::join_crlf(lines);
}

}  // namespace

TEST_CASE("a trickle offer is exactly the data-channel offer JSEP describes") {
    auto offer = create_offer(local_parameters());
    REQUIRE(offer.ok());
    CHECK(write(*offer) == trickle_offer);
}

TEST_CASE("floe's offer reads back as the parameters it was made from") {
    auto local = local_parameters();
    local.candidates = {
        candidate("candidate:1 1 udp 2113937151 192.0.2.10 40000 typ host generation 0"),
        candidate("candidate:2 1 udp 1677729535 203.0.113.5 41000 typ srflx raddr 192.0.2.10 "
                  "rport 40000"),
    };
    local.end_of_candidates = true;
    local.max_message_size = 1 << 20;
    auto offer = create_offer(local);
    REQUIRE(offer.ok());
    const Media& m = offer->media.at(0);
    CHECK(m.port == 40000);  // the default candidate
    CHECK(m.connections.at(0).address == "192.0.2.10");
    auto r = read_remote(write(*offer), SdpType::offer);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->ice_ufrag == local.ice_ufrag);
    CHECK(r->ice_pwd == local.ice_pwd);
    REQUIRE(r->fingerprints.size() == 1);
    CHECK(r->fingerprints[0] == local.fingerprint);
    CHECK(r->setup == Setup::actpass);
    CHECK(r->mid == "0");
    CHECK(r->sctp_port == 5000);
    CHECK(r->max_message_size == 1u << 20);
    CHECK(r->candidates == local.candidates);
    CHECK(r->end_of_candidates);
    CHECK(r->ice_options.trickle);
    CHECK(r->form == DataChannelForm::modern);
}

TEST_CASE("an IPv6 default candidate gives c=IN IP6") {
    auto local = local_parameters();
    local.candidates = {candidate("candidate:1 1 udp 1 2001:db8::7 5000 typ host")};
    auto offer = create_offer(local);
    REQUIRE(offer.ok());
    CHECK(offer->media.at(0).connections.at(0).address_type == "IP6");
    CHECK(offer->media.at(0).connections.at(0).address == "2001:db8::7");
}

TEST_CASE("ice-lite is written at session level and read back") {
    auto local = local_parameters();
    local.ice_lite = true;
    auto offer = create_offer(local);
    REQUIRE(offer.ok());
    auto r = read_remote(write(*offer), SdpType::offer);
    REQUIRE(r.ok());
    CHECK(r->ice_lite);
}

TEST_CASE("local parameters that would make an invalid description are refused") {
    auto check = [](LocalParameters local) {
        auto offer = create_offer(local);
        REQUIRE(!offer.ok());
        CHECK(offer.error().problem == Problem::invalid_local_parameters);
    };
    auto l = local_parameters();
    l.ice_ufrag = "abc";
    check(l);
    l = local_parameters();
    l.ice_pwd = "short";
    check(l);
    l = local_parameters();
    l.fingerprint.digest.pop_back();
    check(l);
    l = local_parameters();
    l.setup = Setup::holdconn;
    check(l);
    l = local_parameters();
    l.mid = "";
    check(l);
}

TEST_CASE("an answer rejects audio and video in place and bundles only the data section") {
    auto offer = parse(media_offer());
    REQUIRE(offer.ok());
    auto answer = create_answer(*offer, local_parameters());
    REQUIRE_MESSAGE(answer.ok(), answer.error().message());
    REQUIRE(answer->media.size() == 3);
    CHECK(answer->media[0].media == "audio");
    CHECK(answer->media[0].port == 0);
    CHECK(answer->media[0].formats == std::vector<std::string>{"111", "0"});
    CHECK(mid(answer->media[0]) == "a");
    CHECK(answer->media[1].media == "video");
    CHECK(answer->media[1].port == 0);
    CHECK(mid(answer->media[1]) == "v");
    CHECK(answer->media[2].media == "application");
    CHECK(answer->media[2].port == 9);
    CHECK(bundle_mids(*answer) == std::vector<std::string>{"d"});
    auto r = read_remote(write(*answer), SdpType::answer);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->media_index == 2);
    CHECK(r->mid == "d");
    CHECK(r->setup == Setup::active);
}

TEST_CASE("an offer without BUNDLE gets an answer without a group") {
    auto offer = parse(media_offer(false));
    REQUIRE(offer.ok());
    auto answer = create_answer(*offer, local_parameters());
    REQUIRE(answer.ok());
    CHECK(groups(*answer).empty());
}

TEST_CASE("the answer's setup follows the offer: actpass -> active, or the role it forces") {
    CHECK(answer_setup(Setup::actpass) == Setup::active);
    CHECK(answer_setup(Setup::actpass, Setup::passive) == Setup::passive);
    CHECK(answer_setup(Setup::actpass, Setup::actpass) == Setup::active);
    CHECK(answer_setup(Setup::active) == Setup::passive);
    CHECK(answer_setup(Setup::passive, Setup::passive) == Setup::active);
    CHECK(!answer_setup(Setup::holdconn));

    std::string text = media_offer();
    text.replace(text.find("a=setup:actpass"), 15, "a=setup:passive");
    auto offer = parse(text);
    REQUIRE(offer.ok());
    auto local = local_parameters();
    local.setup = Setup::passive;  // a preference, but the offer forces passive on its side
    auto answer = create_answer(*offer, local);
    REQUIRE(answer.ok());
    CHECK(setup(*answer, answer->media.at(2)) == Setup::active);
}

TEST_CASE("the DTLS client is whoever ends up active") {
    CHECK(is_dtls_client(Setup::active, Setup::actpass));
    CHECK(!is_dtls_client(Setup::passive, Setup::actpass));
    CHECK(!is_dtls_client(Setup::actpass, Setup::active));
    CHECK(is_dtls_client(Setup::actpass, Setup::passive));
    // Offerer and answerer never both become the client.
    for (Setup answer : {Setup::active, Setup::passive})
        CHECK(is_dtls_client(Setup::actpass, answer) != is_dtls_client(answer, Setup::actpass));
}

TEST_CASE("floe answers floe: roles, mids and forms agree") {
    auto offerer = local_parameters();
    auto answerer = local_parameters();
    answerer.ice_ufrag = "AnSw";
    answerer.mid = "ignored";
    auto offer = create_offer(offerer);
    REQUIRE(offer.ok());
    auto answer = create_answer(*offer, answerer);
    REQUIRE(answer.ok());
    auto remote_answer = read_remote(write(*answer), SdpType::answer);
    REQUIRE(remote_answer.ok());
    CHECK(remote_answer->mid == "0");
    CHECK(remote_answer->ice_ufrag == "AnSw");
    CHECK(remote_answer->setup == Setup::active);
    CHECK(!is_dtls_client(Setup::actpass, remote_answer->setup));
}

TEST_CASE("a legacy offer is answered in the legacy form") {
    std::string text = media_offer();
    text.replace(text.find("UDP/DTLS/SCTP webrtc-datachannel"), 32, "DTLS/SCTP 5000");
    text.replace(text.find("a=sctp-port:5000"), 16, "a=sctpmap:5000 webrtc-datachannel 1024");
    auto offer = parse(text);
    REQUIRE(offer.ok());
    auto r = read_remote(*offer, SdpType::offer);
    REQUIRE(r.ok());
    CHECK(r->form == DataChannelForm::legacy);
    CHECK(r->max_message_size == 65536);  // RFC 8841 default when absent
    auto answer = create_answer(*offer, local_parameters());
    REQUIRE(answer.ok());
    const Media& m = answer->media.at(2);
    CHECK(m.protocol == "DTLS/SCTP");
    CHECK(m.formats == std::vector<std::string>{"5000"});
    CHECK(m.value("sctpmap") == "5000 webrtc-datachannel 65535");
    CHECK(!m.has("sctp-port"));
}

TEST_CASE("session-level credentials and fingerprint apply to the data section") {
    const std::string text =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "a=ice-ufrag:Ys3t\r\na=ice-pwd:Mu2KvTcbNWKcf7tE4kXE1aww\r\n"
        "a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
        "a=sendrecv\r\na=max-message-size:0\r\n"
        "a=candidate:1 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active network-id 1\r\n"
        "a=candidate:2 1 udp 2122260223 4d9b3a4c-1c4e-4a6e-9b3b-1f0f7f3e2a11.local 5000 typ "
        "host\r\n";
    auto r = read_remote(text, SdpType::offer);
    REQUIRE_MESSAGE(r.ok(), r.error().message());
    CHECK(r->ice_ufrag == "Ys3t");
    REQUIRE(r->fingerprints.size() == 1);
    CHECK(r->fingerprints[0].algorithm == HashFunction::sha1);
    CHECK(r->setup == Setup::active);  // absent in an offer: RFC 4145's default
    CHECK(r->max_message_size == 0);   // 0: no limit, kept as said
    CHECK(r->mid.empty());
    REQUIRE(r->candidates.size() == 2);
    CHECK(r->candidates[0].tcp_type == floe::ice::TcpType::active);
    CHECK(r->candidates[0].extension("network-id") == "1");
    CHECK(r->candidates[1].is_mdns());
}

TEST_CASE("a model built by hand with a bad fingerprint is refused without a line") {
    auto offer = create_offer(local_parameters());
    REQUIRE(offer.ok());
    for (auto& a : offer->media.at(0).attributes)
        if (a.name == "fingerprint") a.value = "sha-256 00:11";
    auto r = read_remote(*offer, SdpType::offer);
    REQUIRE(!r.ok());
    CHECK(r.error().problem == Problem::malformed_fingerprint);
    CHECK(r.error().line == 0);
    auto answer = create_answer(*offer, local_parameters());
    REQUIRE(!answer.ok());
    CHECK(answer.error().problem == Problem::malformed_fingerprint);
}

TEST_CASE("SDP types have their W3C names") {
    for (auto t : {SdpType::offer, SdpType::pranswer, SdpType::answer, SdpType::rollback})
        CHECK(parse_sdp_type(to_string(t)) == t);
    CHECK(!parse_sdp_type("Offer"));
}

TEST_CASE("a missing a=setup means RFC 4145's defaults: active offers, passive answers") {
    const std::string text = sdp_test::data_section_with({
        "a=ice-ufrag:Ys3t",
        "a=ice-pwd:Mu2KvTcbNWKcf7tE4kXE1aww",
        "a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13",
    });
    auto as_offer = read_remote(text, SdpType::offer);
    auto as_answer = read_remote(text, SdpType::answer);
    REQUIRE(as_offer.ok());
    REQUIRE(as_answer.ok());
    CHECK(as_offer->setup == Setup::active);
    CHECK(as_answer->setup == Setup::passive);
    auto offer = parse(text);
    REQUIRE(offer.ok());
    auto answer = create_answer(*offer, local_parameters());
    REQUIRE(answer.ok());
    CHECK(setup(*answer, answer->media.at(0)) == Setup::passive);
}

TEST_CASE("trickled local candidates land in the data section, before end-of-candidates") {
    auto offer = create_offer(local_parameters());
    REQUIRE(offer.ok());
    REQUIRE(add_candidate(*offer, candidate("candidate:1 1 udp 1 192.0.2.1 5000 typ host")));
    REQUIRE(add_end_of_candidates(*offer));
    REQUIRE(add_end_of_candidates(*offer));  // once is enough
    REQUIRE(add_candidate(*offer, candidate("candidate:2 1 udp 1 192.0.2.2 5001 typ host")));
    const auto& a = offer->media.at(0).attributes;
    CHECK(a.at(0).name == "candidate");
    CHECK(a.at(1).name == "candidate");
    CHECK(a.at(1).value == "2 1 udp 1 192.0.2.2 5001 typ host");
    CHECK(a.at(2).name == "end-of-candidates");
    CHECK(offer->media.at(0).values("end-of-candidates").size() == 1);
    auto r = read_remote(write(*offer), SdpType::offer);
    REQUIRE(r.ok());
    CHECK(r->candidates.size() == 2);
    CHECK(r->end_of_candidates);

    SessionDescription empty;
    CHECK(!add_candidate(empty, candidate("candidate:1 1 udp 1 192.0.2.1 5000 typ host")));
    CHECK(empty.media.empty());
}

TEST_CASE("a remote candidate is for the data section by mid, else by m-line index") {
    RemoteDataParameters r;
    r.mid = "d";
    r.media_index = 2;
    CHECK(is_for_data_section(r, std::string("d"), std::nullopt));
    CHECK(!is_for_data_section(r, std::string("a"), 2));  // the mid decides when given
    CHECK(is_for_data_section(r, std::nullopt, 2));
    CHECK(!is_for_data_section(r, std::nullopt, 0));
    CHECK(!is_for_data_section(r, std::nullopt, std::nullopt));
}

TEST_CASE("reading a remote offer as text also gives the description to answer") {
    auto remote = read_remote(media_offer(), SdpType::offer);
    REQUIRE(remote.ok());
    CHECK(remote->description.media.size() == 3);
    CHECK(remote->mid == "d");
    auto answer = create_answer(remote->description, local_parameters());
    REQUIRE(answer.ok());
    CHECK(answer->media.size() == 3);
}
