// A DTLS certificate with its private key (ECDSA P-256, self-signed), shareable between
// PeerConnections. Its SHA-256 fingerprint is what the SDP a=fingerprint line carries.
#pragma once

#include <memory>
#include <string>

namespace floe {

class Certificate {
public:
    // A fresh self-signed ECDSA P-256 certificate.
    static std::shared_ptr<const Certificate> generate();

    // "sha-256 AB:CD:..." as written in SDP.
    std::string fingerprint() const;

    struct Impl;  // the dtls layer's certificate (src/rtc/certificate.cpp)
    explicit Certificate(std::unique_ptr<Impl> impl);
    ~Certificate();
    const Impl& impl() const { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace floe
