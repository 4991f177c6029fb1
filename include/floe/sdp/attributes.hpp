// The WebRTC attributes of a session description, typed. Each has a value type with parse and
// to_string, and an accessor that reads it from a media section, falling back to the session
// level where the RFCs allow both (ice-ufrag, ice-pwd, ice-options, fingerprint, setup, tls-id).
//
// sdp::parse checks the value of every attribute floe relies on (is_relied_on), so on a parsed
// description those accessors only return nullopt when the attribute is absent. The others
// (ice-options, ice-lite, end-of-candidates, tls-id) are read as leniently as browsers read them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/bytes.hpp>
#include <floe/fingerprint.hpp>
#include <floe/ice/candidate.hpp>
#include <floe/sdp/session_description.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::sdp {

// RFC 8839 §5.4: ice-ufrag is 4-256 ice-chars, ice-pwd 22-256 (ALPHA / DIGIT / "+" / "/").
bool is_valid_ice_ufrag(std::string_view ufrag);
bool is_valid_ice_pwd(std::string_view pwd);

// a=ice-options:trickle ice2 (RFC 8839 §5.6); unknown options are kept. parse() also takes the
// commas libdatachannel writes ("ice2,trickle") and tabs; nullopt only when there is no option.
struct IceOptions {
    bool trickle = false;
    bool ice2 = false;
    std::vector<std::string> others;

    static std::optional<IceOptions> parse(std::string_view value);
    std::string to_string() const;  // "" when there are no options
    friend bool operator==(const IceOptions&, const IceOptions&) = default;
};

// a=fingerprint (RFC 8122): the one fingerprint type, shared with the DTLS transport.
using floe::digest_size;
using floe::Fingerprint;
using floe::HashFunction;
using floe::parse_hash_function;
using floe::to_string;

// a=setup (RFC 4145 / RFC 8842): who starts the DTLS handshake.
enum class Setup : std::uint8_t { actpass, active, passive, holdconn };
std::string_view to_string(Setup setup);
std::optional<Setup> parse_setup(std::string_view value);

// a=group:<semantics> <mid> ... (RFC 5888; BUNDLE is RFC 8843).
struct Group {
    std::string semantics;
    std::vector<std::string> mids;

    static std::optional<Group> parse(std::string_view value);
    std::string to_string() const;
    friend bool operator==(const Group&, const Group&) = default;
};

// The legacy a=sctpmap:5000 webrtc-datachannel 65535 (draft-ietf-mmusic-sctp-sdp-05).
struct SctpMap {
    std::uint16_t port = 5000;
    std::string protocol = "webrtc-datachannel";
    std::optional<std::uint32_t> streams;

    static std::optional<SctpMap> parse(std::string_view value);
    std::string to_string() const;
    friend bool operator==(const SctpMap&, const SctpMap&) = default;
};

// Whether floe relies on the attribute at this level, so that sdp::parse refuses a description
// whose value for it is wrong: ice-ufrag, ice-pwd, fingerprint, setup (both levels), group
// (session), mid, candidate, sctp-port, max-message-size, sctpmap (media). Any other attribute,
// or one of these where floe does not read it (a=mid at session level), is kept as written.
bool is_relied_on(std::string_view name, bool session_level);

// What a value of a relied-on attribute must look like; nullopt when `attribute` is fine or is
// not one floe relies on. sdp::parse calls this for the a= lines is_relied_on() names, with the
// value's surrounding spaces removed.
std::optional<std::string> check_attribute(const Attribute& attribute);

// How an attribute floe knows but does not rely on departs from its RFC grammar ("ice options
// separated by commas"), for the debug log; nullopt when it does not, or floe does not know it.
std::optional<std::string> describe_oddity(const Attribute& attribute);

// ---- accessors ---------------------------------------------------------------------------------
std::optional<std::string_view> ice_ufrag(const SessionDescription& session, const Media& media);
std::optional<std::string_view> ice_pwd(const SessionDescription& session, const Media& media);
IceOptions ice_options(const SessionDescription& session, const Media& media);
bool ice_lite(const SessionDescription& session);
// The media section's fingerprints, or the session's when the section has none. Fingerprints with
// unknown hash functions are skipped.
std::vector<Fingerprint> fingerprints(const SessionDescription& session, const Media& media);
std::optional<Setup> setup(const SessionDescription& session, const Media& media);
std::optional<std::string_view> tls_id(const SessionDescription& session, const Media& media);
std::optional<std::string_view> mid(const Media& media);
std::vector<Group> groups(const SessionDescription& session);
// The mids of the first a=group:BUNDLE, or none.
std::vector<std::string> bundle_mids(const SessionDescription& session);
std::optional<std::uint16_t> sctp_port(const Media& media);
std::optional<std::uint64_t> max_message_size(const Media& media);
std::optional<SctpMap> sctpmap(const Media& media);
std::vector<ice::Candidate> candidates(const Media& media);
bool end_of_candidates(const SessionDescription& session, const Media& media);

}  // namespace floe::sdp

#pragma GCC visibility pop
