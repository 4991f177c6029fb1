// Who sends the DTLS ClientHello. One enum for the DTLS transport and the SCTP association:
// SCTP's stream ids follow the DTLS role (RFC 8832 §6: the client uses even ids), so they are
// the same fact, not two roles.
#pragma once

#include <cstdint>

namespace floe {

enum class DtlsRole : std::uint8_t { client, server };

}  // namespace floe
