#include "ice/port_demux.hpp"

#include <algorithm>

namespace floe::ice {

void PortDemux::add_owner(Owner owner, const std::string& local_ufrag) {
    // A ufrag another owner had moves to this one; that owner's list keeps it, and removing it
    // there checks whom the ufrag belongs to now.
    by_ufrag_[local_ufrag] = owner;
    auto& ufrags = owners_[owner].ufrags;
    if (std::find(ufrags.begin(), ufrags.end(), local_ufrag) == ufrags.end())
        ufrags.push_back(local_ufrag);
}

void PortDemux::remove_ufrag(const std::string& local_ufrag) {
    const auto it = by_ufrag_.find(local_ufrag);
    if (it == by_ufrag_.end()) return;
    if (auto state = owners_.find(it->second); state != owners_.end())
        std::erase(state->second.ufrags, local_ufrag);
    by_ufrag_.erase(it);
}

void PortDemux::remove_owner(Owner owner) {
    const auto state = owners_.find(owner);
    if (state == owners_.end()) return;
    for (const auto& ufrag : state->second.ufrags)
        if (auto it = by_ufrag_.find(ufrag); it != by_ufrag_.end() && it->second == owner)
            by_ufrag_.erase(it);
    for (const auto& address : state->second.addresses)
        if (auto it = by_address_.find(address); it != by_address_.end() && it->second == owner)
            by_address_.erase(it);
    owners_.erase(state);
}

void PortDemux::note_request(Owner owner, const stun::TransactionId& id, Instant now) {
    expire(now);
    // The oldest makes room (the order list also holds renewed entries: bound it too).
    while (!transaction_order_.empty() &&
           (transactions_.size() >= limits_.max_transactions ||
            transaction_order_.size() >= 2 * limits_.max_transactions)) {
        const auto& [expires, old] = transaction_order_.front();
        if (auto it = transactions_.find(old);
            it != transactions_.end() && it->second.expires == expires)
            transactions_.erase(it);
        transaction_order_.pop_front();
    }
    const Instant expires = now + limits_.transaction_lifetime;
    // A retransmission keeps its id: it only extends the entry.
    transactions_[id] = Transaction{owner, expires};
    transaction_order_.emplace_back(expires, id);
}

void PortDemux::validate(Owner owner, const SocketAddress& remote) {
    auto state = owners_.find(owner);
    if (state == owners_.end()) return;
    auto [it, inserted] = by_address_.try_emplace(remote, owner);
    if (!inserted) {
        if (it->second == owner) return;
        // The same remote address validated by another session on this port: the newest wins
        // (the old session's peer moved, or one remote endpoint talks to both; counted).
        if (auto old = owners_.find(it->second); old != owners_.end())
            std::erase(old->second.addresses, remote);
        it->second = owner;
        ++counters_.address_taken_over;
    }
    auto& addresses = state->second.addresses;
    addresses.push_back(remote);
    if (addresses.size() > limits_.max_addresses_per_owner) {
        by_address_.erase(addresses.front());
        addresses.pop_front();
    }
}

void PortDemux::expire(Instant now) {
    while (!transaction_order_.empty() && transaction_order_.front().first <= now) {
        const auto& [expires, id] = transaction_order_.front();
        // Only if this entry is the current one for the id (a retransmission renewed it).
        if (auto it = transactions_.find(id);
            it != transactions_.end() && it->second.expires <= now)
            transactions_.erase(it);
        transaction_order_.pop_front();
    }
}

std::optional<PortDemux::Owner> PortDemux::route_stun(Instant now, ByteSpan datagram,
                                                      const SocketAddress& from) {
    auto message = stun::Message::decode(datagram);
    if (!message) {
        ++counters_.malformed_stun;
        return std::nullopt;
    }
    const stun::MessageClass cls = message->message_class();
    if (cls == stun::MessageClass::success_response || cls == stun::MessageClass::error_response) {
        expire(now);
        // The owner may be gone (remove_owner leaves its transactions to expire).
        if (auto it = transactions_.find(message->transaction_id());
            it != transactions_.end() && owners_.contains(it->second.owner))
            return it->second.owner;
        ++counters_.unknown_response;
        return std::nullopt;
    }
    if (const auto username = message->username()) {
        // RFC 8445 §7.2.2: USERNAME is "receiver's ufrag:sender's ufrag".
        const auto colon = username->find(':');
        const std::string local(username->substr(0, colon));
        if (auto it = by_ufrag_.find(local); it != by_ufrag_.end()) return it->second;
        ++counters_.unknown_ufrag;
        return std::nullopt;
    }
    // A request or indication without USERNAME (a keepalive): by address, as other traffic.
    if (auto it = by_address_.find(from); it != by_address_.end()) return it->second;
    ++counters_.unknown_address;
    return std::nullopt;
}

std::optional<PortDemux::Owner> PortDemux::route(Instant now, ByteSpan datagram,
                                                 const SocketAddress& from) {
    std::optional<Owner> owner;
    if (stun::looks_like_stun(datagram)) {
        owner = route_stun(now, datagram, from);
    } else if (auto it = by_address_.find(from); it != by_address_.end()) {
        owner = it->second;
    } else {
        ++counters_.unknown_address;
    }
    if (owner) ++counters_.routed;
    return owner;
}

}  // namespace floe::ice
