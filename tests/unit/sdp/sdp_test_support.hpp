// Helpers shared by the SDP tests: reading the shared samples and editing a description by line.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace sdp_test {

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::filesystem::path samples_dir() {
    return std::filesystem::path(FLOE_TESTDATA_DIR) / "sdp";
}

// Every *.sdp sample, sorted, as paths relative to samples_dir() ("chromium/offer.sdp").
inline std::vector<std::string> sample_names() {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(samples_dir()))
        if (entry.path().extension() == ".sdp")
            out.push_back(std::filesystem::relative(entry.path(), samples_dir()).generic_string());
    std::sort(out.begin(), out.end());
    return out;
}

inline std::string sample_text(const std::string& name) {
    return read_file(samples_dir() / name);
}

// The same text with LF line endings.
inline std::string to_lf(const std::string& text) {
    std::string out;
    for (char c : text)
        if (c != '\r') out += c;
    return out;
}

// The session lines and the m=/c= of a data section, for tests to add attributes to.
inline std::vector<std::string> data_section_lines() {
    return {"v=0",
            "o=- 1 1 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "c=IN IP4 0.0.0.0"};
}

inline std::string join_crlf(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\r\n";
    return out;
}

inline const std::string fp =
    "sha-256 BA:6E:06:10:0D:F0:D6:84:C5:BF:35:24:6A:6F:0D:E8:81:B0:FE:D7:2A:7D:91:56:C7:06:CA:B6:"
    "AD:A8:68:B8";

// A valid data-channel offer, one line per entry; tests break or bend one line of it.
inline std::vector<std::string> valid_offer_lines() {
    return {
        "v=0",                                                     // 1
        "o=- 34908338695154179 2 IN IP4 127.0.0.1",                // 2
        "s=-",                                                     // 3
        "t=0 0",                                                   // 4
        "a=group:BUNDLE 0",                                        // 5
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",        // 6
        "c=IN IP4 0.0.0.0",                                        // 7
        "a=candidate:1 1 udp 2113937151 192.0.2.1 5000 typ host",  // 8
        "a=ice-ufrag:Ys3t",                                        // 9
        "a=ice-pwd:Mu2KvTcbNWKcf7tE4kXE1aww",                      // 10
        "a=ice-options:trickle",                                   // 11
        "a=fingerprint:" + fp,                                     // 12
        "a=setup:actpass",                                         // 13
        "a=mid:0",                                                 // 14
        "a=sctp-port:5000",                                        // 15
        "a=max-message-size:262144",                               // 16
    };
}

// valid_offer_lines() with line `line` (1-based) replaced, removed, or a line inserted before it,
// or two lines swapped, as CRLF text.
inline std::string replaced(std::size_t line, std::string text) {
    auto lines = valid_offer_lines();
    lines.at(line - 1) = std::move(text);
    return join_crlf(lines);
}
inline std::string removed(std::size_t line) {
    auto lines = valid_offer_lines();
    lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(line - 1));
    return join_crlf(lines);
}
inline std::string inserted(std::size_t before, std::string text) {
    auto lines = valid_offer_lines();
    lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(before - 1), std::move(text));
    return join_crlf(lines);
}
inline std::string swapped(std::size_t a, std::size_t b) {
    auto lines = valid_offer_lines();
    std::swap(lines.at(a - 1), lines.at(b - 1));
    return join_crlf(lines);
}

// data_section_lines() followed by `more`.
inline std::string data_section_with(const std::vector<std::string>& more) {
    auto lines = data_section_lines();
    lines.insert(lines.end(), more.begin(), more.end());
    return join_crlf(lines);
}

}  // namespace sdp_test
