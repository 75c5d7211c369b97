// The property the fuzz target checks on every input, shared with the GoogleTest case that
// replays the corpus (tests/core/fuzz_corpus_test.cc) so gcc and ASan builds run it too.
//
// Feeds `data` to a FrameDecoder in pieces whose sizes come from the data itself, and for
// every message decoded: its encoded size is what encoding produces, and decoding that
// encoding gives the same message. Returns false on the first violation, with `why` set;
// never throws. Errors from the decoder are fine (that is what they are for).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/codec.h"

namespace chord::fuzz {

struct CheckStats {
  std::size_t messages = 0;
  std::size_t errors = 0;
};

inline bool check_frame_decoder(std::span<const std::uint8_t> data, CheckStats& stats,
                                std::string& why) {
  FrameDecoder decoder(frame_bytes_max_min);
  std::size_t offset = 0;
  std::size_t piece_seed = data.empty() ? 1 : data[0];
  // Bounded: every round feeds at least one byte; draining stops at "need more" or fatal.
  while (offset < data.size()) {
    const std::size_t piece = std::min<std::size_t>(data.size() - offset, 1 + piece_seed % 97);
    piece_seed = piece_seed * 31 + 7;
    decoder.feed(data.subspan(offset, piece));
    offset += piece;
    for (std::size_t guard = 0; guard <= data.size(); ++guard) {
      auto next = decoder.next();
      if (!next) {
        ++stats.errors;
        if (decoder.failed()) return true;
        continue;
      }
      if (!next->has_value()) break;
      const Message& message = **next;
      ++stats.messages;
      std::vector<std::uint8_t> again;
      encode_frame(message, again);
      if (again.size() != encoded_frame_size(message)) {
        why = std::string("encoded size differs for ") + message_name(message);
        return false;
      }
      FrameDecoder second;
      second.feed(again);
      auto round_trip = second.next();
      if (!round_trip || !round_trip->has_value() || !(**round_trip == message)) {
        why = std::string("re-encoding does not round-trip for ") + message_name(message);
        return false;
      }
    }
  }
  return true;
}

}  // namespace chord::fuzz
