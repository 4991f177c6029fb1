// The process-wide part of the usrsctp wrapper, shared by every file of the association: the
// usrsctp singleton (one initialisation, one timer clock, the registry of live associations) and
// the small helpers they all use. Implemented in usrsctp_global.cpp.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "common/log.hpp"
#include "common/time.hpp"
#include "sctp/usrsctp.hpp"

namespace floe::sctp {

class Association;

// SCTP's common header (RFC 9260 §3.1) and a DATA chunk's header (§3.3.1).
constexpr std::size_t kCommonHeaderSize = 12;
constexpr std::size_t kDataChunkHeaderSize = 16;

template <class T>
void set_option(struct socket* sock, int level, int name, const T& value, const char* what) {
    if (usrsctp_setsockopt(sock, level, name, &value, sizeof value) != 0) {
        FLOE_LOG(LogLevel::warn, "sctp") << "setsockopt " << what << " failed: errno " << errno;
    }
}

// Marks the association whose own call into usrsctp runs on this thread (its input, its sends, its
// tick). conn_output tells the packets of that call, which its caller drains right after it, from
// packets made for an association by another one's call (usrsctp's timers are global: another
// association's tick can fire ours), which wait in the queue for our next tick.
class OwnCall {
  public:
    explicit OwnCall(const Association* association) : previous_(current) { current = association; }
    ~OwnCall() { current = previous_; }
    OwnCall(const OwnCall&) = delete;
    OwnCall& operator=(const OwnCall&) = delete;
    static const Association* running() { return current; }

  private:
    inline static thread_local const Association* current = nullptr;
    const Association* previous_;
};

struct UsrsctpGlobal {
    std::mutex registry_mutex;
    // Live associations by their usrsctp address (Association::conn_id_).
    std::unordered_map<std::uintptr_t, Association*> live;
    std::atomic<std::uintptr_t> next_conn_id{1};
    std::mutex timer_mutex;
    std::optional<Instant> last_advance;

    static UsrsctpGlobal& get();
    void advance(Instant now);
};

}  // namespace floe::sctp
