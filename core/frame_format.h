// The frame layout shared by the codec (core/codec.h) and the TCP framing of net_real.
//
//   [u32 length, big-endian][u8 version][payload: `length - 1` bytes]
//
// `length` counts the version byte and the payload, not itself. The payload is cereal's
// portable binary archive: one byte of endianness (always 1, little-endian, here), then the
// message type as u8 (the index in the Message variant), then the message's fields in the
// order core/wire_schema.h lists them. Counts and strings carry cereal's 8-byte size tag.
#pragma once

#include <cstdint>

#include "core/limits.h"

namespace chord {

// 2: signed records and chat handshakes (ChatOpen's keys and signature, ChatAccept).
inline constexpr std::uint8_t wire_version = 2;

// Payload prefix: cereal's endianness flag and the message type.
inline constexpr std::uint8_t wire_little_endian_flag = 1;
inline constexpr std::size_t payload_bytes_min = 2;
inline constexpr std::uint32_t frame_length_min = 1 + payload_bytes_min;

}  // namespace chord
