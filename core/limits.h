// Named limits of the protocol, with their units, and the relations between them.
//
// Every bound that the wire format or the node's state depends on lives here, so that a
// reader can see at once what a peer can make us hold. Config structs may choose smaller
// values at run time, never larger ones.
#pragma once

#include <cstddef>
#include <cstdint>

namespace chord {

// Bits in a Chord identifier (SHA-1).
inline constexpr std::size_t id_bits = 160;
inline constexpr std::size_t id_bytes = id_bits / 8;

// Successor-list length r. The ToN paper uses r = 2·log2 N (20 at N = 1000); 32 covers
// N up to 2^16 at that rule and any r a deployment would choose.
inline constexpr std::size_t successors_max = 32;

// Peers a find_successor reply may carry: the owner and its next successors when done,
// the closest preceding candidates (best first) when the lookup must go on.
inline constexpr std::size_t lookup_peers_max = 8;

// Records in one transfer message; bulk hand-overs are split into chunks of this size.
inline constexpr std::size_t records_per_chunk_max = 8;

// A record's value: an encoded, signed UserRecord (core/user_record.h), about 170 bytes.
inline constexpr std::size_t record_value_bytes_max = 1024;

// A user handle "username#id" as text, and a chat message's text, in bytes.
inline constexpr std::size_t user_handle_bytes_max = 64;
inline constexpr std::size_t chat_text_bytes_max = 4096;

// Frames: [u32 big-endian length][u8 version][payload]; the length counts the version byte
// and the payload. The default maximum for the length field, and the hard ceiling.
inline constexpr std::uint32_t frame_bytes_max_default = 1u << 20;  // 1 MiB
inline constexpr std::size_t frame_length_field_bytes = 4;
inline constexpr std::size_t frame_header_bytes = frame_length_field_bytes + 1;

// The largest message this build can encode must fit in the smallest frame limit a node
// may configure, or a node could build frames its peers must refuse.
inline constexpr std::uint32_t frame_bytes_max_min = 64 * 1024;
static_assert(records_per_chunk_max * (record_value_bytes_max + 128) < frame_bytes_max_min);
static_assert(chat_text_bytes_max + 2 * user_handle_bytes_max + 64 < frame_bytes_max_min);
static_assert(successors_max * 64 < frame_bytes_max_min);
static_assert(frame_bytes_max_min <= frame_bytes_max_default);

}  // namespace chord
