// What the one-process examples share: a configuration that stays on this machine, and the
// offer/answer between two PeerConnections handed over in memory (in a real application the
// descriptions and candidates travel through your signaling server instead).
#pragma once

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>

#include <floe/peer_connection.hpp>

// Gather on 127.0.0.1 only: nothing leaves the machine, and no STUN server is needed.
inline floe::Configuration loopback_configuration() {
    floe::Configuration config;
    config.loopback_only = true;
    config.enable_ipv6 = false;
    return config;
}

// Offer/answer with candidates trickled straight from one PeerConnection to the other.
inline void connect_in_process(floe::PeerConnection& offerer, floe::PeerConnection& answerer) {
    offerer.on_ice_candidate(
        [&](std::optional<floe::IceCandidate> c) { answerer.add_ice_candidate(c); });
    answerer.on_ice_candidate(
        [&](std::optional<floe::IceCandidate> c) { offerer.add_ice_candidate(c); });
    // Each side learns the other's description before it starts gathering, so that no
    // candidate arrives before the description it belongs to.
    const floe::SessionDescription offer = offerer.create_offer();
    answerer.set_remote_description(offer);
    offerer.set_local_description(offer);
    const floe::SessionDescription answer = answerer.create_answer();
    offerer.set_remote_description(answer);
    answerer.set_local_description(answer);
}

// Waits for a std::future with a deadline: an example that hangs helps nobody.
template <class T>
T wait_for(std::future<T>& future, const char* what,
           std::chrono::seconds limit = std::chrono::seconds(20)) {
    if (future.wait_for(limit) != std::future_status::ready)
        throw std::runtime_error(std::string("timed out waiting for ") + what);
    return future.get();
}
