// The wire schema: how each message's fields are laid out in cereal's portable binary
// archive, and the bounded loaders that keep hostile bytes from allocating.
//
// Internal to the codec (core/codec.cc) and its tests and fuzz target; the rest of the code
// sees only core/codec.h. Rules that keep decoding safe:
//   - No bool, std::optional or std::string goes to cereal directly: cereal loads a bool
//     byte as is (a value 2 is undefined behaviour) and resizes strings to whatever size
//     prefix it reads. EnumField, OptionalField and BoundedString check each value instead.
//   - Every count read off the wire is checked against the field's maximum and against the
//     bytes left in the payload before anything is sized by it.
//   - Any failure throws DecodeFailure (ShortPayload on a short read); the codec catches
//     it, so no exception leaves core/codec.cc.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cereal/cereal.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "core/messages.h"

namespace chord::wire {

// Thrown by the bounded loaders; caught by the codec.
struct DecodeFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown when a payload ends inside a field; caught by the codec.
struct ShortPayload : DecodeFailure {
  ShortPayload() : DecodeFailure("payload ends inside a field") {}
};

template <typename T>
inline constexpr bool is_binary_data = false;
template <typename T>
inline constexpr bool is_binary_data<cereal::BinaryData<T>> = true;
template <typename T>
inline constexpr bool is_size_tag = false;
template <typename T>
inline constexpr bool is_size_tag<cereal::SizeTag<T>> = true;

// The archives below write and read cereal's portable binary layout (little-endian
// arithmetic values, sizes as 64-bit, binary data as is) straight from and into memory, and
// walk the same save/load/serialize functions cereal would. cereal's own archives go through
// a std::ostream or std::istream built per message: locale and stream set-up on every frame,
// which cost more than the message itself and touch pages an idle node need not. The bytes
// are the same: tests/core/codec_test.cc checks every message type against cereal's
// PortableBinaryOutputArchive and PortableBinaryInputArchive.

// What an archive does with anything that is not a value, binary data or a size: the
// wrapper's own save(), a save() for the type, or its serialize() (which only reads when
// saving). Shared by WriteArchive and SizeArchive, so both walk the schema alike.
template <typename Archive, typename T>
void save_fields(Archive& archive, const T& value) {
  if constexpr (requires { value.save(archive); }) {
    value.save(archive);
  } else if constexpr (requires { save(archive, value); }) {
    save(archive, value);
  } else {
    serialize(archive, const_cast<T&>(value));
  }
}

// Appends a payload to a byte vector.
class WriteArchive {
 public:
  explicit WriteArchive(std::vector<std::uint8_t>& out) : out_(out) {}
  template <typename... Ts>
  void operator()(const Ts&... values) {
    (add(values), ...);
  }

 private:
  template <typename T>
  void add(const T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      put(value);
    } else if constexpr (is_binary_data<T>) {
      const auto* bytes = static_cast<const std::uint8_t*>(value.data);
      out_.insert(out_.end(), bytes, bytes + value.size);
    } else if constexpr (is_size_tag<T>) {
      put(static_cast<cereal::size_type>(value.size));
    } else {
      save_fields(*this, value);
    }
  }
  template <typename T>
  void put(T value) {
    static_assert(!std::is_same_v<T, bool>, "no bool on the wire (wire_schema.h)");
    std::array<std::uint8_t, sizeof(T)> raw{};
    std::memcpy(raw.data(), &value, sizeof(T));
    if constexpr (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
    out_.insert(out_.end(), raw.begin(), raw.end());
  }

  std::vector<std::uint8_t>& out_;
};

// Reads a payload in place, and knows how many bytes are left, so loaders can refuse a count
// before sizing anything by it. A read past the end throws ShortPayload.
class ReadArchive {
 public:
  ReadArchive(const std::uint8_t* data, std::size_t size) : next_(data), end_(data + size) {}
  template <typename... Ts>
  void operator()(Ts&&... values) {
    (take(values), ...);
  }
  std::size_t bytes_left() const { return static_cast<std::size_t>(end_ - next_); }

 private:
  template <typename T>
  void take(T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      value = get<T>();
    } else if constexpr (is_binary_data<T>) {
      copy(value.data, static_cast<std::size_t>(value.size));
    } else if constexpr (is_size_tag<T>) {
      value.size = get<std::remove_reference_t<decltype(value.size)>>();
    } else if constexpr (requires { value.load(*this); }) {
      value.load(*this);
    } else if constexpr (requires { load(*this, value); }) {
      load(*this, value);
    } else {
      serialize(*this, value);
    }
  }
  template <typename T>
  T get() {
    static_assert(!std::is_same_v<T, bool>, "no bool on the wire (wire_schema.h)");
    std::array<std::uint8_t, sizeof(T)> raw{};
    copy(raw.data(), sizeof(T));
    if constexpr (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
    T value;
    std::memcpy(&value, raw.data(), sizeof(T));
    return value;
  }
  void copy(void* to, std::size_t size) {
    if (size > bytes_left()) throw ShortPayload();
    std::memcpy(to, next_, size);
    next_ += size;
  }

  const std::uint8_t* next_;
  const std::uint8_t* end_;
};

// Bytes left in the payload: known to ReadArchive; unbounded for other archives (cereal's
// own, which the compatibility test decodes with).
template <typename Archive>
std::size_t bytes_left(Archive& archive) {
  if constexpr (requires { archive.bytes_left(); }) {
    return archive.bytes_left();
  } else {
    return SIZE_MAX;
  }
}

// Reads a count and checks it against `max` and the bytes left (each item takes at least
// `item_bytes_min` bytes), before anything is sized by it.
template <typename Archive>
std::size_t load_count(Archive& archive, std::size_t max, std::size_t item_bytes_min) {
  cereal::size_type count = 0;
  archive(cereal::make_size_tag(count));
  if (count > max) throw DecodeFailure("count over the field's maximum");
  if (count > bytes_left(archive) / item_bytes_min) throw DecodeFailure("count over bytes left");
  return static_cast<std::size_t>(count);
}

template <typename Archive>
void save_count(Archive& archive, std::size_t count) {
  cereal::size_type value = count;
  archive(cereal::make_size_tag(value));
}

// ---- Field wrappers ----

template <typename E>
inline constexpr std::uint8_t enum_max = 0;  // specialised per enum below
template <>
inline constexpr std::uint8_t enum_max<AddressFamily> = 6;
template <>
inline constexpr std::uint8_t enum_max<LookupStatus> = 2;
template <>
inline constexpr std::uint8_t enum_max<StateStatus> = 2;
template <>
inline constexpr std::uint8_t enum_max<DhtStatus> = 9;
template <>
inline constexpr std::uint8_t enum_max<TransferKind> = 1;
template <>
inline constexpr std::uint8_t enum_max<CloseReason> = 2;
template <>
inline constexpr std::uint8_t enum_max<ChatStatus> = 4;

template <typename E>
struct EnumField {
  static_assert(std::is_same_v<std::underlying_type_t<E>, std::uint8_t>);
  static_assert(enum_max<E> > 0, "declare enum_max for this enum");
  E& value;

  template <typename Archive>
  void save(Archive& archive) const {
    archive(static_cast<std::uint8_t>(value));
  }
  template <typename Archive>
  void load(Archive& archive) {
    std::uint8_t raw = 0;
    archive(raw);
    if (raw > enum_max<E>) throw DecodeFailure("enum value out of range");
    value = static_cast<E>(raw);
  }
};
template <typename E>
EnumField<E> enum_field(E& value) {
  return {value};
}

template <typename T>
struct OptionalField {
  std::optional<T>& value;

  template <typename Archive>
  void save(Archive& archive) const {
    archive(static_cast<std::uint8_t>(value.has_value() ? 1 : 0));
    if (value) archive(*value);
  }
  template <typename Archive>
  void load(Archive& archive) {
    std::uint8_t present = 0;
    archive(present);
    if (present > 1) throw DecodeFailure("optional flag not 0 or 1");
    if (present == 0) {
      value.reset();
      return;
    }
    value.emplace();
    archive(*value);
  }
};
template <typename T>
OptionalField<T> optional_field(std::optional<T>& value) {
  return {value};
}

template <std::size_t Max>
struct BoundedString {
  std::string& value;

  template <typename Archive>
  void save(Archive& archive) const {
    CHORD_ASSERT(value.size() <= Max);
    save_count(archive, value.size());
    archive(cereal::binary_data(value.data(), value.size()));
  }
  template <typename Archive>
  void load(Archive& archive) {
    const std::size_t size = load_count(archive, Max, 1);
    value.resize(size);
    archive(cereal::binary_data(value.data(), size));
  }
};
template <std::size_t Max>
BoundedString<Max> bounded_string(std::string& value) {
  return {value};
}

}  // namespace chord::wire

// The save, load and serialize functions of our types live in namespace chord, where cereal's
// unqualified calls find them by argument-dependent lookup.
namespace chord {

using wire::bounded_string;
using wire::DecodeFailure;
using wire::enum_field;
using wire::optional_field;

// ---- Types ----

template <typename Archive>
void save(Archive& archive, const NodeId& id) {
  archive(cereal::binary_data(id.bytes().data(), id.bytes().size()));
}
template <typename Archive>
void load(Archive& archive, NodeId& id) {
  NodeId::Bytes bytes{};
  archive(cereal::binary_data(bytes.data(), bytes.size()));
  id = NodeId(bytes);
}

inline std::size_t address_bytes(AddressFamily family) {
  return family == AddressFamily::ipv4 ? 4 : 16;
}

template <typename Archive>
void save(Archive& archive, const Endpoint& endpoint) {
  CHORD_ASSERT(endpoint.family != AddressFamily::none);
  archive(static_cast<std::uint8_t>(endpoint.family));
  archive(cereal::binary_data(endpoint.address.data(), address_bytes(endpoint.family)));
  archive(endpoint.port);
}
template <typename Archive>
void load(Archive& archive, Endpoint& endpoint) {
  std::uint8_t family = 0;
  archive(family);
  if (family != static_cast<std::uint8_t>(AddressFamily::ipv4) &&
      family != static_cast<std::uint8_t>(AddressFamily::ipv6)) {
    throw DecodeFailure("address family not 4 or 6");
  }
  endpoint = Endpoint{};
  endpoint.family = static_cast<AddressFamily>(family);
  archive(cereal::binary_data(endpoint.address.data(), address_bytes(endpoint.family)));
  archive(endpoint.port);
}

template <typename Archive, typename T, std::size_t N>
void save(Archive& archive, const InlineVector<T, N>& items) {
  wire::save_count(archive, items.size());
  for (const T& item : items)
    archive(item);
}
template <typename Archive, typename T, std::size_t N>
void load(Archive& archive, InlineVector<T, N>& items) {
  const std::size_t count = wire::load_count(archive, N, 1);
  items.resize(count);
  for (T& item : items)
    archive(item);
}

template <typename Archive>
void serialize(Archive& archive, Peer& peer) {
  archive(peer.id, peer.endpoint);
}

template <typename Archive>
void serialize(Archive& archive, Record& record) {
  archive(record.key, record.owner, record.version, record.lease_ms,
          bounded_string<record_value_bytes_max>(record.value));
}

// ---- Messages ----

template <typename Archive>
void serialize(Archive& archive, Hello& m) {
  archive(m.advertised);
}
template <typename Archive>
void serialize(Archive& archive, FindSuccessorRequest& m) {
  archive(m.request_id, m.key, m.hop);
}
template <typename Archive>
void serialize(Archive& archive, FindSuccessorReply& m) {
  archive(m.request_id, m.responder_id, m.hop, enum_field(m.status), m.peers);
}
template <typename Archive>
void serialize(Archive& archive, GetStateRequest& m) {
  archive(m.request_id);
}
template <typename Archive>
void serialize(Archive& archive, GetStateReply& m) {
  archive(m.request_id, enum_field(m.status), optional_field(m.predecessor), m.successors);
}
template <typename Archive>
void serialize(Archive& archive, Notify& m) {
  archive(m.sender_id);
}
template <typename Archive>
void serialize(Archive& archive, Nudge& m) {
  archive(m.sender_id);
}
template <typename Archive>
void serialize(Archive& archive, Ping& m) {
  archive(m.request_id);
}
template <typename Archive>
void serialize(Archive& archive, Pong& m) {
  archive(m.request_id);
}
template <typename Archive>
void serialize(Archive& archive, Leave& m) {
  archive(m.sender_id, optional_field(m.predecessor), m.successors);
}
template <typename Archive>
void serialize(Archive& archive, DhtPut& m) {
  archive(m.request_id, m.record);
}
template <typename Archive>
void serialize(Archive& archive, DhtPutReply& m) {
  archive(m.request_id, enum_field(m.status));
}
template <typename Archive>
void serialize(Archive& archive, DhtGet& m) {
  archive(m.request_id, m.key);
}
template <typename Archive>
void serialize(Archive& archive, DhtGetReply& m) {
  archive(m.request_id, enum_field(m.status), m.lease_ms,
          bounded_string<record_value_bytes_max>(m.value));
}
template <typename Archive>
void serialize(Archive& archive, DhtRemove& m) {
  archive(m.request_id, m.key, m.owner);
}
template <typename Archive>
void serialize(Archive& archive, DhtRemoveReply& m) {
  archive(m.request_id, enum_field(m.status));
}
template <typename Archive>
void serialize(Archive& archive, RecordTransfer& m) {
  archive(m.request_id, enum_field(m.kind), m.records);
}
template <typename Archive>
void serialize(Archive& archive, RecordTransferAck& m) {
  archive(m.request_id, enum_field(m.status));
}
template <typename Archive>
void serialize(Archive& archive, ChatOpen& m) {
  archive(m.chat_id, bounded_string<user_handle_bytes_max>(m.from_user),
          bounded_string<user_handle_bytes_max>(m.to_user),
          cereal::binary_data(m.from_key.data(), m.from_key.size()),
          cereal::binary_data(m.to_key.data(), m.to_key.size()), m.sent_ms,
          cereal::binary_data(m.signature.data(), m.signature.size()));
}
template <typename Archive>
void serialize(Archive& archive, ChatAccept& m) {
  archive(m.chat_id, cereal::binary_data(m.signature.data(), m.signature.size()));
}
template <typename Archive>
void serialize(Archive& archive, ChatText& m) {
  archive(m.chat_id, m.seq, bounded_string<chat_text_bytes_max>(m.text));
}
template <typename Archive>
void serialize(Archive& archive, ChatClose& m) {
  archive(m.chat_id, m.seq, enum_field(m.reason));
}
template <typename Archive>
void serialize(Archive& archive, ChatAck& m) {
  archive(m.chat_id, m.seq, enum_field(m.status));
}

}  // namespace chord

namespace chord::wire {

// ---- Size without encoding ----

// Walks the same save/serialize functions as the encoder but only adds up the bytes the
// portable binary archive would write. Equal to the real size by construction; a property
// test (tests/core/codec_test.cc) checks it for every message type anyway.
class SizeArchive {
 public:
  template <typename... Ts>
  void operator()(const Ts&... values) {
    (add(values), ...);
  }
  std::size_t bytes() const { return bytes_; }

 private:
  template <typename T>
  void add(const T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      bytes_ += sizeof(T);
    } else if constexpr (is_binary_data<T>) {
      bytes_ += static_cast<std::size_t>(value.size);
    } else if constexpr (is_size_tag<T>) {
      bytes_ += sizeof(std::remove_reference_t<decltype(value.size)>);
    } else {
      save_fields(*this, value);
    }
  }

  std::size_t bytes_ = 0;
};

}  // namespace chord::wire
