// InlineVector<T, N>: a vector of at most N elements stored inline (no heap).
//
// Used wherever the protocol bounds a list (successor lists, lookup candidates, record
// chunks), so that a message or a node's state has a fixed size and a decoder can never be
// made to allocate by a count it reads off the wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <type_traits>

#include "core/assert.h"

namespace chord {

template <typename T, std::size_t N>
class InlineVector {
  static_assert(N > 0 && N < 256, "the count is stored in one byte");

 public:
  using value_type = T;
  static constexpr std::size_t capacity = N;

  // Only the elements in use are constructed, copied and destroyed: a successor list of 8
  // in a 32-entry list copies 8 peers, not 32 (messages are moved around a lot in the
  // simulator).
  InlineVector() {}
  InlineVector(const InlineVector& other) { append(other); }
  InlineVector(InlineVector&& other) noexcept { append(other); }
  InlineVector& operator=(const InlineVector& other) {
    if (this != &other) {
      clear();
      append(other);
    }
    return *this;
  }
  InlineVector& operator=(InlineVector&& other) noexcept { return *this = other; }
  ~InlineVector() { clear(); }

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == N; }

  // REQUIRES: !full().
  void push_back(const T& value) {
    CHORD_ASSERT(count_ < N);
    new (&items_[count_]) T(value);
    ++count_;
  }
  // REQUIRES: !empty().
  void pop_back() {
    CHORD_ASSERT(count_ > 0);
    --count_;
    items_[count_].~T();
  }
  // REQUIRES: count <= N. New elements are value-initialised.
  void resize(std::size_t count) {
    CHORD_ASSERT(count <= N);
    while (count_ < count) {
      new (&items_[count_]) T{};
      ++count_;
    }
    while (count_ > count)
      pop_back();
  }
  void clear() { resize(0); }

  // REQUIRES: index < size().
  T& operator[](std::size_t index) {
    CHORD_ASSERT(index < count_);
    return items_[index];
  }
  const T& operator[](std::size_t index) const {
    CHORD_ASSERT(index < count_);
    return items_[index];
  }
  T& front() { return (*this)[0]; }
  const T& front() const { return (*this)[0]; }
  T& back() { return (*this)[count_ - 1u]; }
  const T& back() const { return (*this)[count_ - 1u]; }

  T* begin() { return items_; }
  T* end() { return items_ + count_; }
  const T* begin() const { return items_; }
  const T* end() const { return items_ + count_; }
  std::span<const T> span() const { return {items_, count_}; }

  friend bool operator==(const InlineVector& a, const InlineVector& b) {
    if (a.count_ != b.count_) return false;
    for (std::size_t i = 0; i < a.count_; ++i) {
      if (!(a.items_[i] == b.items_[i])) return false;
    }
    return true;
  }

 private:
  void append(const InlineVector& other) {
    for (std::size_t i = 0; i < other.count_; ++i)
      push_back(other.items_[i]);
  }

  std::uint8_t count_ = 0;
  union {  // raw room for N elements: only [0, count_) are alive
    T items_[N];
  };
};

}  // namespace chord
