#include "sctp/tuning.hpp"

#include <algorithm>

#include "sctp/usrsctp.hpp"

namespace floe::sctp {

namespace {
std::uint32_t ms(Duration d) {
    return static_cast<std::uint32_t>(duration_cast<milliseconds>(d).count());
}
}  // namespace

void apply_usrsctp_defaults() {
    usrsctp_sysctl_set_sctp_rto_initial_default(ms(kRtoInitial));
    usrsctp_sysctl_set_sctp_rto_min_default(ms(kRtoMin));
    usrsctp_sysctl_set_sctp_rto_max_default(ms(kRtoMax));
    usrsctp_sysctl_set_sctp_init_rto_max_default(ms(kRtoMax));
    usrsctp_sysctl_set_sctp_assoc_rtx_max_default(kMaxRetransmissions);
    usrsctp_sysctl_set_sctp_path_rtx_max_default(kMaxRetransmissions);
}

Duration initial_rto_for(std::optional<Duration> rtt) {
    if (!rtt) return kRtoInitial;
    return std::clamp<Duration>(3 * *rtt, kMinInitialRto, kRtoInitial);
}

Duration rto_min_for_lag(Duration lag) {
    if (lag <= Duration::zero()) return kRtoMin;
    return std::min<Duration>(kRtoMin + 2 * lag, kRtoInitial);
}

ProcessCounters process_counters() {
    sctpstat s{};
    usrsctp_get_stat(&s);
    ProcessCounters c;
    c.data_chunks_sent = s.sctps_senddata;
    c.retransmitted_chunks = s.sctps_sendretransdata;
    c.fast_retransmits = s.sctps_sendfastretrans;
    c.t3_timeouts = s.sctps_timodata;
    c.sacks_sent = s.sctps_sendsacks;
    c.duplicate_chunks_received = s.sctps_recvdupdata;
    c.init_timeouts = std::uint64_t{s.sctps_timoinit} + s.sctps_timocookie;
    return c;
}

}  // namespace floe::sctp
