// Helpers for end-to-end tests: two real PeerConnections on loopback sockets, signalled in-process.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <floe/error.hpp>
#include <floe/log.hpp>
#include <floe/peer_connection.hpp>

namespace floe::test {

inline bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

// Collects log lines of some components while alive (restores the stderr sink after).
struct LogCapture {
    std::mutex mutex;
    std::vector<std::string> lines;
    LogLevel before = log_level();

    LogCapture() {
        set_log_level(LogLevel::info);
        set_log_sink([this](LogLevel, std::string_view component, std::string_view message) {
            std::lock_guard lock(mutex);
            lines.push_back(std::string(component) + ": " + std::string(message));
        });
    }
    ~LogCapture() {
        set_log_sink({});
        set_log_level(before);
    }
    bool has(std::string_view a, std::string_view b = {}) {
        std::lock_guard lock(mutex);
        for (const auto& l : lines)
            if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) return true;
        return false;
    }
};

// How often `part` occurs in `text` (overlaps counted).
inline std::size_t count_of(const std::string& text, std::string_view part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++n;
    return n;
}

inline Configuration loopback_config() {
    Configuration c;
    c.loopback_only = true;
    c.enable_ipv6 = false;
    return c;
}

// The message of the InvalidArgumentError constructing a PeerConnection with `config` throws
// ("" when it constructs).
inline std::string construction_error(const Configuration& config) {
    try {
        PeerConnection pc(config);
    } catch (const InvalidArgumentError& e) {
        return e.what();
    }
    return "";
}

// Polls `pred` until true or the deadline (no fixed sleeps: returns as soon as it holds).
template <class P>
bool eventually(P pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// Offer/answer with complete descriptions (no trickle), as the copy-paste chat does.
inline void signal_complete(PeerConnection& offerer, PeerConnection& answerer) {
    offerer.set_local_description(offerer.create_offer());
    eventually([&] { return offerer.ice_gathering_state() == IceGatheringState::complete; });
    answerer.set_remote_description(*offerer.local_description());
    answerer.set_local_description(answerer.create_answer());
    eventually([&] { return answerer.ice_gathering_state() == IceGatheringState::complete; });
    offerer.set_remote_description(*answerer.local_description());
}

// Offer/answer with trickled candidates, handed over from the callbacks.
inline void signal_trickle(PeerConnection& offerer, PeerConnection& answerer) {
    offerer.on_ice_candidate([&](std::optional<IceCandidate> c) { answerer.add_ice_candidate(c); });
    answerer.on_ice_candidate([&](std::optional<IceCandidate> c) { offerer.add_ice_candidate(c); });
    // Candidates of the offerer may come before the answerer has the offer: the offer is applied
    // first, inside the same runtime, so they are never early here.
    const auto offer = offerer.create_offer();
    answerer.set_remote_description(offer);
    offerer.set_local_description(offer);
    const auto answer = answerer.create_answer();
    offerer.set_remote_description(answer);
    answerer.set_local_description(answer);
}

// Collects what a channel receives, thread-safely.
struct Inbox {
    std::mutex mutex;
    std::deque<Message> messages;
    std::atomic<int> opens{0};
    std::atomic<int> closes{0};
    std::vector<std::weak_ptr<DataChannel>> attached;

    Inbox() = default;
    Inbox(const Inbox&) = delete;
    Inbox& operator=(const Inbox&) = delete;
    // A channel outliving its Inbox (a helper's local, or one declared after the PeerConnections)
    // must not call into it: a late on_close from the runtime thread would write into a stack
    // frame reused by then (ASan saw it corrupt a future in ~PeerConnection).
    ~Inbox() {
        std::lock_guard lock(mutex);
        for (auto& weak : attached)
            if (auto dc = weak.lock()) {
                dc->on_open(nullptr);
                dc->on_close(nullptr);
                dc->on_message(nullptr);
            }
    }

    void attach(const std::shared_ptr<DataChannel>& dc) {
        {
            std::lock_guard lock(mutex);
            attached.push_back(dc);
        }
        dc->on_open([this] { ++opens; });
        dc->on_close([this] { ++closes; });
        dc->on_message([this](Message m) {
            std::lock_guard lock(mutex);
            messages.push_back(std::move(m));
        });
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return messages.size();
    }
    Message at(std::size_t i) {
        std::lock_guard lock(mutex);
        return messages.at(i);
    }
};

}  // namespace floe::test
