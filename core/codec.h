// Encoding messages into frames and decoding frames from a byte stream.
//
// Decoding is for bytes from the network: it never throws, never aborts and never allocates
// more than the frame limit, whatever the bytes claim. Every failure is an Error value with
// a distinct code (core/result.h). Encoding is for our own messages: a message over a field's
// limit is a programmer error and fails an assertion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/frame_format.h"
#include "core/messages.h"
#include "core/result.h"

namespace chord {

// Bytes of the payload (cereal archive) of `message`, computed without encoding it.
std::size_t encoded_payload_size(const Message& message);
// Bytes of the whole frame: header plus payload. What the message costs on the wire.
inline std::size_t encoded_frame_size(const Message& message) {
  return frame_header_bytes + encoded_payload_size(message);
}

// Appends one frame holding `message` to `out`.
// REQUIRES: every string and list in `message` within its limit (core/limits.h).
void encode_frame(const Message& message, std::vector<std::uint8_t>& out);

// Decodes one payload (the bytes after the version byte).
// Errors: undecodable, trailing_bytes, unknown_message.
Result<Message> decode_payload(std::span<const std::uint8_t> payload);

// Splits a byte stream into frames and decodes them.
//
// Feed it bytes as they arrive, in pieces of any size; then call next() until it reports
// that it needs more. Memory held: the bytes fed and not yet consumed, which is at most one
// partial frame plus the last piece fed, and a frame's payload is never buffered before its
// length has been checked against the limit.
//
// Errors from next(): frame_too_long and frame_too_short are fatal (the stream has lost its
// framing; every later call returns the same error and feed() drops its input).
// bad_version, undecodable, trailing_bytes and unknown_message consume that one frame: the
// next call goes on with the frame after it. What to do with such a peer (drop it) is the
// caller's choice.
class FrameDecoder {
 public:
  // REQUIRES: frame_bytes_max >= frame_bytes_max_min.
  explicit FrameDecoder(std::uint32_t frame_bytes_max = frame_bytes_max_default);

  void feed(std::span<const std::uint8_t> bytes);

  // A whole message, nullopt if the buffered bytes hold no whole frame yet, or an Error.
  Result<std::optional<Message>> next();

  // Bytes fed and not yet consumed.
  std::size_t buffered_bytes() const { return buffer_.size() - consumed_; }
  bool failed() const { return fatal_.has_value(); }

 private:
  std::uint32_t frame_bytes_max_;
  std::vector<std::uint8_t> buffer_;
  std::size_t consumed_ = 0;
  std::optional<Error> fatal_;
};

}  // namespace chord
