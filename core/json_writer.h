// JsonWriter: a minimal streaming JSON writer for chordsim's reports.
//
// Output is deterministic: keys appear in the order they are written, numbers are printed
// with a fixed format (integers exactly, reals with %.10g, non-finite reals as null), and
// strings are escaped per RFC 8259 (control characters as \u00XX). Nesting is tracked so
// commas and indentation come out right; misuse (a value where a key is due) is asserted.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/assert.h"

namespace chord {

class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = true) : pretty_(pretty) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view name) {
    CHORD_ASSERT(!stack_.empty());
    CHORD_ASSERT(stack_.back().is_object);
    separate();
    write_string(name);
    out_ += pretty_ ? ": " : ":";
    after_key_ = true;
    return *this;
  }

  JsonWriter& value(std::string_view text) {
    before_value();
    write_string(text);
    return *this;
  }
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(bool flag) {
    before_value();
    out_ += flag ? "true" : "false";
    return *this;
  }
  JsonWriter& value(std::uint64_t number) {
    before_value();
    out_ += std::to_string(number);
    return *this;
  }
  JsonWriter& value(std::int64_t number) {
    before_value();
    out_ += std::to_string(number);
    return *this;
  }
  JsonWriter& value(std::uint32_t number) { return value(std::uint64_t{number}); }
  JsonWriter& value(int number) { return value(std::int64_t{number}); }
  JsonWriter& value(double number) {
    before_value();
    if (!std::isfinite(number)) {
      out_ += "null";
      return *this;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.10g", number);
    out_ += buffer;
    return *this;
  }
  JsonWriter& null() {
    before_value();
    out_ += "null";
    return *this;
  }
  // Inserts already-serialized JSON (a nested document) as one value.
  JsonWriter& raw(std::string_view json) {
    before_value();
    out_ += json;
    return *this;
  }

  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  // REQUIRES: every object and array closed.
  const std::string& str() const {
    CHORD_ASSERT(stack_.empty());
    return out_;
  }

 private:
  struct Level {
    bool is_object = false;
    bool empty = true;
  };

  JsonWriter& open(char bracket) {
    before_value();
    out_ += bracket;
    stack_.push_back({bracket == '{', true});
    return *this;
  }
  JsonWriter& close(char bracket) {
    CHORD_ASSERT(!stack_.empty());
    CHORD_ASSERT(stack_.back().is_object == (bracket == '}'));
    CHORD_ASSERT(!after_key_);
    const bool empty = stack_.back().empty;
    stack_.pop_back();
    if (!empty) newline();
    out_ += bracket;
    return *this;
  }
  void before_value() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (stack_.empty()) return;  // the top-level value
    CHORD_ASSERT(!stack_.back().is_object);
    separate();
  }
  void separate() {
    if (!stack_.back().empty) out_ += ',';
    stack_.back().empty = false;
    newline();
  }
  void newline() {
    if (!pretty_) return;
    out_ += '\n';
    out_.append(2 * stack_.size(), ' ');
  }
  void write_string(std::string_view text) {
    out_ += '"';
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += c;
      } else if (byte < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", byte);
        out_ += buffer;
      } else {
        out_ += c;
      }
    }
    out_ += '"';
  }

  bool pretty_;
  bool after_key_ = false;
  std::vector<Level> stack_;
  std::string out_;
};

}  // namespace chord
