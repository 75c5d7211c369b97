// Where a real node's user key comes from: OpenSSL's CSPRNG, or a key file kept across
// sessions (chordnode chat --identity FILE).
//
// The file is an Ed25519 private key in PKCS#8 PEM (what `openssl genpkey -algorithm
// ed25519` writes, so it can be made or inspected with the openssl tool). It is created
// with mode 0600 if missing, never overwritten, and refused if others may read it (as ssh
// refuses a private key readable by others) or if it is not a regular file.
#pragma once

#include <optional>
#include <string>

#include "core/identity.h"

namespace chord::net {

// A new key from OpenSSL's CSPRNG (RAND_priv_bytes). Aborts only if OpenSSL has no entropy.
Identity generate_identity();

struct IdentityFile {
  std::optional<Identity> identity;  // empty on error
  bool created = false;              // the file did not exist and was written
  std::string error;                 // why not, naming the file: set when identity is empty
};

// Loads the key in `path`, or creates the file with a new key if it does not exist.
IdentityFile load_or_create_identity(const std::string& path);

}  // namespace chord::net
