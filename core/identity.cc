#include "core/identity.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>

#include "core/assert.h"
#include "core/limits.h"

namespace chord {
namespace {

constexpr char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view user_id_domain{"chordchat user id v1\0", 21};

struct MdContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using MdContext = std::unique_ptr<EVP_MD_CTX, MdContextFree>;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

MdContext new_md_context() {
  MdContext context(EVP_MD_CTX_new());
  CHORD_ASSERT(context != nullptr);
  return context;
}

// OpenSSL must never ask for a passphrase on the terminal: an encrypted key is an error.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

}  // namespace

void Identity::KeyFree::operator()(evp_pkey_st* key) const {
  EVP_PKEY_free(key);
}

Identity::Identity(evp_pkey_st* key) : key_(key) {
  CHORD_ASSERT(key_ != nullptr);
  std::size_t length = public_key_.size();
  const int ok = EVP_PKEY_get_raw_public_key(key_.get(), public_key_.data(), &length);
  CHORD_ASSERT(ok == 1 && length == public_key_.size());
}

Identity::Identity(Identity&&) noexcept = default;
Identity& Identity::operator=(Identity&&) noexcept = default;
Identity::~Identity() = default;

Identity Identity::from_seed(const IdentitySeed& seed) {
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
  CHORD_ASSERT(key != nullptr);
  return Identity(key);
}

Result<Identity> Identity::from_pem(std::string_view pem) {
  if (pem.size() > 64 * 1024) return Error{Errc::undecodable, "key file over 64 KiB"};
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  CHORD_ASSERT(bio != nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  ERR_clear_error();
  if (key == nullptr) {
    return Error{Errc::undecodable, "not a PEM private key (or an encrypted one)"};
  }
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return Error{Errc::undecodable, "the key is not an Ed25519 key"};
  }
  return Identity(key);
}

std::string Identity::to_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  CHORD_ASSERT(bio != nullptr);
  const int ok =
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  CHORD_ASSERT(ok == 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  CHORD_ASSERT(length > 0 && data != nullptr);
  return std::string(data, static_cast<std::size_t>(length));
}

Signature Identity::sign(std::span<const std::uint8_t> message) const {
  MdContext context = new_md_context();
  Signature signature{};
  std::size_t length = signature.size();
  const bool ok =
      EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
      EVP_DigestSign(context.get(), signature.data(), &length, message.data(), message.size()) == 1;
  CHORD_ASSERT(ok && length == signature.size());
  return signature;
}

bool verify_signature(const PublicKey& key, std::span<const std::uint8_t> message,
                      const Signature& signature) {
  EVP_PKEY* public_key =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  if (public_key == nullptr) {
    ERR_clear_error();
    return false;
  }
  MdContext context = new_md_context();
  const bool ok = EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, public_key) == 1 &&
                  EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                                   message.data(), message.size()) == 1;
  EVP_PKEY_free(public_key);
  ERR_clear_error();
  return ok;
}

bool valid_username(std::string_view name) {
  if (name.empty() || name.size() > username_bytes_max) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

bool valid_handle(std::string_view handle) {
  const auto hash = handle.find('#');
  if (hash == std::string_view::npos) return false;
  const std::string_view id = handle.substr(hash + 1);
  if (!valid_username(handle.substr(0, hash)) || id.size() != user_id_chars) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::string_view(base32_alphabet).find(c) != std::string_view::npos;
  });
}

static_assert(username_bytes_max + 1 + user_id_chars <= user_handle_bytes_max);

std::string user_id_for(std::string_view username, const PublicKey& key) {
  MdContext context = new_md_context();
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const std::uint8_t separator = 0;
  const bool ok =
      EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) == 1 &&
      EVP_DigestUpdate(context.get(), user_id_domain.data(), user_id_domain.size()) == 1 &&
      EVP_DigestUpdate(context.get(), username.data(), username.size()) == 1 &&
      EVP_DigestUpdate(context.get(), &separator, 1) == 1 &&
      EVP_DigestUpdate(context.get(), key.data(), key.size()) == 1 &&
      EVP_DigestFinal_ex(context.get(), digest.data(), &length) == 1;
  CHORD_ASSERT(ok && length == 32);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < 8; ++i)
    bits = (bits << 8) | digest[i];
  std::string id(user_id_chars, 'a');
  for (std::size_t i = 0; i < user_id_chars; ++i)
    id[i] = base32_alphabet[(bits >> (64 - 5 * (i + 1))) & 31];
  return id;
}

std::string handle_for(std::string_view username, const PublicKey& key) {
  std::string handle(username);
  handle += '#';
  handle += user_id_for(username, key);
  return handle;
}

bool handle_matches_key(std::string_view handle, const PublicKey& key) {
  if (!valid_handle(handle)) return false;
  const auto hash = handle.find('#');
  return handle.substr(hash + 1) == user_id_for(handle.substr(0, hash), key);
}

}  // namespace chord
