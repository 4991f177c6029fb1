// Printing the outcome of a STUN Binding transaction, shared by `floe stun` and `floe demo`.
#pragma once

#include <string>
#include <string_view>

#include <floe/socket_address.hpp>

#include "stun/client_transaction.hpp"

namespace floe::cli {

struct BindingReport {
    std::string url;       // as the user gave it (or the demo's)
    SocketAddress server;  // the address asked
    SocketAddress local;   // our socket
    bool json = false;
};

// Prints the mapped address, RTT and SOFTWARE (or the error/timeout) to stdout (JSON or text),
// or a clear message to stderr; returns the exit status (0 only for a success response with a
// mapped address).
int report_binding(const BindingReport& report, const stun::ClientTransaction::Event& event);

// A JSON string literal (quotes included).
std::string json_string(std::string_view text);

}  // namespace floe::cli
