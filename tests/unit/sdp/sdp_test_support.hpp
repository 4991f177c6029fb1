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

// data_section_lines() followed by `more`.
inline std::string data_section_with(const std::vector<std::string>& more) {
    auto lines = data_section_lines();
    lines.insert(lines.end(), more.begin(), more.end());
    return join_crlf(lines);
}

}  // namespace sdp_test
