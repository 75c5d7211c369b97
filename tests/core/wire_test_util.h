// Helpers for codec tests: frames built by hand, so malformed input can be crafted byte by byte.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/codec.h"

namespace chord::testing {

using Bytes = std::vector<std::uint8_t>;

inline Bytes frame_bytes(const Message& message) {
  Bytes out;
  encode_frame(message, out);
  return out;
}

// [u32 length][version][payload] with the length computed, or given.
inline Bytes raw_frame(const Bytes& payload, std::uint8_t version = wire_version) {
  Bytes out(frame_header_bytes + payload.size());
  const auto length = static_cast<std::uint32_t>(payload.size() + 1);
  out[0] = static_cast<std::uint8_t>(length >> 24);
  out[1] = static_cast<std::uint8_t>(length >> 16);
  out[2] = static_cast<std::uint8_t>(length >> 8);
  out[3] = static_cast<std::uint8_t>(length);
  out[4] = version;
  std::copy(payload.begin(), payload.end(), out.begin() + frame_header_bytes);
  return out;
}

inline Bytes payload_of(const Message& message) {
  Bytes frame = frame_bytes(message);
  return Bytes(frame.begin() + frame_header_bytes, frame.end());
}

inline void append_u64_le(Bytes& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

// Overwrites 8 bytes at `offset` with `value`, little-endian (a cereal size tag).
inline void patch_u64_le(Bytes& bytes, std::size_t offset, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    bytes[offset + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (8 * i));
  }
}

// Decodes everything in `bytes` fed at once; stops at the first error.
inline std::vector<Message> decode_all(const Bytes& bytes) {
  FrameDecoder decoder;
  decoder.feed(bytes);
  std::vector<Message> out;
  for (;;) {
    auto next = decoder.next();
    if (!next || !next->has_value()) break;
    out.push_back(std::move(**next));
  }
  return out;
}

}  // namespace chord::testing
