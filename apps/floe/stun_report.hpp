// Printing the outcome of a STUN Binding transaction, shared by `floe stun` and `floe demo`.
#pragma once

#include <string>

#include <floe/tools/stun.hpp>

namespace floe::cli {

// Prints the mapped address, RTT and SOFTWARE (or the error/timeout) to stdout (JSON or text),
// or a clear message to stderr; returns the exit status (0 only for a success response with a
// mapped address). `url`: as the user gave it.
int report_binding(const std::string& url, const tools::StunBindingResult& result, bool json);

}  // namespace floe::cli
