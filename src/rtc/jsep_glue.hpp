// What the PeerConnection core puts into a description and takes out of one. The SDP itself is
// written and read by the sdp layer (include/floe/sdp); this is the narrow interface between them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <floe/ice/candidate.hpp>
#include <floe/peer_connection.hpp>

#include "ice/agent.hpp"

namespace floe::rtc {

enum class DtlsSetup { actpass, active, passive };

struct LocalDescriptionParams {
    SdpType type = SdpType::offer;
    std::uint64_t session_id = 0;
    std::uint64_t session_version = 1;
    ice::Credentials credentials;
    std::string fingerprint;  // "sha-256 AB:..."
    DtlsSetup setup = DtlsSetup::actpass;
    std::string mid = "0";
    std::uint16_t sctp_port = 5000;
    std::size_t max_message_size = 262144;
    bool legacy = false;  // answer a legacy "DTLS/SCTP 5000" + a=sctpmap offer in kind
    std::vector<ice::Candidate> candidates;
    bool end_of_candidates = false;
};

struct RemoteDescriptionParams {
    ice::Credentials credentials;
    std::vector<std::string> fingerprints;  // "sha-256 AB:..."
    DtlsSetup setup = DtlsSetup::actpass;
    std::string mid = "0";
    int mline_index = 0;
    std::uint16_t sctp_port = 5000;
    std::optional<std::size_t> max_message_size;
    bool legacy = false;
    std::vector<ice::Candidate> candidates;
    bool end_of_candidates = false;
};

std::string write_description(const LocalDescriptionParams& params);
// Throws OperationError (naming the SDP line) for what cannot be parsed or used.
RemoteDescriptionParams read_description(SdpType type, const std::string& sdp);

}  // namespace floe::rtc
