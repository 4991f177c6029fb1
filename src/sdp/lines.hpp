// Splits a description into its lines: LF or CRLF endings, numbered from 1. Shared by the parser
// and by the JSEP layer, which finds the line an error is about.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace floe::sdp {

struct TextLine {
    std::size_t number = 0;
    std::string_view text;  // without the line ending
};

class LineCursor {
  public:
    explicit LineCursor(std::string_view input) : rest_(input) {}

    std::optional<TextLine> next() {
        if (rest_.empty()) return std::nullopt;
        const auto newline = rest_.find('\n');
        std::string_view text = rest_.substr(0, newline);
        rest_.remove_prefix(newline == std::string_view::npos ? rest_.size() : newline + 1);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        return TextLine{++number_, text};
    }
    // Only line endings remain.
    bool at_blank_end() const { return rest_.find_first_not_of("\r\n") == std::string_view::npos; }
    std::size_t number() const { return number_; }

  private:
    std::string_view rest_;
    std::size_t number_ = 0;
};

}  // namespace floe::sdp
