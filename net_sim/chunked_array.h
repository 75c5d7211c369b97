// An array that grows in fixed-size chunks: elements never move (each node holds a
// reference to its runtime), and element i is at chunks[i >> chunk_bits] + (i & mask),
// found by arithmetic and a small table of chunk addresses (which stays in cache). A
// std::deque of large elements allocates one per element and finds it through a map of
// one pointer each: at 10^6 nodes, a cache miss before every node touched, and no way to
// know a node's address (to prefetch it) without one.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace chord::sim {

template <typename T, std::size_t chunk_bits>
class ChunkedArray {
 public:
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;

  ChunkedArray() = default;
  ChunkedArray(const ChunkedArray&) = delete;
  ChunkedArray& operator=(const ChunkedArray&) = delete;
  ~ChunkedArray() {
    for (std::size_t i = size_; i > 0; --i)
      std::destroy_at(&(*this)[i - 1]);
  }

  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return *std::launder(reinterpret_cast<T*>(storage(i))); }
  const T& operator[](std::size_t i) const {
    return *std::launder(reinterpret_cast<const T*>(storage(i)));
  }
  // Where element i is: for prefetching. REQUIRES: i < size().
  const void* address(std::size_t i) const { return storage(i); }

  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if ((size_ & (chunk_size - 1)) == 0 && size_ >> chunk_bits == chunks_.size()) {
      // Uninitialized: pages of the chunk not yet used cost no memory.
      chunks_.push_back(std::make_unique_for_overwrite<Storage[]>(chunk_size));
    }
    T* made = std::construct_at(reinterpret_cast<T*>(storage(size_)), std::forward<Args>(args)...);
    ++size_;
    return *made;
  }

 private:
  struct alignas(T) Storage {
    std::byte bytes[sizeof(T)];
  };
  std::byte* storage(std::size_t i) const {
    return chunks_[i >> chunk_bits][i & (chunk_size - 1)].bytes;
  }

  std::vector<std::unique_ptr<Storage[]>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace chord::sim
