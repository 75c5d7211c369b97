// SHA-1 through OpenSSL's EVP interface (not the deprecated SHA1() call).
// Chord identifiers are SHA-1 digests; nothing here is used for security.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/limits.h"

namespace chord {

using Sha1Digest = std::array<std::uint8_t, id_bytes>;

// The SHA-1 digest of `data`. Aborts only if OpenSSL cannot allocate a digest context,
// which is a broken process, not bad input.
Sha1Digest sha1(std::span<const std::uint8_t> data);
Sha1Digest sha1(std::string_view text);

}  // namespace chord
