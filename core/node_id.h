// NodeId: a 160-bit Chord identifier, a point on the ring of 2^160 positions.
//
// Stored as 20 big-endian bytes, so the numeric order is the byte order (memcmp) and the
// type has no padding and alignment 1: it packs densely in successor lists and messages.
// Arithmetic is modulo 2^160. Membership in ring intervals lives in core/ring_interval.h.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/limits.h"
#include "core/result.h"

namespace chord {

class NodeId {
 public:
  using Bytes = std::array<std::uint8_t, id_bytes>;

  constexpr NodeId() = default;  // zero
  constexpr explicit NodeId(const Bytes& bytes) : bytes_(bytes) {}

  // The identifier of a name: SHA-1 of its bytes (a record key is hash("username#id")).
  static NodeId hash_of(std::string_view text);

  // The identifier whose low 64 bits are `value` and whose high bits are zero.
  static NodeId from_u64(std::uint64_t value);

  // Parses exactly 40 hex digits (either case). Errors: Errc::bad_hex.
  static Result<NodeId> parse_hex(std::string_view text);

  // 40 lowercase hex digits.
  std::string to_hex() const;
  // The first 8 hex digits, for people reading a trace or a /ring listing.
  std::string short_hex() const;

  const Bytes& bytes() const { return bytes_; }

  // This + 2^exponent mod 2^160: the start of finger `exponent`. REQUIRES: exponent < 160.
  NodeId plus_power_of_two(std::size_t exponent) const;
  // This + other mod 2^160.
  NodeId plus(const NodeId& other) const;
  // Clockwise distance from this to `to`: (to - this) mod 2^160. Zero when equal.
  NodeId distance_to(const NodeId& to) const;

  // Index of the highest set bit, or -1 for zero (log2 of a distance, for finger choice).
  int highest_bit() const;

  friend constexpr auto operator<=>(const NodeId&, const NodeId&) = default;
  friend constexpr bool operator==(const NodeId&, const NodeId&) = default;

 private:
  Bytes bytes_{};
};

static_assert(sizeof(NodeId) == id_bytes);
static_assert(alignof(NodeId) == 1);

}  // namespace chord
