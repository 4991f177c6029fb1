#include <floe/json.hpp>

#include <cstdint>

#include "common/text.hpp"

namespace floe::json {

const Member* Object::find(std::string_view name) const {
    for (const auto& m : members)
        if (m.name == name) return &m;
    return nullptr;
}

std::optional<std::string_view> Object::get(std::string_view name, Kind kind) const {
    const Member* m = find(name);
    if (!m || m->kind != kind) return std::nullopt;
    return std::string_view(m->value);
}

namespace {

class Reader {
  public:
    explicit Reader(std::string_view text) : text_(text) {}

    Result<Object, Error> object();

  private:
    Failure<Error> error(std::string expected) const {
        return fail(Error{pos_, std::move(expected)});
    }
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                       text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }
    bool eat(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool literal(std::string_view word) {
        if (text_.substr(pos_).starts_with(word)) {
            pos_ += word.size();
            return true;
        }
        return false;
    }
    std::optional<std::uint32_t> hex4();
    bool string(std::string& out);
    bool number(std::string& out);

    std::string_view text_;
    std::size_t pos_ = 0;
};

std::optional<std::uint32_t> Reader::hex4() {
    if (text_.size() - pos_ < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        const char c = text_[pos_++];
        v <<= 4;
        if (text::is_digit(c))
            v |= static_cast<std::uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= static_cast<std::uint32_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= static_cast<std::uint32_t>(c - 'A' + 10);
        else
            return std::nullopt;
    }
    return v;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// At the opening quote; leaves pos_ after the closing one.
bool Reader::string(std::string& out) {
    if (!eat('"')) return false;
    while (pos_ < text_.size()) {
        const char c = text_[pos_++];
        if (c == '"') return true;
        if (static_cast<unsigned char>(c) < 0x20) return false;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (pos_ >= text_.size()) return false;
        switch (text_[pos_++]) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                auto cp = hex4();
                if (!cp || (*cp >= 0xdc00 && *cp <= 0xdfff)) return false;  // lone low surrogate
                if (*cp >= 0xd800 && *cp <= 0xdbff) {  // a high surrogate needs its low half
                    if (!literal("\\u")) return false;
                    auto low = hex4();
                    if (!low || *low < 0xdc00 || *low > 0xdfff) return false;
                    *cp = 0x10000 + ((*cp - 0xd800) << 10) + (*low - 0xdc00);
                }
                append_utf8(out, *cp);
                break;
            }
            default:
                return false;
        }
    }
    return false;
}

// RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
bool Reader::number(std::string& out) {
    const std::size_t start = pos_;
    auto digits = [&] {
        const std::size_t from = pos_;
        while (pos_ < text_.size() && text::is_digit(text_[pos_]))
            ++pos_;
        return pos_ - from;
    };
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0')
        ++pos_;
    else if (digits() == 0)
        return false;
    if (pos_ < text_.size() && text_[pos_] == '.') {
        ++pos_;
        if (digits() == 0) return false;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
        if (digits() == 0) return false;
    }
    out = std::string(text_.substr(start, pos_ - start));
    return true;
}

Result<Object, Error> Reader::object() {
    Object out;
    if (!eat('{')) return error("'{'");
    if (!eat('}')) {
        do {
            Member m;
            skip_space();
            if (!string(m.name)) return error("a member name (a string)");
            if (!eat(':')) return error("':'");
            skip_space();
            if (pos_ >= text_.size()) return error("a value");
            const char c = text_[pos_];
            if (c == '"') {
                m.kind = Kind::string;
                if (!string(m.value)) return error("a valid string");
            } else if (literal("true") || literal("false")) {
                m.kind = Kind::boolean;
                m.value = c == 't' ? "true" : "false";
            } else if (literal("null")) {
                m.kind = Kind::null;
                m.value = "null";
            } else if (c == '-' || text::is_digit(c)) {
                m.kind = Kind::number;
                if (!number(m.value)) return error("a number");
            } else {
                return error("a string, number, true, false or null (no nested values)");
            }
            out.members.push_back(std::move(m));
        } while (eat(','));
        if (!eat('}')) return error("',' or '}'");
    }
    skip_space();
    if (pos_ != text_.size()) return error("the end of the text");
    return out;
}

}  // namespace

Result<Object, Error> parse_flat_object(std::string_view text) {
    return Reader(text).object();
}

void append_string(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += "\\u00";
                    out += hex[(c >> 4) & 0xf];
                    out += hex[c & 0xf];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

std::string quote(std::string_view text) {
    std::string out;
    append_string(out, text);
    return out;
}

}  // namespace floe::json
