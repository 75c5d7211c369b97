#include "core/user_record.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "core/wire_schema.h"

namespace chord {
namespace wire {
template <>
inline constexpr std::uint8_t enum_max<UserRecordKind> = 1;
}  // namespace wire
namespace {

constexpr std::string_view signing_domain{"chordchat record v1\0", 20};

// Every field the signature covers, in wire order.
template <typename Archive>
void signed_fields(Archive& archive, UserRecord& record) {
  std::uint8_t format = user_record_format;
  archive(format);
  if (format != user_record_format) throw wire::DecodeFailure("unknown record format");
  archive(bounded_string<user_handle_bytes_max>(record.handle), record.endpoint,
          cereal::binary_data(record.public_key.data(), record.public_key.size()), record.seq,
          record.expires_ms, enum_field(record.kind));
}

// Signature checks are the costliest step of storing a record (about 90 us each on our
// 2-vCPU machine, against about 1 us for SHA-256 of a record), and the same bytes are
// checked by the primary, every replica and each finder: in a simulation one process runs
// them all. A check that passed is remembered by the SHA-256 of (key, signature, message)
// in a direct-mapped table, so the same triple again passes without the curve arithmetic.
// A hit needs the same digest, so it cannot let a forgery through; a miss (or a slot taken
// by another triple) only costs the full check. Failures are not remembered. One table per
// thread (the simulator and a real node each run one), 1 MiB, made on first use.
class VerifiedSignatures {
 public:
  bool verify(const PublicKey& key, const std::vector<std::uint8_t>& message,
              const Signature& signature) {
    const Digest digest = digest_of(key, message, signature);
    if (slots_.empty()) slots_.resize(slots_count);
    std::uint64_t index = 0;
    std::memcpy(&index, digest.data(), sizeof index);
    Digest& slot = slots_[index % slots_count];
    if (slot == digest) return true;
    if (!verify_signature(key, message, signature)) return false;
    slot = digest;
    return true;
  }

 private:
  using Digest = std::array<std::uint8_t, 32>;
  static constexpr std::size_t slots_count = 1 << 15;
  static Digest digest_of(const PublicKey& key, const std::vector<std::uint8_t>& message,
                          const Signature& signature) {
    Digest digest{};
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
    CHORD_ASSERT(context != nullptr);
    unsigned int length = 0;
    const bool ok = EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(context.get(), key.data(), key.size()) == 1 &&
                    EVP_DigestUpdate(context.get(), signature.data(), signature.size()) == 1 &&
                    EVP_DigestUpdate(context.get(), message.data(), message.size()) == 1 &&
                    EVP_DigestFinal_ex(context.get(), digest.data(), &length) == 1;
    CHORD_ASSERT(ok && length == digest.size());
    return digest;
  }
  std::vector<Digest> slots_;
};

std::vector<std::uint8_t> signed_bytes(const UserRecord& record) {
  std::vector<std::uint8_t> out(signing_domain.begin(), signing_domain.end());
  wire::WriteArchive archive(out);
  signed_fields(archive, const_cast<UserRecord&>(record));
  return out;
}

}  // namespace

void sign_user_record(UserRecord& record, const Identity& identity) {
  CHORD_ASSERT(record.public_key == identity.public_key());
  record.signature = identity.sign(signed_bytes(record));
}

std::string encode_user_record(const UserRecord& record) {
  std::vector<std::uint8_t> out;
  wire::WriteArchive archive(out);
  UserRecord& fields = const_cast<UserRecord&>(record);
  signed_fields(archive, fields);
  archive(cereal::binary_data(fields.signature.data(), fields.signature.size()));
  CHORD_ASSERT(out.size() <= record_value_bytes_max);
  return std::string(out.begin(), out.end());
}

Result<UserRecord> decode_user_record(std::string_view bytes) {
  UserRecord record;
  try {
    wire::ReadArchive archive(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    signed_fields(archive, record);
    archive(cereal::binary_data(record.signature.data(), record.signature.size()));
    if (archive.bytes_left() != 0) return Error{Errc::trailing_bytes, "bytes after the record"};
  } catch (const wire::ShortPayload&) {
    return Error{Errc::undecodable, "the record ends inside a field"};
  } catch (const wire::DecodeFailure&) {
    return Error{Errc::undecodable, "a record field out of range"};
  } catch (const std::exception&) {
    return Error{Errc::undecodable, "record rejected"};
  }
  return record;
}

const char* record_check_text(RecordCheck check) {
  switch (check) {
    case RecordCheck::ok:
      return "ok";
    case RecordCheck::wrong_key:
      return "the record's handle does not match the key it is stored under";
    case RecordCheck::wrong_id:
      return "the record's id is not the one its public key makes";
    case RecordCheck::bad_signature:
      return "the record's signature does not verify";
    case RecordCheck::expired:
      return "the record has expired";
    case RecordCheck::too_far:
      return "the record's expiry is too far ahead";
  }
  return "bad record";
}

namespace {

// Everything but the signature: the cheap checks, first.
RecordCheck check_fields(const NodeId& key, const UserRecord& record, std::int64_t now_ms) {
  if (!valid_handle(record.handle) || NodeId::hash_of(record.handle) != key) {
    return RecordCheck::wrong_key;
  }
  if (!handle_matches_key(record.handle, record.public_key)) return RecordCheck::wrong_id;
  if (record.expires_ms + clock_skew_max_ms <= now_ms) return RecordCheck::expired;
  if (record.expires_ms - now_ms > user_record_lease_max_ms + clock_skew_max_ms) {
    return RecordCheck::too_far;
  }
  return RecordCheck::ok;
}

}  // namespace

RecordCheck check_user_record(const NodeId& key, const UserRecord& record, std::int64_t now_ms) {
  const RecordCheck check = check_fields(key, record, now_ms);
  if (check != RecordCheck::ok) return check;
  thread_local VerifiedSignatures verified;
  if (!verified.verify(record.public_key, signed_bytes(record), record.signature)) {
    return RecordCheck::bad_signature;
  }
  return RecordCheck::ok;
}

std::uint32_t lease_within_expiry(std::uint32_t lease_ms, std::int64_t expires_ms,
                                  std::int64_t now_ms) {
  const std::int64_t signed_left = expires_ms - now_ms;
  const std::int64_t lower = std::max<std::int64_t>(signed_left, 0);
  const std::int64_t upper = std::max(lower, signed_left + clock_skew_max_ms);
  const std::int64_t lease = std::clamp<std::int64_t>(lease_ms, lower, upper);
  return static_cast<std::uint32_t>(std::min<std::int64_t>(lease, UINT32_MAX));
}

std::uint64_t owner_token(const PublicKey& key) {
  std::uint64_t token = 0;
  std::memcpy(&token, key.data(), sizeof(token));
  return token | 1;  // never 0, which means "no owner"
}

}  // namespace chord
