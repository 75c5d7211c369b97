// Random but reproducible instances of every message type, for round-trip and size tests,
// the fuzz seed corpus and the codec benchmark. Lists and strings are drawn up to their
// limits, so the largest encodings are exercised too.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/messages.h"

namespace chord::testing {

// splitmix64: tiny, seedable, the same on every platform.
class SampleRandom {
 public:
  explicit SampleRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound], bound small.
  std::size_t upto(std::size_t bound) { return static_cast<std::size_t>(next() % (bound + 1)); }
  template <typename T>
  T any() {
    return static_cast<T>(next());
  }

 private:
  std::uint64_t state_;
};

inline NodeId sample_id(SampleRandom& random) {
  NodeId::Bytes bytes{};
  for (auto& b : bytes)
    b = random.any<std::uint8_t>();
  return NodeId(bytes);
}

inline Endpoint sample_endpoint(SampleRandom& random) {
  std::array<std::uint8_t, 16> bytes{};
  for (auto& b : bytes)
    b = random.any<std::uint8_t>();
  if (random.upto(1) == 0)
    return Endpoint::ipv4({bytes[0], bytes[1], bytes[2], bytes[3]}, random.any<std::uint16_t>());
  return Endpoint::ipv6(bytes, random.any<std::uint16_t>());
}

inline Peer sample_peer(SampleRandom& random) {
  return {sample_id(random), sample_endpoint(random)};
}

// A string of `size` bytes, any byte values (the wire carries bytes, not text).
inline std::string sample_bytes(SampleRandom& random, std::size_t size) {
  std::string text(size, '\0');
  for (auto& c : text)
    c = static_cast<char>(random.any<std::uint8_t>());
  return text;
}

// Sizes: mostly small, sometimes the maximum, sometimes empty.
inline std::size_t sample_size(SampleRandom& random, std::size_t max) {
  switch (random.upto(3)) {
    case 0:
      return 0;
    case 1:
      return max;
    default:
      return random.upto(max);
  }
}

template <typename T, std::size_t N>
void fill(SampleRandom& random, InlineVector<T, N>& items, T (*make)(SampleRandom&)) {
  items.clear();
  const std::size_t count = sample_size(random, N);
  for (std::size_t i = 0; i < count; ++i)
    items.push_back(make(random));
}

inline Record sample_record(SampleRandom& random) {
  Record record;
  record.key = sample_id(random);
  record.owner = random.next();
  record.version = random.next();
  record.lease_ms = random.any<std::uint32_t>();
  record.value = sample_bytes(random, sample_size(random, record_value_bytes_max));
  return record;
}

template <typename E>
E sample_enum(SampleRandom& random, std::uint8_t max) {
  return static_cast<E>(random.upto(max));
}

inline std::optional<Peer> sample_optional_peer(SampleRandom& random) {
  if (random.upto(2) == 0) return std::nullopt;
  return sample_peer(random);
}

// One instance of alternative `index` of Message.
inline Message sample_message(std::size_t index, SampleRandom& r) {
  switch (index) {
    case 0:
      return Hello{sample_endpoint(r)};
    case 1:
      return FindSuccessorRequest{r.next(), sample_id(r), r.any<std::uint8_t>()};
    case 2: {
      FindSuccessorReply m{
          r.next(), sample_id(r), r.any<std::uint8_t>(), sample_enum<LookupStatus>(r, 2), {}};
      fill(r, m.peers, sample_peer);
      return m;
    }
    case 3:
      return GetStateRequest{r.next()};
    case 4: {
      GetStateReply m{r.next(), sample_enum<StateStatus>(r, 2), sample_optional_peer(r), {}};
      fill(r, m.successors, sample_peer);
      return m;
    }
    case 5:
      return Notify{sample_id(r)};
    case 6:
      return Ping{r.next()};
    case 7:
      return Pong{r.next()};
    case 8: {
      Leave m{sample_id(r), sample_optional_peer(r), {}};
      fill(r, m.successors, sample_peer);
      return m;
    }
    case 9:
      return DhtPut{r.next(), sample_record(r)};
    case 10:
      return DhtPutReply{r.next(), sample_enum<DhtStatus>(r, 9)};
    case 11:
      return DhtGet{r.next(), sample_id(r)};
    case 12:
      return DhtGetReply{r.next(), sample_enum<DhtStatus>(r, 9), r.any<std::uint32_t>(),
                         sample_bytes(r, sample_size(r, record_value_bytes_max))};
    case 13:
      return DhtRemove{r.next(), sample_id(r), r.next()};
    case 14:
      return DhtRemoveReply{r.next(), sample_enum<DhtStatus>(r, 9)};
    case 15: {
      RecordTransfer m{r.next(), sample_enum<TransferKind>(r, 1), {}};
      fill(r, m.records, sample_record);
      return m;
    }
    case 16:
      return RecordTransferAck{r.next(), sample_enum<DhtStatus>(r, 9)};
    case 17: {
      ChatOpen m;
      m.chat_id = r.next();
      m.from_user = sample_bytes(r, sample_size(r, user_handle_bytes_max));
      m.to_user = sample_bytes(r, sample_size(r, user_handle_bytes_max));
      for (auto& b : m.from_key)
        b = r.any<std::uint8_t>();
      for (auto& b : m.to_key)
        b = r.any<std::uint8_t>();
      m.sent_ms = r.any<std::int64_t>();
      for (auto& b : m.signature)
        b = r.any<std::uint8_t>();
      return m;
    }
    case 18:
      return ChatText{r.next(), r.next(), sample_bytes(r, sample_size(r, chat_text_bytes_max))};
    case 19:
      return ChatClose{r.next(), r.next(), sample_enum<CloseReason>(r, 2)};
    case 20:
      return ChatAck{r.next(), r.next(), sample_enum<ChatStatus>(r, 4)};
    case 21:
      return Nudge{sample_id(r)};
    case 22: {
      ChatAccept m{r.next(), {}};
      for (auto& b : m.signature)
        b = r.any<std::uint8_t>();
      return m;
    }
    default:
      break;
  }
  return Ping{0};
}

inline constexpr std::size_t message_types = std::variant_size_v<Message>;
static_assert(message_types == 23, "a new message type needs a case in sample_message");

}  // namespace chord::testing
