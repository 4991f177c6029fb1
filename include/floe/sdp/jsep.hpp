// JSEP (RFC 8829) for a peer that only has data channels: build an offer from local parameters,
// read and validate a remote description into typed parameters, and answer a remote offer.
//
// Error design (one rule for all of floe::sdp): functions return Result<T, E> and never throw.
// A description that cannot be used yields a DescriptionError saying which Problem, the line (when
// the text is at hand) and what was expected. SdpError wraps one for code that reports errors by
// throwing, as the PeerConnection API does:
//
//   auto remote = floe::sdp::read_remote(text, floe::sdp::SdpType::offer);
//   if (!remote) throw floe::sdp::SdpError(remote.error());
//
// Nothing here keeps state: a bad description changes nothing anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <floe/error.hpp>
#include <floe/ice/candidate.hpp>
#include <floe/max_message_size.hpp>
#include <floe/result.hpp>
#include <floe/sdp/attributes.hpp>
#include <floe/sdp/sdp_type.hpp>
#include <floe/sdp/session_description.hpp>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe::sdp {

using floe::to_string;  // SdpType's (floe/sdp/sdp_type.hpp)

// modern: m=application <port> UDP/DTLS/SCTP webrtc-datachannel + a=sctp-port (RFC 8841).
// legacy: m=application <port> DTLS/SCTP 5000 + a=sctpmap:5000 webrtc-datachannel 65535.
enum class DataChannelForm : std::uint8_t { modern, legacy };

// RFC 8841 §6: the max-message-size of a peer whose description has no a=max-message-size.
inline constexpr std::uint64_t kDefaultMaxMessageSize = 65536;

// What this side puts in its descriptions.
struct LocalParameters {
    std::string ice_ufrag;  // 4-256 ice-chars (RFC 8839)
    std::string ice_pwd;    // 22-256 ice-chars
    Fingerprint fingerprint;
    // Offers: actpass (JSEP). Answers: the role this side prefers when the offer says actpass
    // (actpass here means active, the JSEP default); an offer that forces a role wins.
    Setup setup = Setup::actpass;
    std::string mid = "0";  // offers only: an answer reuses the offer's mid
    std::uint16_t sctp_port = 5000;
    std::uint64_t max_message_size = default_max_message_size;
    std::vector<ice::Candidate> candidates;  // gathered so far; none for a trickle description
    bool end_of_candidates = false;
    bool ice_lite = false;
    std::uint64_t session_id = 0;  // JSEP §5.2.1: random, below 2^63
    std::uint64_t session_version = 0;
};

// What a remote description says about its data section.
struct RemoteDataParameters {
    std::size_t media_index = 0;  // the data section's m-line index (sdpMLineIndex)
    std::string mid;              // empty when the section has no a=mid
    std::string ice_ufrag;
    std::string ice_pwd;
    bool ice_lite = false;
    IceOptions ice_options;
    std::vector<Fingerprint> fingerprints;  // those with a supported hash function, at least one
    Setup setup = Setup::actpass;
    std::uint16_t sctp_port = 5000;
    std::uint64_t max_message_size = kDefaultMaxMessageSize;  // 0 means no limit (RFC 8841 §6)
    DataChannelForm form = DataChannelForm::modern;
    std::vector<ice::Candidate> candidates;
    bool end_of_candidates = false;
    std::optional<std::string> tls_id;
};

enum class Problem : std::uint8_t {
    syntax,                     // the text breaks the SDP grammar
    malformed_ice_credentials,  // ice-ufrag / ice-pwd of the wrong length or characters
    missing_ice_credentials,
    malformed_fingerprint,
    missing_fingerprint,  // none, or none with a supported hash function
    malformed_candidate,
    no_data_section,      // no application section with (UDP|TCP/)DTLS/SCTP, or it was rejected
    bad_sctp_parameters,  // a legacy section without a usable SCTP port
    unsupported_setup,    // holdconn, or actpass in an answer
    bad_bundle,           // a BUNDLE group naming a mid no section has, or one twice
    invalid_local_parameters,
    duplicate_mid,  // two sections with the same a=mid (RFC 5888 §4)
    too_large,      // past one of the bounds in session_description.hpp (`limit` says which)
};
std::string_view to_string(Problem problem);

struct DescriptionError {
    Problem problem = Problem::syntax;
    std::size_t line = 0;        // 1-based; 0 when no text was given or no single line is to blame
    std::string text;            // that line
    std::string detail;          // what was expected or is missing
    std::optional<Limit> limit;  // set with Problem::too_large
    // "missing_fingerprint (line 8): no a=fingerprint in the data section or the session"
    std::string message() const;
    // The line as message() quotes it: control characters and bytes that are not UTF-8 as \xNN,
    // safe to print or to put in JSON.
    std::string printable_text() const;
};

// A ParseError as a DescriptionError: syntax, or the attribute's own problem (a bad fingerprint
// is malformed_fingerprint).
DescriptionError to_description_error(const ParseError& error);

// The exception the PeerConnection throws for a description it cannot apply.
class SdpError : public OperationError {
  public:
    explicit SdpError(DescriptionError error);
    const DescriptionError& error() const { return error_; }
    Problem problem() const { return error_.problem; }
    std::size_t line() const { return error_.line; }

  private:
    DescriptionError error_;
};

// ---- local descriptions ------------------------------------------------------------------------

// The offer: one data section (modern form), BUNDLE group, trickle, and the candidates given.
// m= and c= carry the first IP candidate as the default destination, or 9 and 0.0.0.0.
Result<SessionDescription, DescriptionError> create_offer(const LocalParameters& local);

// The answer to `offer` (which is validated first): the data section answered in the offer's form
// with the offer's mid, every other section rejected with port 0 in the same place, and a BUNDLE
// group of the data mid when the offer bundled it.
Result<SessionDescription, DescriptionError> create_answer(const SessionDescription& offer,
                                                           const LocalParameters& local);

// Trickle ICE on a local description (what W3C's localDescription shows as gathering goes on):
// appends a candidate line, or a=end-of-candidates, to the data section. False when the
// description has no data section (nothing is changed then).
bool add_candidate(SessionDescription& local, const ice::Candidate& candidate);
bool add_end_of_candidates(SessionDescription& local);

// ---- remote descriptions -----------------------------------------------------------------------

// Validates and reads a parsed description. Errors have no line number (the model has none).
Result<RemoteDataParameters, DescriptionError> read_remote(const SessionDescription& remote,
                                                           SdpType type);
// A remote description as text was read: its parameters, and the parsed description (to answer
// it with create_answer, or to keep as the remote description).
struct RemoteDescription : RemoteDataParameters {
    SessionDescription description;
};
// Parses, validates and reads; every error names its line.
Result<RemoteDescription, DescriptionError> read_remote(std::string_view text, SdpType type);

// Whether a trickled remote candidate is meant for the data section: its sdpMid names the
// section's mid, or, without a mid, its sdpMLineIndex is the section's index (W3C
// addIceCandidate). A candidate with neither matches nothing.
bool is_for_data_section(const RemoteDataParameters& remote,
                         const std::optional<std::string>& sdp_mid,
                         std::optional<std::uint16_t> sdp_mline_index);

// The setup an answer gives to an offer's: actpass -> `preferred` (active unless it is passive),
// active -> passive, passive -> active. nullopt for holdconn.
std::optional<Setup> answer_setup(Setup offered, Setup preferred = Setup::active);
// Whether this side is the DTLS client (sends the ClientHello) once both setups are known.
bool is_dtls_client(Setup local, Setup remote);

}  // namespace floe::sdp

#pragma GCC visibility pop
