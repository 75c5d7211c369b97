// SmallVector<T>: the parts of std::vector a node's state uses, in 16 bytes (a pointer and
// 32-bit size and capacity) instead of 24.
//
// A simulated node holds nine of these (its lists, pending RPCs and lookups, contacts), so
// at 10^6 nodes the 8 bytes each are 72 MB of a 2 KiB-a-node budget (issue 8). At most
// 2^32 - 1 elements. Iterators are pointers; any change in size may invalidate them, as
// with std::vector. Unlike std::vector, room is only given back by release() or
// shrink_to_fit().
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "core/assert.h"

namespace chord {

template <typename T>
class SmallVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;
  using size_type = std::size_t;

  SmallVector() = default;
  SmallVector(const SmallVector& other) { assign(other.begin(), other.end()); }
  SmallVector(SmallVector&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  SmallVector& operator=(const SmallVector& other) {
    if (this != &other) assign(other.begin(), other.end());
    return *this;
  }
  SmallVector& operator=(SmallVector&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  ~SmallVector() { release(); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t capacity() const { return capacity_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& front() { return data_[0]; }
  const T& front() const { return data_[0]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void reserve(std::size_t count) {
    if (count > capacity_) reallocate(count);
  }
  void shrink_to_fit() {
    if (size_ == 0) {
      release();
    } else if (size_ < capacity_) {
      reallocate(size_);
    }
  }
  // Destroys the elements and gives back the room.
  void release() {
    clear();
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
    data_ = nullptr;
    capacity_ = 0;
  }

  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) {
      // The value first: an argument may be one of our elements, which growing moves.
      T value(std::forward<Args>(args)...);
      reallocate(grown());
      std::construct_at(data_ + size_, std::move(value));
    } else {
      std::construct_at(data_ + size_, std::forward<Args>(args)...);
    }
    return data_[size_++];
  }
  void push_back(const T& value) { emplace_back(value); }
  void push_back(T&& value) { emplace_back(std::move(value)); }
  void pop_back() { std::destroy_at(data_ + --size_); }

  // Inserts `value` before `position`; returns where it went.
  T* insert(const T* position, T value) {
    const auto index = static_cast<std::size_t>(position - data_);
    CHORD_ASSERT(index <= size_);
    emplace_back(std::move(value));
    std::rotate(data_ + index, data_ + size_ - 1, data_ + size_);
    return data_ + index;
  }
  T* erase(const T* position) { return erase(position, position + 1); }
  T* erase(const T* first, const T* last) {
    const auto from = static_cast<std::size_t>(first - data_);
    const auto to = static_cast<std::size_t>(last - data_);
    CHORD_ASSERT(from <= to && to <= size_);
    if (from == to) return data_ + from;  // (moving each element onto itself would empty it)
    std::move(data_ + to, data_ + size_, data_ + from);
    truncate(size_ - (to - from));
    return data_ + from;
  }
  void clear() { truncate(0); }
  void resize(std::size_t count) {
    if (count <= size_) {
      truncate(count);
      return;
    }
    reserve(count);
    while (size_ < count)
      std::construct_at(data_ + size_++);
  }
  template <typename Iterator>
  void assign(Iterator first, Iterator last) {
    clear();
    reserve(static_cast<std::size_t>(std::distance(first, last)));
    for (; first != last; ++first)
      std::construct_at(data_ + size_++, *first);
  }

  template <typename Predicate>
  friend std::size_t erase_if(SmallVector& vector, Predicate remove) {
    T* kept_end = std::remove_if(vector.begin(), vector.end(), remove);
    const auto removed = static_cast<std::size_t>(vector.end() - kept_end);
    vector.truncate(vector.size_ - removed);
    return removed;
  }

 private:
  std::size_t grown() const {
    CHORD_ASSERT(capacity_ < UINT32_MAX);
    return capacity_ == 0 ? 1 : std::min<std::size_t>(std::size_t{capacity_} * 2, UINT32_MAX);
  }
  void truncate(std::size_t count) {
    std::destroy(data_ + count, data_ + size_);
    size_ = static_cast<std::uint32_t>(count);
  }
  void reallocate(std::size_t capacity) {
    CHORD_ASSERT(capacity >= size_ && capacity <= UINT32_MAX);
    T* fresh = std::allocator<T>().allocate(capacity);
    std::uninitialized_move(data_, data_ + size_, fresh);
    std::destroy(data_, data_ + size_);
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
    data_ = fresh;
    capacity_ = static_cast<std::uint32_t>(capacity);
  }

  T* data_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
};

}  // namespace chord
