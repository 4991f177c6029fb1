#include "args.hpp"

#include <charconv>

namespace floe::cli {

namespace {
bool is_option(const std::string& w) {
    return w.size() > 2 && w.compare(0, 2, "--") == 0;
}
}  // namespace

bool Args::flag(const std::string& name) {
    bool found = false;
    for (auto it = words_.begin(); it != words_.end();) {
        if (*it == "--" + name) {
            found = true;
            it = words_.erase(it);
        } else {
            ++it;
        }
    }
    return found;
}

std::vector<std::string> Args::values(const std::string& name) {
    std::vector<std::string> out;
    const std::string option = "--" + name;
    for (auto it = words_.begin(); it != words_.end();) {
        if (*it == option) {
            if (std::next(it) == words_.end()) throw UsageError(option + " needs a value");
            out.push_back(*std::next(it));
            it = words_.erase(it, std::next(it, 2));
        } else if (it->compare(0, option.size() + 1, option + "=") == 0) {
            out.push_back(it->substr(option.size() + 1));
            it = words_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Args::ordered_values(
    const std::vector<std::string>& names) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = words_.begin(); it != words_.end();) {
        bool matched = false;
        for (const auto& name : names) {
            const std::string option = "--" + name;
            if (*it == option) {
                if (std::next(it) == words_.end()) throw UsageError(option + " needs a value");
                out.emplace_back(name, *std::next(it));
                it = words_.erase(it, std::next(it, 2));
                matched = true;
                break;
            }
            if (it->compare(0, option.size() + 1, option + "=") == 0) {
                out.emplace_back(name, it->substr(option.size() + 1));
                it = words_.erase(it);
                matched = true;
                break;
            }
        }
        if (!matched) ++it;
    }
    return out;
}

std::optional<std::string> Args::value(const std::string& name) {
    auto all = values(name);
    if (all.empty()) return std::nullopt;
    return all.back();
}

std::optional<long long> Args::integer(const std::string& name, long long min, long long max) {
    auto text = value(name);
    if (!text) return std::nullopt;
    long long v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc{} || end != text->data() + text->size() || v < min || v > max)
        throw UsageError("--" + name + " takes a number from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", not '" + *text + "'");
    return v;
}

std::vector<std::string> Args::positionals() {
    std::vector<std::string> out;
    for (auto it = words_.begin(); it != words_.end();) {
        if (!is_option(*it)) {
            out.push_back(*it);
            it = words_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

void Args::finish() const {
    if (!words_.empty()) throw UsageError("unknown option '" + words_.front() + "'");
}

}  // namespace floe::cli
