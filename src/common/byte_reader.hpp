// Bounds-checked big-endian reading over a byte span. Every read says whether the bytes were
// there; nothing here can read past the end, so parsers never index raw buffers themselves.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include <floe/bytes.hpp>

namespace floe {

class ByteReader {
  public:
    explicit ByteReader(ByteSpan data) : data_(data) {}

    std::size_t position() const { return pos_; }
    std::size_t remaining() const { return data_.size() - pos_; }
    bool empty() const { return pos_ == data_.size(); }
    // What has not been read yet.
    ByteSpan rest() const { return data_.subspan(pos_); }

    std::optional<std::uint8_t> u8() { return read<std::uint8_t, 1>(); }
    std::optional<std::uint16_t> u16() { return read<std::uint16_t, 2>(); }
    std::optional<std::uint32_t> u24() { return read<std::uint32_t, 3>(); }
    std::optional<std::uint32_t> u32() { return read<std::uint32_t, 4>(); }
    std::optional<std::uint64_t> u48() { return read<std::uint64_t, 6>(); }
    std::optional<std::uint64_t> u64() { return read<std::uint64_t, 8>(); }

    // The next n bytes as a view into the input.
    std::optional<ByteSpan> bytes(std::size_t n) {
        if (n > remaining()) return std::nullopt;
        ByteSpan out = data_.subspan(pos_, n);
        pos_ += n;
        return out;
    }

    bool skip(std::size_t n) {
        if (n > remaining()) return false;
        pos_ += n;
        return true;
    }

    std::optional<std::uint8_t> peek_u8() const {
        if (empty()) return std::nullopt;
        return data_[pos_];
    }

  private:
    template <class T, std::size_t N>
    std::optional<T> read() {
        if (N > remaining()) return std::nullopt;
        T value = 0;
        for (std::size_t i = 0; i < N; ++i)
            value = static_cast<T>((value << 8) | data_[pos_ + i]);
        pos_ += N;
        return value;
    }

    ByteSpan data_;
    std::size_t pos_ = 0;
};

// Big-endian loads at a fixed offset of a span whose size the caller has already checked
// (e.g. a header validated by a ByteReader). Out-of-range offsets return 0 rather than read.
inline std::uint16_t load_u16(ByteSpan data, std::size_t offset) {
    if (offset + 2 > data.size()) return 0;
    std::uint16_t v;
    std::memcpy(&v, data.data() + offset, 2);  // one load; GCC does not merge the byte loads here
    return std::endian::native == std::endian::little ? __builtin_bswap16(v) : v;
}
inline std::uint32_t load_u32(ByteSpan data, std::size_t offset) {
    if (offset + 4 > data.size()) return 0;
    std::uint32_t v;
    std::memcpy(&v, data.data() + offset, 4);
    return std::endian::native == std::endian::little ? __builtin_bswap32(v) : v;
}

}  // namespace floe
