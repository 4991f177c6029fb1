// The process-wide part of usrsctp: its one-time initialisation, the timer clock all associations
// share, and the output callback (conn_output) that routes each packet to its association.
//
// Process-global usrsctp state, and what we do about it:
// - Initialisation happens once per process (std::call_once) with usrsctp_init_nothreads(0, ...):
//   no threads, no UDP encapsulation port. It is never undone: usrsctp_finish() fails while any
//   socket is alive and usrsctp does not support initialising again, so the global state is leaked
//   deliberately. It stays reachable from usrsctp's globals, so LeakSanitizer does not report it.
// - Checksums: usrsctp_enable_crc32c_offload() turns usrsctp's CRC32c off in both directions. We
//   compute it on output (common/crc32c, hardware-accelerated) because peers check it; on input
//   we do not verify: DTLS's authenticated encryption already guarantees integrity (RFC 9653).
// - Timers are global too: usrsctp_handle_timers(elapsed) advances every association's timers.
//   Each handle_timeout(now) feeds the time since the last advance *by any association*, so N
//   associations on one clock do not make usrsctp's time run N times too fast. A `now` more than a
//   second behind the last one is taken as another clock (a test's virtual clock) and restarts the
//   count. usrsctp still reads the real clock for RTT measurement (hence RTO) and, when a
//   retransmission timer expires, to decide which chunks are old enough to resend; only timer
//   expiry follows `now`. On a virtual clock faster than real time a timeout may resend nothing.
//   Timers are served within 1 ms while data is in flight, else at 10 or 200 ms ticks
//   (poll_timeout); usrsctp's settings (RTO, SACK) are in tuning.hpp.
// - conn_output is called synchronously from inside usrsctp calls, and timers of one association
//   may fire from another's handle_timeout (possibly another thread), so each association's
//   outgoing packet queue has a mutex, and a registry of live associations makes packets for a
//   destroyed one go nowhere.
// - Debian's build also tries raw SCTP sockets at init, which fail harmlessly without kernel SCTP;
//   usrsctp's debug output goes to our log at trace level, so nothing prints by default.
#include "sctp/usrsctp_global.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include "common/crc32c.hpp"
#include "sctp/association.hpp"
#include "sctp/packet_trace.hpp"
#include "sctp/tuning.hpp"

// ThreadSanitizer (the tsan preset) sees usrsctp only through the libc calls it intercepts
// (malloc, memset, memcpy): the library is Debian's, not instrumented, so the locks and atomics
// that order its own threads' work on an mbuf are partly invisible. An association's timers may
// run on another association's thread (usrsctp_handle_timers walks all of them, see above), and
// usrsctp then pads or copies an mbuf another thread allocated under usrsctp's own locking: TSan
// reports a race inside usrsctp that is not ours to fix. `called_from_lib` ignores only the
// intercepted calls made *by* libusrsctp; every access floe's code makes, including in
// on_conn_output while usrsctp calls it, is still checked.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FLOE_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(FLOE_TSAN)
extern "C" const char* __tsan_default_suppressions() {
    return "called_from_lib:libusrsctp.so\n";
}
#endif

namespace floe::sctp {

namespace {

// usrsctp sizes its global association table at 31 times sctp_hashtblsize buckets (rounded down to
// a power of two) and its endpoint tables at sctp_hashtblsize: with the default 1,024 that is
// 144 KB, zero-filled at init. The association table is keyed by association id; 64 gives 1,024
// buckets, one or two associations per bucket at 1,000 PeerConnection pairs. The endpoint tables
// are keyed by local port, and every WebRTC association here binds port 5000, so their size does
// not change a lookup.
constexpr std::uint32_t kHashTableSize = 64;
// Each socket's table of its associations (sctp_pcbtblsize, default 256 buckets, 2 KB per socket):
// a WebRTC socket has exactly one association.
constexpr std::uint32_t kPerSocketHashTableSize = 4;

void usrsctp_debug(const char* format, ...) {
    if (!log_enabled(LogLevel::trace)) return;
    char line[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    std::string_view text(line);
    while (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    FLOE_LOG(LogLevel::trace, "usrsctp") << text;
}

// The SCTP common header's checksum field (bytes 8..11), stored little-endian as RFC 9260
// Appendix A's reflected CRC32c requires.
void stamp_checksum(MutableByteSpan packet) {
    if (packet.size() < 12) return;
    std::fill_n(packet.begin() + 8, 4, std::uint8_t{0});
    const std::uint32_t crc = crc32c(packet);
    for (std::size_t i = 0; i < 4; ++i)
        packet[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

// Whether an outgoing packet starts with a SACK that reports gaps (RFC 9260 §3.3.4: 16-byte
// header, the number of gap blocks at bytes 12..13 of the chunk): we are receiving over a lossy
// path. Duplicates are not counted: they come from the sender's spurious timeouts (a busy
// thread), not from losses.
bool reports_loss(ByteSpan packet) {
    constexpr std::size_t chunk = kCommonHeaderSize;
    if (packet.size() < chunk + 16 || packet[chunk] != kSackChunk) return false;
    return (packet[chunk + 12] | packet[chunk + 13]) != 0;
}

}  // namespace

UsrsctpGlobal& UsrsctpGlobal::get() {
    static UsrsctpGlobal* global = [] {
        auto* g = new UsrsctpGlobal;  // leaked deliberately, with usrsctp's own state
        // Smaller lookup tables than usrsctp's defaults, which suit a kernel with many
        // sockets: init zero-fills them, and each page touched is a page fault (the first
        // connection of a process pays for it) and resident memory. See kHashTableSize.
        usrsctp_tunable_set_sctp_hashtblsize(kHashTableSize);
        usrsctp_tunable_set_sctp_pcbtblsize(kPerSocketHashTableSize);
        usrsctp_init_nothreads(0, &Association::on_conn_output, &usrsctp_debug);
        usrsctp_enable_crc32c_offload();
        apply_usrsctp_defaults();
        return g;
    }();
    return *global;
}

// Brings usrsctp's clock to `now`, firing what is due. Also called before input and sends:
// a timer started while usrsctp's clock lags behind `now` would fire early by the lag.
void UsrsctpGlobal::advance(Instant now) {
    std::uint32_t elapsed = 0;
    {
        std::lock_guard lock(timer_mutex);
        if (!last_advance || *last_advance - now > 1s) {
            last_advance = now;
            return;
        }
        if (now <= *last_advance) return;
        // At most one advance per millisecond (usrsctp's tick) for the whole process, however
        // many associations ask: usrsctp_handle_timers walks every timer of every
        // association, so calling it on every association's wake-up made N associations cost
        // O(N^2) (1,000 pairs: 44 % of the CPU in sctp_handle_tick).
        const auto ms = duration_cast<milliseconds>(now - *last_advance);
        if (ms < 1ms) return;
        *last_advance += ms;  // keep the sub-millisecond remainder for next time
        elapsed = static_cast<std::uint32_t>(std::min<std::int64_t>(ms.count(), 1 << 30));
    }
    usrsctp_handle_timers(elapsed);  // never under our locks: it calls conn_output
}

int Association::on_conn_output(void* addr, void* buffer, std::size_t length, std::uint8_t,
                                std::uint8_t) {
    const auto* bytes = static_cast<const std::uint8_t*>(buffer);
    const ByteSpan sent(bytes, length);
    const ChunkTypes chunks(sent);  // read before the locks: the registry's is the process's
    const bool loss = reports_loss(sent);
    UsrsctpGlobal& g = UsrsctpGlobal::get();
    std::lock_guard lock(g.registry_mutex);
    const auto it = g.live.find(reinterpret_cast<std::uintptr_t>(addr));
    if (it == g.live.end()) return 0;  // a destroyed association's late output goes nowhere
    Association* self = it->second;
    std::lock_guard out_lock(self->out_mutex_);
    // Made by another association's call (a timer of ours it fired): waits for our next tick.
    const bool foreign = OwnCall::running() != self;
    if (foreign) self->activity_ = true;
    if (const auto acked = chunks.sack_cumulative_tsn()) {
        if (static_cast<std::int32_t>(*acked - self->sack_owed_for_tsn_) >= 0)
            self->sack_owed_ = false;  // (with gaps the cumulative TSN stays below: still owed)
        // A SACK alone that a timer sent (its delay ran out with nothing to ride on) counts
        // towards acknowledging at once; one on DATA, or sent at once during input, resets.
        // (`ticking_` is read only on the owner's own thread: OwnCall says it is running.)
        const bool lone = !chunks.has(kDataChunk) && (foreign || self->ticking_);
        const auto lone_sacks = self->lone_sacks_.load(std::memory_order_relaxed);
        self->lone_sacks_.store(
            lone ? static_cast<std::uint8_t>(std::min<int>(lone_sacks + 1, 255)) : 0,
            std::memory_order_relaxed);
    }
    if (loss) self->loss_seen_ = true;
    Bytes packet = self->packet_buffers_.take();
    packet.assign(bytes, bytes + length);
    stamp_checksum(packet);
    self->out_.push_back(std::move(packet));
    ++self->unaccounted_;
    return 0;
}

}  // namespace floe::sctp
