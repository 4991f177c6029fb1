// CRC-32C (Castagnoli, RFC 3309), the checksum of every SCTP packet. usrsctp's own is a byte-wise
// table; we switch its checksum off (usrsctp_enable_crc32c_offload) and compute ours on output,
// with the SSE4.2 crc32 instruction when the CPU has it (checked once at run time) and a
// table-driven fallback otherwise.
#pragma once

#include <cstdint>

#include <floe/bytes.hpp>

namespace floe {

// The standard CRC-32C of `data`: initial value and final xor 0xffffffff, reflected.
// crc32c("123456789") == 0xe3069283.
std::uint32_t crc32c(ByteSpan data);

// The portable path alone, for tests that compare both.
std::uint32_t crc32c_portable(ByteSpan data);

// Whether crc32c() uses the hardware instruction on this machine.
bool crc32c_hardware();

}  // namespace floe
