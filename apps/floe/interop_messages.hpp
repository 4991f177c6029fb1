// The deterministic send-check messages of the interop kit, bit-identical to buildMessages() in
// ../shared/interop/peers/common/core.js (and peers/aiortc/driver.py): xorshift32 payloads, text
// drawn by code point from a fixed alphabet, a fixed head of edge sizes, then pseudo-random sizes.
#pragma once

#include <cstdint>
#include <vector>

#include <floe/data_channel.hpp>

namespace floe::cli {

std::vector<Message> build_interop_messages(int count, bool with_empty);
// Binary payload of `size` bytes from `seed` (bulk mode uses seed 7).
Bytes interop_binary(std::size_t size, std::uint32_t seed);

}  // namespace floe::cli
