#include "core/codec.h"

#include <array>
#include <utility>

#include "core/wire_schema.h"

namespace chord {
namespace {

template <std::size_t I>
Message load_alternative(wire::ReadArchive& archive) {
  std::variant_alternative_t<I, Message> message;
  archive(message);
  return Message(std::in_place_index<I>, std::move(message));
}

using Loader = Message (*)(wire::ReadArchive&);

template <std::size_t... I>
constexpr std::array<Loader, sizeof...(I)> make_loaders(std::index_sequence<I...>) {
  return {&load_alternative<I>...};
}

constexpr auto loaders = make_loaders(std::make_index_sequence<std::variant_size_v<Message>>());
static_assert(std::variant_size_v<Message> < 256, "the type is one byte on the wire");

void put_u32_big_endian(std::uint8_t* out, std::uint32_t value) {
  out[0] = static_cast<std::uint8_t>(value >> 24);
  out[1] = static_cast<std::uint8_t>(value >> 16);
  out[2] = static_cast<std::uint8_t>(value >> 8);
  out[3] = static_cast<std::uint8_t>(value);
}

std::uint32_t get_u32_big_endian(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) |
         std::uint32_t{in[3]};
}

}  // namespace

std::size_t encoded_payload_size(const Message& message) {
  wire::SizeArchive archive;
  archive(wire_little_endian_flag, static_cast<std::uint8_t>(message.index()));
  std::visit([&archive](const auto& alternative) { archive(alternative); }, message);
  return archive.bytes();
}

void encode_frame(const Message& message, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.resize(start + frame_header_bytes);
  out[start + frame_length_field_bytes] = wire_version;
  wire::WriteArchive archive(out);
  archive(wire_little_endian_flag, static_cast<std::uint8_t>(message.index()));
  std::visit([&archive](const auto& alternative) { archive(alternative); }, message);
  const std::size_t length = out.size() - start - frame_length_field_bytes;
  CHORD_ASSERT(length <= frame_bytes_max_min);  // every message we build fits any peer's limit
  put_u32_big_endian(out.data() + start, static_cast<std::uint32_t>(length));
}

Result<Message> decode_payload(std::span<const std::uint8_t> payload) {
  if (payload.size() < payload_bytes_min) return Error{Errc::undecodable, "payload too short"};
  if (payload[0] != wire_little_endian_flag) {
    return Error{Errc::undecodable, "payload not little-endian portable binary"};
  }
  const std::uint8_t type = payload[1];
  if (type >= loaders.size()) return Error{Errc::unknown_message, "unknown message type"};
  try {
    wire::ReadArchive archive(payload.data() + payload_bytes_min,
                              payload.size() - payload_bytes_min);
    Message message = loaders[type](archive);
    if (archive.bytes_left() != 0) {
      return Error{Errc::trailing_bytes, "payload has bytes after the message"};
    }
    return message;
  } catch (const wire::ShortPayload&) {
    return Error{Errc::undecodable, "payload ends inside a field"};
  } catch (const wire::DecodeFailure&) {
    return Error{Errc::undecodable, "field out of range"};
  } catch (const std::exception&) {
    return Error{Errc::undecodable, "payload rejected"};
  }
}

FrameDecoder::FrameDecoder(std::uint32_t frame_bytes_max) : frame_bytes_max_(frame_bytes_max) {
  CHORD_ASSERT(frame_bytes_max >= frame_bytes_max_min);
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (fatal_) return;
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > buffer_.size() / 2) {
    // Keep the buffer from growing by the consumed prefix; amortised O(1) per byte.
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Message>> FrameDecoder::next() {
  if (fatal_) return *fatal_;
  const std::size_t available = buffer_.size() - consumed_;
  if (available < frame_length_field_bytes) return std::optional<Message>();
  const std::uint8_t* frame = buffer_.data() + consumed_;
  const std::uint32_t length = get_u32_big_endian(frame);
  if (length > frame_bytes_max_) {
    fatal_ = Error{Errc::frame_too_long, "frame length over the limit"};
    buffer_.clear();
    buffer_.shrink_to_fit();
    consumed_ = 0;
    return *fatal_;
  }
  if (length < frame_length_min) {
    fatal_ = Error{Errc::frame_too_short, "frame length too small for a message"};
    buffer_.clear();
    buffer_.shrink_to_fit();
    consumed_ = 0;
    return *fatal_;
  }
  if (available < frame_length_field_bytes + length) return std::optional<Message>();
  consumed_ += frame_length_field_bytes + length;
  const std::uint8_t version = frame[frame_length_field_bytes];
  if (version != wire_version) return Error{Errc::bad_version, "unknown wire version"};
  auto message = decode_payload({frame + frame_header_bytes, length - 1u});
  if (!message) return message.error();
  return std::optional<Message>(std::move(message).value());
}

}  // namespace chord
