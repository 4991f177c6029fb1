// The precomputed-key HMACs agree with OpenSSL's one-shot HMAC at every length around the block
// and padding boundaries, split into parts at every place.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <floe/stun/integrity.hpp>

using namespace floe;
using namespace floe::stun;

TEST_CASE("HMAC-SHA1/SHA256 with a prepared key match OpenSSL's HMAC at all lengths 0-200") {
    Bytes data(200);
    for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<std::uint8_t>(i * 7 + 1);
    for (const std::string& key_text :
         {std::string(), std::string("pass"), std::string(64, 'k'), std::string(100, 'q')}) {
        const auto key = IntegrityKey::short_term(key_text);
        for (std::size_t n = 0; n <= data.size(); ++n) {
            CAPTURE(n);
            const ByteSpan message(data.data(), n);
            std::uint8_t expected1[20], expected256[32], got[32];
            unsigned len = 0;
            HMAC(EVP_sha1(), key_text.data(), static_cast<int>(key_text.size()), message.data(), n,
                 expected1, &len);
            HMAC(EVP_sha256(), key_text.data(), static_cast<int>(key_text.size()), message.data(),
                 n, expected256, &len);
            const std::size_t cut = n / 3;
            key.hmac_sha1({message.first(cut), message.subspan(cut)}, got);
            CHECK(to_hex(ByteSpan(got, 20)) == to_hex(ByteSpan(expected1, 20)));
            key.hmac_sha256(
                {message.first(cut), message.subspan(cut, cut), message.subspan(2 * cut)}, got);
            CHECK(to_hex(ByteSpan(got, 32)) == to_hex(ByteSpan(expected256, 32)));
        }
    }
}

TEST_CASE("long-term keys: MD5 and SHA-256 of username:realm:password") {
    std::uint8_t a[20], b[20];
    const auto md5 = IntegrityKey::long_term_md5("user", "realm", "pass");
    // MD5("user:realm:pass") = 8493fbc53ba582fb4c044c456bdc40eb
    IntegrityKey::from_bytes(*from_hex("8493fbc53ba582fb4c044c456bdc40eb"))
        .hmac_sha1({as_bytes("m")}, a);
    md5.hmac_sha1({as_bytes("m")}, b);
    CHECK(to_hex(ByteSpan(a, 20)) == to_hex(ByteSpan(b, 20)));
    const auto sha = IntegrityKey::long_term_sha256("user", "realm", "pass");
    sha.hmac_sha1({as_bytes("m")}, b);
    CHECK(to_hex(ByteSpan(a, 20)) != to_hex(ByteSpan(b, 20)));
}
