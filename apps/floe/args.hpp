// A small argument reader. A command asks for the options it knows (which consumes them), then
// for the positional arguments, then calls finish(), which rejects anything left over.
//   --name value   --name=value   --switch   positional
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace floe::cli {

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Args {
  public:
    explicit Args(std::vector<std::string> words) : words_(std::move(words)) {}

    // A switch without a value.
    bool flag(const std::string& name);
    // The value of the last --name (nullopt when absent). Throws UsageError if it has no value.
    std::optional<std::string> value(const std::string& name);
    // Every value of a repeatable option, in order.
    std::vector<std::string> values(const std::string& name);
    // Every value of any of `names`, as (name, value) in command-line order: for options whose
    // meaning depends on their place (--ice-username applies to the --ice-server before it).
    std::vector<std::pair<std::string, std::string>> ordered_values(
        const std::vector<std::string>& names);
    // A numeric option, range-checked; throws UsageError with the option's name.
    std::optional<long long> integer(const std::string& name, long long min, long long max);
    // What remains that does not start with "--" (a lone "-" is positional: standard input).
    std::vector<std::string> positionals();
    // Throws UsageError naming the first unknown option.
    void finish() const;

  private:
    std::vector<std::string> words_;
};

}  // namespace floe::cli
