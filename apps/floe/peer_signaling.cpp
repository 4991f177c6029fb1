// `floe peer`: the contract's file signaling in --signal DIR (../shared/interop/README.md):
// <role>.json descriptions written atomically, trickled candidates as JSON lines in
// <role>.candidates ({"done":true} ends them).
#include <algorithm>
#include <fstream>
#include <sstream>

#include <floe/error.hpp>
#include <floe/json.hpp>

#include "peer.hpp"

namespace floe::cli::peer {

std::optional<std::string> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_atomically(const fs::path& path, const std::string& content) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
    }
    fs::rename(tmp, path);
}

// The contract's file signaling: the offerer writes offer.json and reads answer.json, the
// answerer the reverse; complete descriptions unless --trickle (candidates then follow in
// <role>.candidates, read_remote_candidates()).
void Peer::exchange_descriptions() {
    const auto read_desc = [&](const std::string& role) -> std::optional<SessionDescription> {
        std::optional<SessionDescription> d;
        wait_for([&] {
            if (auto text = read_file(o_.signal / (role + ".json")))
                d = SessionDescription::from_json(*text);
            return d.has_value();
        });
        return d;
    };
    if (o_.role == "offer") {
        auto dc = pc_->create_data_channel(label_);
        if (active_)
            setup_active(dc);
        else
            attach_echo(dc);
        pc_->set_local_description(pc_->create_offer());
        mark("local_desc_set");
        if (!o_.trickle) wait_gathered();
        write_atomically(o_.signal / "offer.json", pc_->local_description()->to_json());
        mark("offer_written");
        auto answer = read_desc("answer");
        if (!answer) throw Error("timeout waiting for answer.json");
        mark("answer_read");
        say("REMOTE SDP (answer):\n" + answer->sdp);
        pc_->set_remote_description(*answer);
        mark("remote_desc_set");
    } else {
        auto offer = read_desc("offer");
        if (!offer) throw Error("timeout waiting for offer.json");
        mark("offer_read");
        say("REMOTE SDP (offer):\n" + offer->sdp);
        pc_->set_remote_description(*offer);
        mark("remote_desc_set");
        pc_->set_local_description(pc_->create_answer());
        mark("local_desc_set");
        if (!o_.trickle) wait_gathered();
        write_atomically(o_.signal / "answer.json", pc_->local_description()->to_json());
        mark("answer_written");
    }
}

void Peer::wait_gathered() {
    const auto limit = std::min(deadline_, SteadyClock::now() + std::chrono::seconds(10));
    Lock lock(mutex_);
    while (!gathered_ && SteadyClock::now() < limit && !g_terminated.load())
        cv_.wait_for(lock, std::chrono::milliseconds(10));
    if (!gathered_)
        say("WARNING: ICE gathering did not complete within 10 s; sending what we have");
}

void Peer::read_remote_candidates() {
    if (!o_.trickle || remote_candidates_done_) return;
    auto text = read_file(o_.signal / (other() + ".candidates"));
    if (!text) return;
    std::size_t index = 0, pos = 0;
    while (pos < text->size()) {
        const auto nl = text->find('\n', pos);
        if (nl == std::string::npos) break;  // only complete lines
        const std::string line = text->substr(pos, nl - pos);
        pos = nl + 1;
        if (index++ < candidates_read_ || line.empty()) continue;
        ++candidates_read_;
        try {
            auto object = json::parse_flat_object(line);
            if (object && object->get("done", json::Kind::boolean) == "true") {
                say("remote end-of-candidates");
                pc_->add_ice_candidate(std::nullopt);
                remote_candidates_done_ = true;
                return;
            }
            auto c = IceCandidate::from_json(line);
            pc_->add_ice_candidate(c);
            say("added remote candidate: " + c.candidate);
        } catch (const Error& e) {
            say(std::string("addIceCandidate failed: ") + e.what());
        }
    }
}

}  // namespace floe::cli::peer
