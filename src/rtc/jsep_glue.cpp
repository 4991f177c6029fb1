// TEMPORARY: a minimal writer and reader for the data-channel description, so the PeerConnection
// can run end to end before the sdp branch's JSEP layer lands. To be replaced by calls into
// include/floe/sdp (one way to do each thing).
#include "rtc/jsep_glue.hpp"

#include <charconv>
#include <string_view>

#include <floe/error.hpp>

namespace floe::rtc {

std::string write_description(const LocalDescriptionParams& p) {
    std::string s;
    const auto line = [&](std::string_view text) {
        s += text;
        s += "\r\n";
    };
    line("v=0");
    line("o=- " + std::to_string(p.session_id) + " " + std::to_string(p.session_version) +
         " IN IP4 127.0.0.1");
    line("s=-");
    line("t=0 0");
    line("a=group:BUNDLE " + p.mid);
    line("a=msid-semantic: WMS");
    line(p.legacy ? "m=application 9 DTLS/SCTP 5000"
                  : "m=application 9 UDP/DTLS/SCTP webrtc-datachannel");
    line("c=IN IP4 0.0.0.0");
    for (const auto& c : p.candidates)
        line("a=" + c.to_string());
    if (p.end_of_candidates) line("a=end-of-candidates");
    line("a=ice-ufrag:" + p.credentials.ufrag);
    line("a=ice-pwd:" + p.credentials.pwd);
    line("a=ice-options:trickle");
    line("a=fingerprint:" + p.fingerprint);
    line(std::string("a=setup:") + (p.setup == DtlsSetup::actpass  ? "actpass"
                                    : p.setup == DtlsSetup::active ? "active"
                                                                   : "passive"));
    line("a=mid:" + p.mid);
    if (p.legacy)
        line("a=sctpmap:5000 webrtc-datachannel 65535");
    else
        line("a=sctp-port:" + std::to_string(p.sctp_port));
    line("a=max-message-size:" + std::to_string(p.max_message_size));
    return s;
}

RemoteDescriptionParams read_description(SdpType, const std::string& sdp) {
    RemoteDescriptionParams r;
    std::size_t number = 0;
    bool in_application = false, seen_application = false;
    int mline = -1;
    std::optional<std::string> setup;
    const auto fail = [&](const std::string& what, std::string_view text) {
        throw OperationError("line " + std::to_string(number) + ": " + what + " (in \"" +
                             std::string(text) + "\")");
    };
    const auto number_of = [&](std::string_view v, std::string_view text) -> std::uint64_t {
        std::uint64_t n = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc{} || ptr != v.data() + v.size()) fail("expected a number", text);
        return n;
    };
    std::string_view rest = sdp;
    while (!rest.empty()) {
        auto nl = rest.find('\n');
        std::string_view text = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        ++number;
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (text.empty()) continue;
        if (text.size() < 2 || text[1] != '=') fail("expected <type>=<value>", text);
        if (text.starts_with("m=")) {
            ++mline;
            const bool app = text.starts_with("m=application ");
            in_application = app && !seen_application;
            if (in_application) {
                seen_application = true;
                r.mline_index = mline;
                r.legacy = text.find("UDP/DTLS/SCTP") == std::string_view::npos &&
                           text.find("DTLS/SCTP") != std::string_view::npos;
            }
            continue;
        }
        if (!text.starts_with("a=")) continue;
        if (mline >= 0 && !in_application) continue;
        const std::string_view attr = text.substr(2);
        const auto colon = attr.find(':');
        const std::string_view name = attr.substr(0, colon);
        const std::string_view value =
            colon == std::string_view::npos ? std::string_view{} : attr.substr(colon + 1);
        if (name == "ice-ufrag") {
            r.credentials.ufrag = value;
        } else if (name == "ice-pwd") {
            r.credentials.pwd = value;
        } else if (name == "fingerprint") {
            r.fingerprints.emplace_back(value);
        } else if (name == "setup") {
            setup = std::string(value);
            if (value == "actpass")
                r.setup = DtlsSetup::actpass;
            else if (value == "active")
                r.setup = DtlsSetup::active;
            else if (value == "passive")
                r.setup = DtlsSetup::passive;
            else
                fail("expected a=setup:actpass|active|passive", text);
        } else if (name == "mid") {
            r.mid = value;
        } else if (name == "sctp-port") {
            r.sctp_port = static_cast<std::uint16_t>(number_of(value, text));
        } else if (name == "sctpmap") {
            r.sctp_port =
                static_cast<std::uint16_t>(number_of(value.substr(0, value.find(' ')), text));
        } else if (name == "max-message-size") {
            r.max_message_size = number_of(value, text);
        } else if (name == "candidate") {
            auto c = ice::Candidate::parse(attr);
            if (!c)
                fail("candidate field " + std::to_string(c.error().field) + ": " + c.error().reason,
                     text);
            r.candidates.push_back(std::move(*c));
        } else if (name == "end-of-candidates") {
            r.end_of_candidates = true;
        }
    }
    number = 0;
    if (!seen_application)
        throw OperationError("no m=application section: no data channels offered");
    if (r.credentials.ufrag.empty() || r.credentials.pwd.empty())
        throw OperationError("missing a=ice-ufrag or a=ice-pwd");
    if (r.fingerprints.empty()) throw OperationError("missing a=fingerprint");
    if (!setup) r.setup = DtlsSetup::actpass;
    return r;
}

}  // namespace floe::rtc
