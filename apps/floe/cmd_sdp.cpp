// floe sdp FILE|- [--json] [--type offer|answer]   read a description and summarise it
// floe sdp --answer FILE|- [--json] [--seed N]     print the answer floe would give to an offer
// floe sdp --offer [--json] [--seed N]              print an offer floe would send
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>

#include <floe/json.hpp>
#include <floe/sdp/attributes.hpp>
#include <floe/sdp/jsep.hpp>
#include <floe/sdp/session_description.hpp>
#include <floe/signaling.hpp>

#include "command.hpp"

namespace floe::cli {
namespace {

std::string read_input(const std::string& path) {
    if (path == "-") {
        return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw UsageError("'" + path + "' is a directory, not a description file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("cannot open '" + path + "'");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Offer unless the data section takes a definite DTLS role, which only answers do.
sdp::SdpType guess_type(const sdp::SessionDescription& sd) {
    for (const auto& m : sd.media)
        if (auto s = sdp::setup(sd, m);
            s && (*s == sdp::Setup::active || *s == sdp::Setup::passive))
            return sdp::SdpType::answer;
    return sdp::SdpType::offer;
}

std::string candidate_summary(const ice::Candidate& c) {
    std::string out =
        std::string(ice::to_string(c.type)) + " " + std::string(ice::to_string(c.transport)) + " ";
    if (auto a = c.socket_address())
        out += a->to_string();
    else
        out += c.address + ":" + std::to_string(c.port) + (c.is_mdns() ? " (mDNS)" : "");
    out += " priority " + std::to_string(c.priority) + " foundation " + c.foundation;
    if (c.related_address)
        out += " from " + *c.related_address + ":" + std::to_string(c.related_port.value_or(0));
    for (const auto& [name, value] : c.extensions)
        out += " " + name + "=" + value;
    return out;
}

// `has_data`: false for a description without a data section (only its sections are shown).
void print_text(const sdp::SessionDescription& sd, sdp::SdpType type,
                const sdp::RemoteDataParameters& r, bool has_data) {
    std::printf("%s, session %llu version %llu, %zu section%s\n",
                std::string(sdp::to_string(type)).c_str(),
                static_cast<unsigned long long>(sd.origin.session_id),
                static_cast<unsigned long long>(sd.origin.session_version), sd.media.size(),
                sd.media.size() == 1 ? "" : "s");
    const auto bundle = sdp::bundle_mids(sd);
    if (!bundle.empty()) {
        std::printf("bundle:");
        for (const auto& mid : bundle)
            std::printf(" %s", mid.c_str());
        std::printf("\n");
    }
    for (std::size_t i = 0; i < sd.media.size(); ++i) {
        const auto& m = sd.media[i];
        std::string formats;
        for (const auto& f : m.formats)
            formats += " " + f;
        std::printf(
            "section %zu: %s %u %s%s, mid %s%s\n", i, m.media.c_str(), m.port, m.protocol.c_str(),
            formats.c_str(), std::string(sdp::mid(m).value_or("(none)")).c_str(),
            i == r.media_index ? "  <- data channels" : (m.port == 0 ? "  (rejected)" : ""));
    }
    if (!has_data) {
        std::printf("no data section: nothing here for data channels (floe would refuse it)\n");
        return;
    }
    std::printf("data section: %s form\n", r.form == sdp::DataChannelForm::modern
                                               ? "modern (UDP/DTLS/SCTP + sctp-port)"
                                               : "legacy (DTLS/SCTP + sctpmap)");
    std::printf(
        "  ice: ufrag %s pwd %s%s%s\n", r.ice_ufrag.c_str(), r.ice_pwd.c_str(),
        r.ice_lite ? " lite" : "",
        r.ice_options.to_string().empty() ? "" : (" options " + r.ice_options.to_string()).c_str());
    for (const auto& f : r.fingerprints)
        std::printf("  fingerprint: %s\n", f.to_string().c_str());
    std::printf("  setup: %s\n", std::string(sdp::to_string(r.setup)).c_str());
    std::printf("  sctp port: %u\n", r.sctp_port);
    std::printf("  max message size: %llu%s\n", static_cast<unsigned long long>(r.max_message_size),
                r.max_message_size == 0 ? " (no limit)" : "");
    if (r.tls_id) std::printf("  tls-id: %s\n", r.tls_id->c_str());
    std::printf("  candidates: %zu%s\n", r.candidates.size(),
                r.end_of_candidates ? " (end-of-candidates)" : "");
    for (const auto& c : r.candidates)
        std::printf("    %s\n", candidate_summary(c).c_str());
}

// Writes one JSON object member after another, with the commas in the right places.
class JsonObject {
  public:
    JsonObject& begin(std::string_view name = {}) {
        if (!name.empty())
            key(name);
        else if (!first_)
            out_ += ',';
        out_ += '{';
        first_ = true;
        return *this;
    }
    JsonObject& end() {
        out_ += '}';
        first_ = false;
        return *this;
    }
    JsonObject& string(std::string_view name, std::string_view value) {
        key(name);
        json::append_string(out_, value);
        return *this;
    }
    JsonObject& number(std::string_view name, unsigned long long value) {
        key(name);
        out_ += std::to_string(value);
        return *this;
    }
    JsonObject& boolean(std::string_view name, bool value) {
        key(name);
        out_ += value ? "true" : "false";
        return *this;
    }
    // An array of strings, each item turned into text by `text`.
    template <class Range, class Text>
    JsonObject& strings(std::string_view name, const Range& items, Text text) {
        key(name);
        out_ += '[';
        bool first = true;
        for (const auto& item : items) {
            if (!first) out_ += ',';
            first = false;
            json::append_string(out_, text(item));
        }
        out_ += ']';
        return *this;
    }
    // An array of objects, each written by `write(JsonObject&, item)` between begin() and end().
    template <class Range, class Write>
    JsonObject& objects(std::string_view name, const Range& items, Write write) {
        key(name);
        out_ += '[';
        first_ = true;
        for (const auto& item : items) {
            begin();
            write(*this, item);
            end();
        }
        out_ += ']';
        first_ = false;
        return *this;
    }
    const std::string& text() const { return out_; }

  private:
    void key(std::string_view name) {
        if (!first_) out_ += ',';
        first_ = false;
        json::append_string(out_, name);
        out_ += ':';
    }
    std::string out_;
    bool first_ = true;
};

std::string to_json(const sdp::SessionDescription& sd, sdp::SdpType type,
                    const sdp::RemoteDataParameters& r, bool has_data) {
    auto same = [](const auto& s) -> std::string_view { return s; };
    JsonObject o;
    o.begin()
        .string("type", sdp::to_string(type))
        .string("session_id", std::to_string(sd.origin.session_id))  // beyond 2^53: a string
        .string("session_version", std::to_string(sd.origin.session_version))
        .strings("bundle", sdp::bundle_mids(sd), same)
        .objects("sections", sd.media, [](JsonObject& s, const sdp::Media& m) {
            s.string("media", m.media).number("port", m.port).string("protocol", m.protocol);
            if (auto mid = sdp::mid(m)) s.string("mid", *mid);
        });
    o.boolean("data_section", has_data);
    if (!has_data) return o.end().text();
    o.begin("data")
        .number("media_index", r.media_index)
        .string("mid", r.mid)
        .string("form", r.form == sdp::DataChannelForm::modern ? "modern" : "legacy")
        .string("ice_ufrag", r.ice_ufrag)
        .string("ice_pwd", r.ice_pwd)
        .boolean("ice_lite", r.ice_lite)
        .boolean("trickle", r.ice_options.trickle)
        .strings("fingerprints", r.fingerprints, [](const auto& f) { return f.to_string(); })
        .string("setup", sdp::to_string(r.setup))
        .number("sctp_port", r.sctp_port)
        .number("max_message_size", r.max_message_size)
        .strings("candidates", r.candidates, [](const auto& c) { return c.to_string(); })
        .boolean("end_of_candidates", r.end_of_candidates)
        .end();
    o.end();
    return o.text();
}

// With --json the error is a JSON object on stdout too: {"error": {...}}.
int fail_with(const std::string& source, const sdp::DescriptionError& error, bool json) {
    if (json) {
        JsonObject o;
        o.begin()
            .begin("error")
            .string("source", source)
            .string("problem", sdp::to_string(error.problem))
            .number("line", error.line)
            .string("text", error.printable_text())
            .string("expected", error.detail)
            .string("message", error.message())
            .end()
            .end();
        std::printf("%s\n", o.text().c_str());
    }
    std::fprintf(stderr, "floe sdp: %s: %s\n", source.c_str(), error.message().c_str());
    return 1;
}

// Fresh local parameters, as a PeerConnection would have them. Stand-ins: no ICE agent or
// certificate is behind them (the fingerprint is random bytes of the right size), so a
// general-purpose generator will do; --seed makes the output repeatable.
sdp::LocalParameters local_parameters(std::optional<long long> seed) {
    std::mt19937_64 random(seed ? static_cast<std::uint64_t>(*seed)
                                : (std::uint64_t{std::random_device{}()} << 32) ^
                                      std::random_device{}());
    constexpr std::string_view ice_chars =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    auto ice_string = [&](std::size_t length) {
        std::string out;
        for (std::size_t i = 0; i < length; ++i)
            out += ice_chars[random() % ice_chars.size()];
        return out;
    };
    sdp::LocalParameters local;
    // RFC 8839 §5.4: a ufrag of at least 4 ice-chars, a password of at least 22.
    local.ice_ufrag = ice_string(8);
    local.ice_pwd = ice_string(24);
    local.fingerprint.digest.resize(sdp::digest_size(local.fingerprint.algorithm));
    for (auto& byte : local.fingerprint.digest)
        byte = static_cast<std::uint8_t>(random());
    local.session_id = random() >> 1;  // below 2^63 (JSEP §5.2.1)
    local.session_version = 2;
    return local;
}

int print_local(const std::string& source, sdp::SdpType type,
                const Result<sdp::SessionDescription, sdp::DescriptionError>& description,
                bool json) {
    if (!description) return fail_with(source, description.error(), json);
    const std::string text = sdp::write(*description);
    if (json)
        std::printf("%s\n", SessionDescription{type, text}.to_json().c_str());
    else
        std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

int run(Args& args) {
    const bool json = args.flag("json");
    const bool answer = args.flag("answer");
    const bool offer = args.flag("offer");
    const auto type_name = args.value("type");
    const auto seed = args.integer("seed", 0, (1ll << 62));
    auto files = args.positionals();
    args.finish();
    if (offer) {
        if (!files.empty() || answer) throw UsageError("--offer takes no FILE");
        return print_local("offer", sdp::SdpType::offer, sdp::create_offer(local_parameters(seed)),
                           json);
    }
    if (files.size() != 1) throw UsageError("give one FILE, or - for standard input");
    std::optional<sdp::SdpType> type;
    if (type_name) {
        type = sdp::parse_sdp_type(*type_name);
        if (!type || *type == sdp::SdpType::rollback)
            throw UsageError("--type is offer, pranswer or answer");
    }
    const std::string source = files[0] == "-" ? "<stdin>" : files[0];
    std::string text = read_input(files[0]);
    // A browser's {"type":..., "sdp":...} is accepted as well as the bare description.
    if (auto init = sdp::parse_description_json(text)) {
        if (!type) type = init->type;
        text = std::move(init->sdp);
    }

    auto parsed = sdp::parse(text);
    if (!parsed) return fail_with(source, sdp::to_description_error(parsed.error()), json);
    if (answer)
        return print_local(source, sdp::SdpType::answer,
                           sdp::create_answer(*parsed, local_parameters(seed)), json);
    if (!type) type = guess_type(*parsed);
    auto remote = sdp::read_remote(text, *type);
    if (!remote && remote.error().problem == sdp::Problem::no_data_section) {
        // Audio and video only: nothing for floe to answer, but still worth a summary.
        sdp::RemoteDataParameters none;
        none.media_index = parsed->media.size();
        if (json)
            std::printf("%s\n", to_json(*parsed, *type, none, false).c_str());
        else
            print_text(*parsed, *type, none, false);
        return 0;
    }
    if (!remote) return fail_with(source, remote.error(), json);
    if (json)
        std::printf("%s\n", to_json(*parsed, *type, *remote, true).c_str());
    else
        print_text(*parsed, *type, *remote, true);
    return 0;
}

}  // namespace

FLOE_COMMAND(
    "sdp", "sdp FILE|- [--json] [--type T] [--answer] | sdp --offer [--seed N]",
    "summarise a session description, or print floe's answer to it or its own offer", &run,
    "  FILE|-                  the description to read (- for standard input)\n"
    "  --json                  print the summary (or the error) as JSON\n"
    "  --type T                offer, answer or pranswer (default: offer)\n"
    "  --answer                print floe's answer to the offer instead of a summary\n"
    "  --offer                 print an offer floe would make (no FILE)\n"
    "  --seed N                with --offer: a fixed seed, for the same output every time\n");

}  // namespace floe::cli
