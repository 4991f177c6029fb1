#include "dtls/fingerprint.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <openssl/evp.h>

#include "common/text.hpp"

namespace floe::dtls {

namespace {

struct HashName {
    HashAlgorithm algorithm;
    std::string_view name;
};
constexpr std::array<HashName, 5> hash_names{{
    {HashAlgorithm::sha1, "sha-1"},
    {HashAlgorithm::sha224, "sha-224"},
    {HashAlgorithm::sha256, "sha-256"},
    {HashAlgorithm::sha384, "sha-384"},
    {HashAlgorithm::sha512, "sha-512"},
}};

const EVP_MD* evp_md(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha1:
            return EVP_sha1();
        case HashAlgorithm::sha224:
            return EVP_sha224();
        case HashAlgorithm::sha256:
            return EVP_sha256();
        case HashAlgorithm::sha384:
            return EVP_sha384();
        case HashAlgorithm::sha512:
            return EVP_sha512();
    }
    return EVP_sha256();
}

}  // namespace

std::optional<HashAlgorithm> parse_hash_algorithm(std::string_view name) {
    for (const auto& entry : hash_names)
        if (text::iequals(entry.name, name)) return entry.algorithm;
    return std::nullopt;
}

std::string_view to_string(HashAlgorithm algorithm) {
    for (const auto& entry : hash_names)
        if (entry.algorithm == algorithm) return entry.name;
    return "sha-256";
}

Result<Fingerprint, std::string> Fingerprint::parse(std::string_view sdp_value) {
    const auto space = sdp_value.find(' ');
    if (space == std::string_view::npos)
        return fail(std::string("fingerprint has no hash function: '") + std::string(sdp_value) +
                    "'");
    const std::string_view name = sdp_value.substr(0, space);
    std::string_view hex = sdp_value.substr(space + 1);
    while (!hex.empty() && hex.front() == ' ')
        hex.remove_prefix(1);
    while (!hex.empty() && (hex.back() == ' ' || hex.back() == '\r'))
        hex.remove_suffix(1);
    const auto algorithm = parse_hash_algorithm(name);
    if (!algorithm)
        return fail("unsupported fingerprint hash function '" + std::string(name) + "'");
    auto digest = from_hex(hex, ':');
    const auto expected_size = static_cast<std::size_t>(EVP_MD_get_size(evp_md(*algorithm)));
    if (!digest || digest->size() != expected_size)
        return fail("malformed " + std::string(name) + " fingerprint '" + std::string(hex) + "'");
    return Fingerprint{*algorithm, std::move(*digest)};
}

Fingerprint Fingerprint::of(X509* certificate, HashAlgorithm algorithm) {
    return Fingerprint{algorithm, certificate_digest(certificate, algorithm)};
}

std::string Fingerprint::to_string() const {
    std::string hex = to_hex(digest, ":");
    std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) {
        return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    });
    return std::string(dtls::to_string(algorithm)) + " " + hex;
}

Result<std::vector<Fingerprint>, std::string> strongest_fingerprints(
    std::span<const std::string> sdp_values) {
    std::vector<Fingerprint> strongest;
    std::string skipped;
    for (const std::string& value : sdp_values) {
        auto parsed = Fingerprint::parse(value);
        if (!parsed) {
            // Only an unknown hash function is skipped: a malformed value is a broken description.
            const std::string name = value.substr(0, value.find(' '));
            if (parse_hash_algorithm(name)) return fail(parsed.error());
            if (!skipped.empty()) skipped += ", ";
            skipped += "'" + name + "'";
            continue;
        }
        // HashAlgorithm is declared weakest first.
        if (!strongest.empty() && parsed->algorithm < strongest.front().algorithm) continue;
        if (!strongest.empty() && parsed->algorithm > strongest.front().algorithm)
            strongest.clear();
        strongest.push_back(std::move(*parsed));
    }
    if (strongest.empty()) {
        if (skipped.empty()) return fail(std::string("no remote fingerprint"));
        return fail("unsupported fingerprint hash function " + skipped);
    }
    return strongest;
}

Bytes certificate_digest(X509* certificate, HashAlgorithm algorithm) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int size = 0;
    if (X509_digest(certificate, evp_md(algorithm), out.data(), &size) != 1) return {};
    out.resize(size);
    return out;
}

bool fingerprint_matches(const Fingerprint& expected, X509* certificate) {
    const Bytes actual = certificate_digest(certificate, expected.algorithm);
    return !actual.empty() && equal_constant_time(actual, expected.digest);
}

}  // namespace floe::dtls
