#include "core/node_id.h"

#include <bit>

#include "core/sha1.h"

namespace chord {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

NodeId NodeId::hash_of(std::string_view text) {
  return NodeId(sha1(text));
}

NodeId NodeId::from_u64(std::uint64_t value) {
  // Bits 63..32 are the middle word's low half; bits 31..0 the low word.
  return from_words(0, value >> 32, static_cast<std::uint32_t>(value));
}

Result<NodeId> NodeId::parse_hex(std::string_view text) {
  if (text.size() != 2 * id_bytes) return Error{Errc::bad_hex, "expected 40 hex digits"};
  Bytes bytes{};
  for (std::size_t i = 0; i < id_bytes; ++i) {
    const int high = hex_value(text[2 * i]);
    const int low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return Error{Errc::bad_hex, "not a hex digit"};
    bytes[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return NodeId(bytes);
}

std::string NodeId::to_hex() const {
  const Bytes big_endian = bytes();
  std::string text(2 * id_bytes, '0');
  for (std::size_t i = 0; i < id_bytes; ++i) {
    text[2 * i] = hex_digits[big_endian[i] >> 4];
    text[2 * i + 1] = hex_digits[big_endian[i] & 0xf];
  }
  return text;
}

std::string NodeId::short_hex() const {
  return to_hex().substr(0, 8);
}

NodeId NodeId::plus_power_of_two(std::size_t exponent) const {
  CHORD_ASSERT(exponent < id_bits);
  if (exponent < 32) return plus(from_words(0, 0, std::uint32_t{1} << exponent));
  if (exponent < 96) return plus(from_words(0, std::uint64_t{1} << (exponent - 32), 0));
  return plus(from_words(std::uint64_t{1} << (exponent - 96), 0, 0));
}

NodeId NodeId::plus(const NodeId& other) const {
  const std::uint64_t low_sum = std::uint64_t{low()} + other.low();
  const std::uint64_t carry_low = low_sum >> 32;
  const std::uint64_t middle_sum = middle() + other.middle();
  const std::uint64_t middle_total = middle_sum + carry_low;
  const std::uint64_t carry_middle =
      (middle_sum < middle() ? 1u : 0u) | (middle_total < middle_sum ? 1u : 0u);
  // The carry out of the high word is the wrap past 2^160: the result is mod 2^160.
  return from_words(high() + other.high() + carry_middle, middle_total,
                    static_cast<std::uint32_t>(low_sum));
}

NodeId NodeId::distance_to(const NodeId& to) const {
  const Distance distance = words_distance_to(to);
  return from_words(distance.high, distance.middle, distance.low);
}

int NodeId::highest_bit() const {
  auto width = [](auto word) { return static_cast<int>(std::bit_width(word)); };
  if (high() != 0) return 96 + width(high()) - 1;
  if (middle() != 0) return 32 + width(middle()) - 1;
  return width(low()) - 1;  // -1 for zero
}

}  // namespace chord
