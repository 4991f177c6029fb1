#include "interop_messages.hpp"

#include <string>
#include <string_view>

namespace floe::cli {

namespace {

// core.js prng(): seed * 2654435761 truncated to 32 bits (0 becomes 1), then xorshift32.
class Xorshift32 {
  public:
    explicit Xorshift32(std::uint32_t seed) : x_(seed * 2654435761u) {
        if (x_ == 0) x_ = 1;
    }
    std::uint32_t next() {
        x_ ^= x_ << 13;
        x_ ^= x_ >> 17;
        x_ ^= x_ << 5;
        return x_;
    }

  private:
    std::uint32_t x_;
};

// TEXT_ALPHABET of core.js, one UTF-8 string per code point.
const std::vector<std::string>& alphabet() {
    static const std::vector<std::string> letters = [] {
        const std::string_view text =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-_"
            "\u00e9\u00fc\u00df\u00f8\u00e7\u00f1\u2713\u20ac\u65e5\u672c\u8a9e\U0001F600";
        std::vector<std::string> out;
        for (std::size_t i = 0; i < text.size();) {
            const auto lead = static_cast<unsigned char>(text[i]);
            const std::size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            out.emplace_back(text.substr(i, n));
            i += n;
        }
        return out;
    }();
    return letters;
}

Message make_text(std::size_t code_points, std::uint32_t seed) {
    Xorshift32 r(seed);
    const auto& letters = alphabet();
    std::string s;
    for (std::size_t i = 0; i < code_points; ++i)
        s += letters[r.next() % letters.size()];
    return Message{false, Bytes(s.begin(), s.end())};
}

Message literal(std::string_view text) {
    return Message{false, Bytes(text.begin(), text.end())};
}

}  // namespace

Bytes interop_binary(std::size_t size, std::uint32_t seed) {
    Xorshift32 r(seed);
    Bytes out(size);
    for (auto& b : out)
        b = static_cast<std::uint8_t>(r.next() & 0xff);
    return out;
}

std::vector<Message> build_interop_messages(int count, bool with_empty) {
    struct Spec {
        char kind;
        std::size_t n;
        std::string_view text;
    };
    static const Spec base[] = {
        {'t', 0, "hello"}, {'t', 0, "h\u00e9llo w\u00f6rld \u2713 \U0001F600 \u65e5\u672c\u8a9e"},
        {'b', 1, {}},      {'b', 100, {}},
        {'b', 1200, {}},   {'t', 1500, {}},
        {'b', 16384, {}},  {'b', 16385, {}},
        {'t', 8000, {}},   {'b', 65536, {}},
        {'t', 1, {}},      {'b', 65535, {}},
    };
    std::vector<Message> out;
    for (int i = 0; i < count; ++i) {
        const auto seed = static_cast<std::uint32_t>(i + 1);
        if (static_cast<std::size_t>(i) < std::size(base)) {
            const Spec& s = base[i];
            if (!s.text.empty())
                out.push_back(literal(s.text));
            else if (s.kind == 't')
                out.push_back(make_text(s.n, seed));
            else
                out.push_back(Message{true, interop_binary(s.n, seed)});
            continue;
        }
        Xorshift32 r(static_cast<std::uint32_t>(1000 + i));
        const bool binary = i % 2 != 0;
        const std::size_t n = 1 + r.next() % (binary ? 65536 : 16000);
        out.push_back(binary ? Message{true, interop_binary(n, seed)} : make_text(n, seed));
    }
    if (with_empty) {
        out.push_back(literal(""));
        out.push_back(Message{true, {}});
        out.push_back(literal("after-empty"));
    }
    return out;
}

}  // namespace floe::cli
