// Small helpers for the text protocols (SDP, the ICE candidate line, JSON): character classes,
// case-insensitive comparison, strict unsigned integers, and splitting on spaces. Everything works
// on string_view and never reads outside it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace floe::text {

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_alnum(char c) {
    return is_digit(c) || is_alpha(c);
}
constexpr char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
// RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/".
constexpr bool is_ice_char(char c) {
    return is_alnum(c) || c == '+' || c == '/';
}

// RFC 8866 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
// A table, since attribute names and values are checked a character at a time.
inline constexpr auto token_chars = [] {
    std::array<bool, 256> table{};
    for (int c = 0x21; c <= 0x7e; ++c)
        table[static_cast<std::size_t>(c)] = true;
    for (int c :
         {0x22, 0x28, 0x29, 0x2c, 0x2f, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x5b, 0x5c, 0x5d})
        table[static_cast<std::size_t>(c)] = false;
    return table;
}();
constexpr bool is_token_char(char c) {
    return token_chars[static_cast<unsigned char>(c)];
}

template <class Pred>
constexpr bool all_of(std::string_view s, Pred pred) {
    for (char c : s)
        if (!pred(c)) return false;
    return true;
}

// Whether `s` holds any of the few characters in `set`. A plain loop: find_first_of calls memchr
// once per character of `s`, which dominated parsing profiles.
constexpr bool contains_any(std::string_view s, std::string_view set) {
    for (char c : s)
        for (char d : set)
            if (c == d) return true;
    return false;
}

// A non-empty RFC 8866 token (attribute names, mids, media types).
constexpr bool is_token(std::string_view s) {
    return !s.empty() && all_of(s, is_token_char);
}

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Decimal digits only (no sign, no spaces), at least one, and within T's range.
template <class T>
constexpr std::optional<T> parse_uint(std::string_view s) {
    static_assert(std::numeric_limits<T>::is_integer && !std::numeric_limits<T>::is_signed);
    if (s.empty()) return std::nullopt;
    T value = 0;
    for (char c : s) {
        if (!is_digit(c)) return std::nullopt;
        const T digit = static_cast<T>(c - '0');
        if (value > (std::numeric_limits<T>::max() - digit) / 10) return std::nullopt;
        value = static_cast<T>(value * 10 + digit);
    }
    return value;
}

// Splits at the first `separator`: ("a:b", ':') -> {"a", "b"}; without one, {s, ""} and false.
struct Split {
    std::string_view head, tail;
    bool found = false;
};
constexpr Split split_once(std::string_view s, char separator) {
    const auto at = s.find(separator);
    if (at == std::string_view::npos) return {s, {}, false};
    return {s.substr(0, at), s.substr(at + 1), true};
}

// Words separated by one or more spaces: `while (auto w = words.next()) ...`.
class Words {
  public:
    explicit constexpr Words(std::string_view s) : rest_(s) {}
    constexpr std::optional<std::string_view> next() {
        const auto start = rest_.find_first_not_of(' ');
        if (start == std::string_view::npos) {
            rest_ = {};
            return std::nullopt;
        }
        rest_.remove_prefix(start);
        const auto end = rest_.find(' ');
        const std::string_view word = rest_.substr(0, end);
        rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
        return word;
    }
    // What has not been read yet, leading spaces removed.
    constexpr std::string_view rest() const {
        const auto start = rest_.find_first_not_of(' ');
        return start == std::string_view::npos ? std::string_view{} : rest_.substr(start);
    }

  private:
    std::string_view rest_;
};

// Length of the valid UTF-8 sequence (RFC 3629 §4: no overlongs, no surrogates, at most
// U+10FFFF) that starts `s`, or 0 when it does not start with one.
constexpr std::size_t utf8_sequence_length(std::string_view s) {
    if (s.empty()) return 0;
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    std::size_t n = 0;
    unsigned char low = 0x80, high = 0xbf;  // the second byte's range
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) low = 0xa0;
        if (c == 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) low = 0x90;
        if (c == 0xf4) high = 0x8f;
    } else {
        return 0;
    }
    if (s.size() < n || b(1) < low || b(1) > high) return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (b(i) < 0x80 || b(i) > 0xbf) return 0;
    return n;
}

// `s` fit to print in an error message: control characters, DEL and bytes that are not valid
// UTF-8 become \xNN, so a peer's binary garbage cannot reach a terminal raw.
inline std::string printable(std::string_view s) {
    constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        const auto c = static_cast<unsigned char>(s.front());
        const std::size_t n = c < 0x20 || c == 0x7f ? 0 : utf8_sequence_length(s);
        if (n == 0) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
            s.remove_prefix(1);
        } else {
            out.append(s.substr(0, n));
            s.remove_prefix(n);
        }
    }
    return out;
}

}  // namespace floe::text
