// Big-endian writing, either into a caller's fixed buffer (no allocation: the hot paths) or
// appending to a growable Bytes. A fixed buffer that is too small makes the writer fail: it stops
// writing and ok() turns false, so encoders check once at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <floe/bytes.hpp>

namespace floe {

class ByteWriter {
  public:
    explicit ByteWriter(MutableByteSpan fixed) : fixed_(fixed) {}
    explicit ByteWriter(Bytes& growable) : growable_(&growable), start_(growable.size()) {}

    bool ok() const { return ok_; }
    // Bytes written by this writer.
    std::size_t size() const { return size_; }
    // The bytes written so far (valid until the next write to a growable buffer).
    MutableByteSpan written() {
        if (growable_) return MutableByteSpan(*growable_).subspan(start_, size_);
        return fixed_.first(size_);
    }

    void u8(std::uint8_t v) { put<1>(v); }
    void u16(std::uint16_t v) { put<2>(v); }
    void u24(std::uint32_t v) { put<3>(v); }
    void u32(std::uint32_t v) { put<4>(v); }
    void u48(std::uint64_t v) { put<6>(v); }  // the low 48 bits, as DTLS sequence numbers
    void u64(std::uint64_t v) { put<8>(v); }

    void bytes(ByteSpan data) {
        if (std::uint8_t* out = reserve(data.size()); out && !data.empty())
            std::memcpy(out, data.data(), data.size());
    }
    void zeros(std::size_t n) {
        if (std::uint8_t* out = reserve(n); out && n) std::memset(out, 0, n);
    }

    // Overwrites two bytes already written at `offset` (relative to this writer's start), for
    // lengths known only after the body is written.
    void patch_u16(std::size_t offset, std::uint16_t v) {
        if (!ok_ || offset + 2 > size_) {
            ok_ = false;
            return;
        }
        MutableByteSpan out = written();
        out[offset] = static_cast<std::uint8_t>(v >> 8);
        out[offset + 1] = static_cast<std::uint8_t>(v);
    }

    // Makes room for n bytes and returns where they go (nullptr after a failure), for callers
    // that produce bytes in place (a MAC, a copy from another buffer).
    std::uint8_t* reserve(std::size_t n) {
        if (!ok_) return nullptr;
        if (growable_) {
            growable_->resize(start_ + size_ + n);
            std::uint8_t* out = growable_->data() + start_ + size_;
            size_ += n;
            return out;
        }
        if (n > fixed_.size() - size_) {
            ok_ = false;
            return nullptr;
        }
        std::uint8_t* out = fixed_.data() + size_;
        size_ += n;
        return out;
    }

  private:
    template <std::size_t N, class T>
    void put(T v) {
        std::uint8_t* out = reserve(N);
        if (!out) return;
        for (std::size_t i = 0; i < N; ++i)
            out[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * (N - 1 - i)));
    }

    MutableByteSpan fixed_;
    Bytes* growable_ = nullptr;
    std::size_t start_ = 0;
    std::size_t size_ = 0;
    bool ok_ = true;
};

}  // namespace floe
