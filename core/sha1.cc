#include "core/sha1.h"

#include <openssl/evp.h>

#include "core/assert.h"

namespace chord {

Sha1Digest sha1(std::span<const std::uint8_t> data) {
  Sha1Digest digest{};
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  CHORD_ASSERT(context != nullptr);
  const int init_ok = EVP_DigestInit_ex(context, EVP_sha1(), nullptr);
  CHORD_ASSERT(init_ok == 1);
  const int update_ok = EVP_DigestUpdate(context, data.data(), data.size());
  CHORD_ASSERT(update_ok == 1);
  unsigned int length = 0;
  const int final_ok = EVP_DigestFinal_ex(context, digest.data(), &length);
  CHORD_ASSERT(final_ok == 1);
  CHORD_ASSERT(length == digest.size());
  EVP_MD_CTX_free(context);
  return digest;
}

Sha1Digest sha1(std::string_view text) {
  return sha1(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                            text.size()));
}

}  // namespace chord
