#include <floe/fingerprint.hpp>

#include <array>

#include "common/text.hpp"

namespace floe {

namespace {

struct HashName {
    HashFunction hash;
    std::string_view name;
    std::size_t size;  // the digest's length in bytes
};
constexpr std::array<HashName, 5> hash_names = {{
    {HashFunction::sha1, "sha-1", 20},
    {HashFunction::sha224, "sha-224", 28},
    {HashFunction::sha256, "sha-256", 32},
    {HashFunction::sha384, "sha-384", 48},
    {HashFunction::sha512, "sha-512", 64},
}};

}  // namespace

std::string_view to_string(HashFunction hash) {
    for (const auto& h : hash_names)
        if (h.hash == hash) return h.name;
    return "sha-256";
}

std::optional<HashFunction> parse_hash_function(std::string_view name) {
    for (const auto& h : hash_names)
        if (text::iequals(h.name, name)) return h.hash;
    return std::nullopt;
}

std::size_t digest_size(HashFunction hash) {
    for (const auto& h : hash_names)
        if (h.hash == hash) return h.size;
    return 0;
}

std::string_view to_string(FingerprintError error) {
    switch (error) {
        case FingerprintError::no_hash_function:
            return "no hash function";
        case FingerprintError::unsupported_hash_function:
            return "unsupported hash function";
        case FingerprintError::malformed_digest:
            return "malformed digest";
    }
    return "?";
}

Result<Fingerprint, FingerprintError> Fingerprint::parse(std::string_view value) {
    text::Words words(value);
    auto name = words.next();
    const std::string_view hex = words.rest();  // RFC 8122 §5: one space; more are harmless
    if (!name || hex.empty()) return fail(FingerprintError::no_hash_function);
    auto hash = parse_hash_function(*name);
    if (!hash) return fail(FingerprintError::unsupported_hash_function);
    auto digest = from_hex(hex, ':');
    if (!digest || digest->size() != digest_size(*hash))
        return fail(FingerprintError::malformed_digest);
    return Fingerprint{*hash, std::move(*digest)};
}

std::string Fingerprint::to_string() const {
    std::string out(floe::to_string(algorithm));
    out += ' ';
    for (char c : to_hex(digest, ":"))
        out += (c >= 'a' && c <= 'f') ? char(c - 'a' + 'A') : c;
    return out;
}

}  // namespace floe
