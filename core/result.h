// Result<T>: the value of an operation that can fail, or the Error saying why.
//
// Errors are values from a closed set (Errc); exceptions never cross a module boundary.
// The names follow C++23's std::expected (has_value, operator bool, value, error) so that
// moving to std::expected later is a rename. Error::detail is static text, never allocated.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>

#include "core/assert.h"

namespace chord {

enum class Errc : std::uint8_t {
  // Frame decoder (core/codec.h).
  frame_too_long,   // length field over the configured maximum; the stream is unusable
  frame_too_short,  // length field too small to hold the version byte and a payload
  bad_version,      // version byte not one this build speaks
  undecodable,      // payload ended early or held a value out of range
  trailing_bytes,   // payload decoded but left bytes over
  unknown_message,  // message type index not in the Message variant
  // Parsing of text forms (hex identifiers, endpoints).
  bad_hex,
  bad_endpoint,
  // Runtime and protocol.
  timeout,
  queue_full,
  not_member,  // the node is not in a ring (joining, or left)
};

// A short stable name for each code, for logs and test output.
std::string_view errc_name(Errc code);

struct Error {
  Errc code;
  const char* detail;  // static text; never owned, never null
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit on purpose, like expected
  Result(Error error) : state_(error) {}         // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  // REQUIRES: has_value().
  T& value() & {
    CHORD_ASSERT(has_value());
    return std::get<0>(state_);
  }
  const T& value() const& {
    CHORD_ASSERT(has_value());
    return std::get<0>(state_);
  }
  T&& value() && {
    CHORD_ASSERT(has_value());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !has_value().
  const Error& error() const {
    CHORD_ASSERT(!has_value());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(error), failed_(true) {}  // NOLINT

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  const Error& error() const {
    CHORD_ASSERT(failed_);
    return error_;
  }

 private:
  Error error_{Errc::undecodable, ""};
  bool failed_ = false;
};

}  // namespace chord
