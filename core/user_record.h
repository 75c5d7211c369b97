// UserRecord: the signed value of a directory record, "name#id" -> endpoint.
//
// The DHT value under SHA-1("name#id") is one encoded UserRecord: the handle, the user's
// endpoint, the user's Ed25519 public key, a sequence number, the lease's expiry and
// whether it is a tombstone, signed with the user's key. Storage nodes store a record only
// if check_user_record passes (the handle hashes to the key, the id is the one the key
// makes, the signature verifies, the expiry is near), and replace a stored one only by a
// higher sequence number (RecordStore); removal is a signed tombstone with a higher number.
// A finder runs the same check on what it gets back and trusts no storage node.
//
// The expiry is absolute (milliseconds of Runtime::wall_clock_ms, the Unix epoch on a real
// node), so a record replayed after its lease ran out is refused: nodes' clocks need only
// agree within clock_skew_max. Storage still counts each copy's lease on its own clock,
// from the time left that travels with the record, never beyond the signed expiry.
//
// Layout (cereal portable binary, as the messages; core/wire_schema.h):
//   u8 format (1) | handle | endpoint | public key (32) | u64 seq | i64 expires_ms |
//   u8 kind (0 live, 1 tombstone) | signature (64)
// The signature covers "chordchat record v1\0" followed by every field before it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/endpoint.h"
#include "core/identity.h"
#include "core/node_id.h"
#include "core/result.h"

namespace chord {

enum class UserRecordKind : std::uint8_t { live = 0, tombstone = 1 };

struct UserRecord {
  std::string handle;  // "name#id"
  Endpoint endpoint;   // where the user's node listens
  PublicKey public_key{};
  std::uint64_t seq = 0;
  std::int64_t expires_ms = 0;  // Runtime::wall_clock_ms at which the record dies
  UserRecordKind kind = UserRecordKind::live;
  Signature signature{};
  friend bool operator==(const UserRecord&, const UserRecord&) = default;
};

inline constexpr std::uint8_t user_record_format = 1;
// How far nodes' wall clocks may disagree: an expiry further ahead than the longest lease
// plus this is refused, as is one more than this in the past.
inline constexpr std::int64_t clock_skew_max_ms = 10 * 60 * 1000;
inline constexpr std::int64_t user_record_lease_max_ms = 24 * 3600 * 1000;

// Fills in the signature of `record` with `identity`'s key (whose public key it must carry).
void sign_user_record(UserRecord& record, const Identity& identity);
std::string encode_user_record(const UserRecord& record);
// Errors: undecodable (short, trailing bytes, a field out of range, an unknown format).
Result<UserRecord> decode_user_record(std::string_view bytes);

enum class RecordCheck : std::uint8_t {
  ok = 0,
  wrong_key,      // the handle is malformed or does not hash to the record's key
  wrong_id,       // the handle's id is not the one the public key makes
  bad_signature,  // the signature does not verify
  expired,        // the expiry has passed
  too_far,        // the expiry is further ahead than the longest lease allows
};
const char* record_check_text(RecordCheck check);

// Whether `record` may stand under `key` at wall-clock time `now_ms`.
// The lease a node gives a record it stores: the signed expiry as its own clock sees it; the
// time left that travels with the record (unsigned) may move it only within the clock skew
// allowed, never shorten it below what this clock says.
std::uint32_t lease_within_expiry(std::uint32_t lease_ms, std::int64_t expires_ms,
                                  std::int64_t now_ms);
RecordCheck check_user_record(const NodeId& key, const UserRecord& record, std::int64_t now_ms);

// The DHT owner token of records signed by `key` (RecordStore compares tokens, the
// signature is what proves them).
std::uint64_t owner_token(const PublicKey& key);

}  // namespace chord
