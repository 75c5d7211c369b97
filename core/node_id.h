// NodeId: a 160-bit Chord identifier, a point on the ring of 2^160 positions.
//
// Stored as three native words, least significant first (bits 31..0, 95..32, 159..96) in
// 20 bytes with no padding and alignment 1: it packs densely in successor lists and
// messages, and comparing or subtracting ids (most of routing) loads words as they are,
// with no byte swapping. The byte form, big-endian as on the wire and in SHA-1, is made on
// demand (bytes()). Arithmetic is modulo 2^160. Membership in ring intervals lives in
// core/ring_interval.h.
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/limits.h"
#include "core/result.h"

namespace chord {

class NodeId {
 public:
  using Bytes = std::array<std::uint8_t, id_bytes>;

  constexpr NodeId() = default;  // zero
  // From the big-endian bytes (the wire's and SHA-1's order).
  explicit NodeId(const Bytes& bytes) {
    std::uint64_t high = 0, middle = 0;
    std::uint32_t low = 0;
    std::memcpy(&high, bytes.data(), sizeof high);
    std::memcpy(&middle, bytes.data() + 8, sizeof middle);
    std::memcpy(&low, bytes.data() + 16, sizeof low);
    *this = from_words(from_big_endian(high), from_big_endian(middle), from_big_endian(low));
  }

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

  // The big-endian bytes (the wire's order).
  Bytes bytes() const {
    const std::uint64_t high_word = from_big_endian(high()),
                        middle_word = from_big_endian(middle());
    const std::uint32_t low_word = from_big_endian(low());
    Bytes bytes;
    std::memcpy(bytes.data(), &high_word, sizeof high_word);
    std::memcpy(bytes.data() + 8, &middle_word, sizeof middle_word);
    std::memcpy(bytes.data() + 16, &low_word, sizeof low_word);
    return bytes;
  }

  // This + 2^exponent mod 2^160: the start of finger `exponent`. REQUIRES: exponent < 160.
  NodeId plus_power_of_two(std::size_t exponent) const;
  // This + other mod 2^160.
  NodeId plus(const NodeId& other) const;
  // Clockwise distance from this to `to`: (to - this) mod 2^160. Zero when equal.
  NodeId distance_to(const NodeId& to) const;

  // The same distance as three native words, most significant first: what sorting by
  // distance needs, without packing the result back into big-endian bytes (routing
  // compares many distances per message).
  struct Distance {
    std::uint64_t high = 0;
    std::uint64_t middle = 0;
    std::uint32_t low = 0;
    friend auto operator<=>(const Distance&, const Distance&) = default;
  };
  Distance words_distance_to(const NodeId& to) const {
    const std::uint32_t to_low = to.low(), from_low = low();
    const std::uint64_t to_middle = to.middle(), from_middle = middle();
    const std::uint64_t borrow_low = to_low < from_low ? 1u : 0u;
    const std::uint64_t middle_difference = to_middle - from_middle;
    const std::uint64_t borrow_middle =
        (to_middle < from_middle ? 1u : 0u) | (middle_difference < borrow_low ? 1u : 0u);
    // A final borrow is the wrap: the result is mod 2^160.
    return {to.high() - high() - borrow_middle, middle_difference - borrow_low,
            static_cast<std::uint32_t>(to_low - from_low)};
  }

  // Index of the highest set bit, or -1 for zero (log2 of a distance, for finger choice).
  int highest_bit() const;

  // Numeric order, compared as three big-endian words (the hot path of routing).
  friend std::strong_ordering operator<=>(const NodeId& a, const NodeId& b) {
    if (const auto c = a.high() <=> b.high(); c != 0) return c;
    if (const auto c = a.middle() <=> b.middle(); c != 0) return c;
    return a.low() <=> b.low();
  }
  friend bool operator==(const NodeId& a, const NodeId& b) {
    return a.high() == b.high() && a.middle() == b.middle() && a.low() == b.low();
  }

  // The identifier as words, most significant first: bits 159..96, 95..32, 31..0.
  std::uint64_t high() const { return load<std::uint64_t>(high_offset); }
  std::uint64_t middle() const { return load<std::uint64_t>(middle_offset); }
  std::uint32_t low() const { return load<std::uint32_t>(0); }
  static NodeId from_words(std::uint64_t high, std::uint64_t middle, std::uint32_t low) {
    NodeId id;
    std::memcpy(id.words_.data(), &low, sizeof low);
    std::memcpy(id.words_.data() + middle_offset, &middle, sizeof middle);
    std::memcpy(id.words_.data() + high_offset, &high, sizeof high);
    return id;
  }

 private:
  // A big-endian word as a native one, and back (the same swap).
  template <typename Word>
  static Word from_big_endian(Word word) {
    if constexpr (std::endian::native == std::endian::big) {
      return word;
    } else if constexpr (sizeof(Word) == 8) {
      return __builtin_bswap64(word);
    } else {
      return __builtin_bswap32(word);
    }
  }
  static constexpr std::size_t middle_offset = 4;
  static constexpr std::size_t high_offset = 12;
  template <typename Word>
  Word load(std::size_t offset) const {
    Word word;
    std::memcpy(&word, words_.data() + offset, sizeof(word));
    return word;
  }

  std::array<std::uint8_t, id_bytes> words_{};  // low, middle, high: native byte order
};

static_assert(sizeof(NodeId) == id_bytes);
static_assert(alignof(NodeId) == 1);

}  // namespace chord
