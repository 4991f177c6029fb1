#include "dtls/fingerprint.hpp"

#include <openssl/evp.h>

namespace floe::dtls {

namespace {

const EVP_MD* evp_md(HashFunction hash) {
    switch (hash) {
        case HashFunction::sha1:
            return EVP_sha1();
        case HashFunction::sha224:
            return EVP_sha224();
        case HashFunction::sha256:
            return EVP_sha256();
        case HashFunction::sha384:
            return EVP_sha384();
        case HashFunction::sha512:
            return EVP_sha512();
    }
    return EVP_sha256();
}

}  // namespace

Fingerprint fingerprint_of(X509* certificate, HashFunction hash) {
    return Fingerprint{hash, certificate_digest(certificate, hash)};
}

std::vector<Fingerprint> strongest_fingerprints(std::span<const Fingerprint> fingerprints) {
    std::vector<Fingerprint> strongest;
    for (const Fingerprint& f : fingerprints) {
        // HashFunction is declared weakest first.
        if (!strongest.empty() && f.algorithm < strongest.front().algorithm) continue;
        if (!strongest.empty() && f.algorithm > strongest.front().algorithm) strongest.clear();
        strongest.push_back(f);
    }
    return strongest;
}

Bytes certificate_digest(X509* certificate, HashFunction hash) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int size = 0;
    if (X509_digest(certificate, evp_md(hash), out.data(), &size) != 1) return {};
    out.resize(size);
    return out;
}

bool fingerprint_matches(const Fingerprint& expected, X509* certificate) {
    const Bytes actual = certificate_digest(certificate, expected.algorithm);
    return !actual.empty() && equal_constant_time(actual, expected.digest);
}

}  // namespace floe::dtls
