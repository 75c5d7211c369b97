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
  Bytes bytes{};
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[id_bytes - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
  return NodeId(bytes);
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
  std::string text(2 * id_bytes, '0');
  for (std::size_t i = 0; i < id_bytes; ++i) {
    text[2 * i] = hex_digits[bytes_[i] >> 4];
    text[2 * i + 1] = hex_digits[bytes_[i] & 0xf];
  }
  return text;
}

std::string NodeId::short_hex() const {
  return to_hex().substr(0, 8);
}

NodeId NodeId::plus_power_of_two(std::size_t exponent) const {
  CHORD_ASSERT(exponent < id_bits);
  Bytes addend{};
  addend[id_bytes - 1 - exponent / 8] = static_cast<std::uint8_t>(1u << (exponent % 8));
  return plus(NodeId(addend));
}

NodeId NodeId::plus(const NodeId& other) const {
  Bytes sum{};
  unsigned carry = 0;
  for (std::size_t i = id_bytes; i-- > 0;) {
    const unsigned total = unsigned{bytes_[i]} + unsigned{other.bytes_[i]} + carry;
    sum[i] = static_cast<std::uint8_t>(total);
    carry = total >> 8;
  }
  return NodeId(sum);  // the carry out of the top byte is the wrap past 2^160
}

NodeId NodeId::distance_to(const NodeId& to) const {
  Bytes difference{};
  int borrow = 0;
  for (std::size_t i = id_bytes; i-- > 0;) {
    int value = int{to.bytes_[i]} - int{bytes_[i]} - borrow;
    borrow = value < 0 ? 1 : 0;
    if (value < 0) value += 256;
    difference[i] = static_cast<std::uint8_t>(value);
  }
  return NodeId(difference);  // a final borrow is the wrap: the result is mod 2^160
}

int NodeId::highest_bit() const {
  for (std::size_t i = 0; i < id_bytes; ++i) {
    if (bytes_[i] == 0) continue;
    return static_cast<int>((id_bytes - 1 - i) * 8) + std::bit_width(bytes_[i]) - 1;
  }
  return -1;
}

}  // namespace chord
