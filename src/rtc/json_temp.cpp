// TEMPORARY: JSON for RTCSessionDescriptionInit and RTCIceCandidateInit until the sdp branch's
// JSON helpers land (then these become calls into them).
#include <cctype>
#include <cstdio>
#include <map>

#include <floe/error.hpp>
#include <floe/peer_connection.hpp>

namespace floe {
namespace {

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"')
            out += "\\\"";
        else if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            out += b;
        } else
            out += ch;
    }
    return out + "\"";
}

// A flat object of string / number / bool / null values.
std::map<std::string, std::string> parse_flat(std::string_view j) {
    std::map<std::string, std::string> out;
    std::size_t i = 0;
    const auto ws = [&] {
        while (i < j.size() && std::isspace(static_cast<unsigned char>(j[i])))
            ++i;
    };
    const auto bad = [&](const char* what) {
        throw InvalidArgumentError(std::string("JSON: ") + what + " at offset " +
                                   std::to_string(i));
    };
    const auto str = [&]() {
        if (i >= j.size() || j[i] != '"') bad("expected a string");
        ++i;
        std::string s;
        while (i < j.size() && j[i] != '"') {
            char c = j[i++];
            if (c == '\\') {
                if (i >= j.size()) bad("bad escape");
                char e = j[i++];
                switch (e) {
                    case 'n':
                        s += '\n';
                        break;
                    case 'r':
                        s += '\r';
                        break;
                    case 't':
                        s += '\t';
                        break;
                    case 'b':
                        s += '\b';
                        break;
                    case 'f':
                        s += '\f';
                        break;
                    case 'u': {
                        if (i + 4 > j.size()) bad("bad \\u escape");
                        unsigned v = std::stoul(std::string(j.substr(i, 4)), nullptr, 16);
                        i += 4;
                        if (v < 0x80)
                            s += static_cast<char>(v);
                        else if (v < 0x800) {
                            s += static_cast<char>(0xC0 | (v >> 6));
                            s += static_cast<char>(0x80 | (v & 0x3F));
                        } else {
                            s += static_cast<char>(0xE0 | (v >> 12));
                            s += static_cast<char>(0x80 | ((v >> 6) & 0x3F));
                            s += static_cast<char>(0x80 | (v & 0x3F));
                        }
                        break;
                    }
                    default:
                        s += e;
                }
            } else
                s += c;
        }
        if (i >= j.size()) bad("unterminated string");
        ++i;
        return s;
    };
    ws();
    if (i >= j.size() || j[i] != '{') bad("expected an object");
    ++i;
    ws();
    if (i < j.size() && j[i] == '}') return out;
    for (;;) {
        ws();
        std::string key = str();
        ws();
        if (i >= j.size() || j[i] != ':') bad("expected ':'");
        ++i;
        ws();
        if (i < j.size() && j[i] == '"')
            out[key] = str();
        else {
            std::size_t start = i;
            while (i < j.size() && j[i] != ',' && j[i] != '}')
                ++i;
            std::string v(j.substr(start, i - start));
            while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())))
                v.pop_back();
            out[key] = v;
        }
        ws();
        if (i < j.size() && j[i] == ',') {
            ++i;
            continue;
        }
        if (i < j.size() && j[i] == '}') return out;
        bad("expected ',' or '}'");
    }
}

}  // namespace

std::string SessionDescription::to_json() const {
    return "{\"type\":" + quote(to_string(type)) + ",\"sdp\":" + quote(sdp) + "}";
}

SessionDescription SessionDescription::from_json(std::string_view json) {
    auto o = parse_flat(json);
    SessionDescription d;
    const auto& t = o["type"];
    if (t == "offer")
        d.type = SdpType::offer;
    else if (t == "answer")
        d.type = SdpType::answer;
    else if (t == "pranswer")
        d.type = SdpType::pranswer;
    else if (t == "rollback")
        d.type = SdpType::rollback;
    else
        throw InvalidArgumentError("JSON: \"type\" must be offer, answer, pranswer or rollback");
    d.sdp = o["sdp"];
    return d;
}

std::string IceCandidate::to_json() const {
    return "{\"candidate\":" + quote(candidate) + ",\"sdpMid\":" + quote(sdp_mid) +
           ",\"sdpMLineIndex\":" + std::to_string(sdp_mline_index) + "}";
}

IceCandidate IceCandidate::from_json(std::string_view json) {
    auto o = parse_flat(json);
    IceCandidate c;
    c.candidate = o["candidate"];
    if (c.candidate.starts_with("a=")) c.candidate.erase(0, 2);
    if (o.count("sdpMid") && o["sdpMid"] != "null") c.sdp_mid = o["sdpMid"];
    if (o.count("sdpMLineIndex") && o["sdpMLineIndex"] != "null")
        c.sdp_mline_index = std::atoi(o["sdpMLineIndex"].c_str());
    return c;
}

}  // namespace floe
