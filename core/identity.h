// A user's identity: an Ed25519 key pair (OpenSSL EVP), and the self-certifying id that
// names it.
//
// The id in "name#id" is derived from the public key and the username (user_id_for), so
// only the holder of the private key can sign for a name#id: a record or a chat handshake
// that carries a key whose derived id differs is refused. 60 bits: finding another key for
// someone's name#id takes about 2^60 key generations. Nothing here is new cryptography:
// Ed25519 (RFC 8032) and SHA-256, both from OpenSSL.
//
// Keys come from a 32-byte seed (the RFC 8032 private key). Where the seed comes from is
// the caller's: a real node draws it from OpenSSL's CSPRNG (net_real/identity_file.h), the
// simulator from its seeded per-node random numbers, so a simulation stays reproducible.
// The core itself never reads entropy, files or clocks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace chord {

inline constexpr std::size_t public_key_bytes = 32;
inline constexpr std::size_t signature_bytes = 64;
inline constexpr std::size_t identity_seed_bytes = 32;
// The id part of a handle: 12 base32 characters, 60 bits of SHA-256.
inline constexpr std::size_t user_id_chars = 12;

using PublicKey = std::array<std::uint8_t, public_key_bytes>;
using Signature = std::array<std::uint8_t, signature_bytes>;
using IdentitySeed = std::array<std::uint8_t, identity_seed_bytes>;

class Identity {
 public:
  // The key pair whose private key is `seed`. Never fails for 32 bytes; an OpenSSL
  // allocation failure aborts (a broken process, not bad input).
  static Identity from_seed(const IdentitySeed& seed);
  // An Ed25519 private key in PEM (PKCS#8, as `openssl genpkey -algorithm ed25519` writes).
  // Errors: undecodable (not PEM, not a private key, not Ed25519), with the reason.
  static Result<Identity> from_pem(std::string_view pem);

  Identity(Identity&&) noexcept;
  Identity& operator=(Identity&&) noexcept;
  ~Identity();

  // The private key as PKCS#8 PEM, for a key file.
  std::string to_pem() const;
  const PublicKey& public_key() const { return public_key_; }
  // The Ed25519 signature of `message`.
  Signature sign(std::span<const std::uint8_t> message) const;
  // The OpenSSL key, for a TLS certificate (net_real/tls.h). Owned by this identity.
  evp_pkey_st* native_key() const { return key_.get(); }

 private:
  struct KeyFree {
    void operator()(evp_pkey_st* key) const;
  };
  Identity(evp_pkey_st* key);
  std::unique_ptr<evp_pkey_st, KeyFree> key_;
  PublicKey public_key_{};
};

// Whether `signature` is `key`'s Ed25519 signature of `message`. Any malformed key or
// signature is simply false.
bool verify_signature(const PublicKey& key, std::span<const std::uint8_t> message,
                      const Signature& signature);

// Username rules: 1 to 32 bytes of letters, digits, '-', '_' and '.'.
inline constexpr std::size_t username_bytes_max = 32;
bool valid_username(std::string_view name);
// "name#id" with a valid name and a 12-character base32 id (a-z, 2-7).
bool valid_handle(std::string_view handle);

// The id of user `username` with `key`: base32 (a-z, 2-7) of the first 60 bits of
// SHA-256("chordchat user id v1\0" || username || 0 || key).
std::string user_id_for(std::string_view username, const PublicKey& key);
// "username#id" for that id.
std::string handle_for(std::string_view username, const PublicKey& key);
// Whether `handle` ("username#id") is the handle `key` makes.
bool handle_matches_key(std::string_view handle, const PublicKey& key);

}  // namespace chord
