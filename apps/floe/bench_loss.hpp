// floe bench W7: floe against floe between two network namespaces that drop a given share of the
// UDP datagrams arriving at each side (nftables `numgen random`, as the interop kit's IOP_LOSS).
// Each run is two `floe peer` processes of this binary (file signaling), so the figures include
// ICE, DTLS and SCTP exactly as an application sees them. Needs root, ip, nft and ethtool; never
// part of `bench all` or of CI timing. Addresses are 198.19.7.1 and 198.19.7.2 (RFC 2544's
// benchmarking range), the namespaces are deleted on exit and on SIGINT / SIGTERM, and only the
// processes this workload started are ended, by PID.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace floe::cli::bench {

struct LossOptions {
    std::vector<int> rates = {0, 1, 2, 5, 10, 20};  // percent dropped at each side's input
    int runs = 3;
    double mib = 0;  // bulk volume per run; 0: 16 MiB, 8 at 10 %, 4 at 20 % and above
    int pings = 200;
    std::vector<int> ping_rates = {1, 5};
    double run_timeout_s = 120;
};

// Called once per figure: name, samples, unit.
using FigureSink = std::function<void(const std::string& name, const std::vector<double>& samples,
                                      const char* unit)>;

// Throws std::runtime_error when the set-up fails or a run fails (a wrong or missing byte).
void loss_workload(const LossOptions& options, const FigureSink& figure);

}  // namespace floe::cli::bench
