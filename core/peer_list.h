// PeerList: a node's list of peers (successors, fingers, remembered peers) in 28 bytes a
// peer rather than 40.
//
// A Peer is a 20-byte id and a 20-byte endpoint, sized for IPv6. Most endpoints are IPv4
// (every simulated one is), whose address and port fit in 7 bytes, so an entry keeps the id,
// an IPv4 address, the port and the family, and an IPv6 address goes to a side table of
// the list's own (made only when one is stored). At 10^6 simulated nodes of about 37 stored
// peers each, this is 0.4 KiB a node of the 2 KiB budget (issue 8). Entries read back as
// Peer values, equal to what was stored.
//
// The side table is bounded: a removed IPv6 entry leaves its address behind until the
// table holds more than twice the IPv6 entries in use (plus a few), when it is rebuilt.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <vector>

#include "core/messages.h"
#include "core/small_vector.h"

namespace chord {

class PeerList {
 public:
  // One entry. For IPv6 (family with the top bit set), `address` holds the index of the
  // address in the side table.
  struct Entry {
    NodeId id;
    std::array<std::uint8_t, 4> address{};
    std::uint16_t port = 0;
    AddressFamily family = AddressFamily::none;
  };
  static_assert(sizeof(Entry) == 28);

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Peer;
    using difference_type = std::ptrdiff_t;
    using reference = Peer;
    using pointer = void;
    Iterator() = default;
    Iterator(const PeerList* list, std::size_t index) : list_(list), index_(index) {}
    Peer operator*() const { return (*list_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++index_;
      return before;
    }
    std::size_t index() const { return index_; }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }

   private:
    const PeerList* list_ = nullptr;
    std::size_t index_ = 0;
  };

  PeerList() = default;
  PeerList(const PeerList& other);
  PeerList& operator=(const PeerList& other);
  PeerList(PeerList&&) noexcept = default;
  PeerList& operator=(PeerList&&) noexcept = default;

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::size_t capacity() const { return entries_.capacity(); }
  Peer operator[](std::size_t index) const {
    const Entry& entry = entries_[index];
    Peer peer;
    peer.id = entry.id;
    peer.endpoint.port = entry.port;
    peer.endpoint.family = entry.family;
    if (entry.family == AddressFamily::ipv4 || entry.family == AddressFamily::none) {
      std::copy(entry.address.begin(), entry.address.end(), peer.endpoint.address.begin());
      return peer;
    }
    return unpack_side(entry, peer);
  }
  const NodeId& id(std::size_t index) const { return entries_[index].id; }
  Peer front() const { return (*this)[0]; }
  Peer back() const { return (*this)[entries_.size() - 1]; }
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, entries_.size()}; }
  std::vector<Peer> to_vector() const { return {begin(), end()}; }
  // The entries themselves, for algorithms that only read ids.
  std::span<const Entry> entries() const { return {entries_.data(), entries_.size()}; }
  // The first entry with `id`, or size().
  std::size_t find(const NodeId& id) const;
  // IPv6 addresses held, in use or not yet dropped (tests: the bound above).
  std::size_t side_table_size() const { return side_ ? side_->size() : 0; }
  // For prefetching: where the entries are, and the last one (nullptr if none).
  const void* data() const { return entries_.data(); }
  const void* last_entry_address() const {
    return entries_.empty() ? nullptr : &entries_[entries_.size() - 1];
  }

  void push_back(const Peer& peer) { entries_.push_back(pack(peer)); }
  void insert(std::size_t index, const Peer& peer);
  void set(std::size_t index, const Peer& peer) { entries_[index] = pack(peer); }
  void erase(std::size_t index);
  void erase(Iterator place) { erase(place.index()); }
  // Removes the entries whose id satisfies `remove`; returns how many.
  template <typename Predicate>
  std::size_t erase_if_id(Predicate remove) {
    return erase_if(entries_, [&](const Entry& entry) { return remove(entry.id); });
  }
  // Drops the first `count` entries.
  void erase_first(std::size_t count);
  void clear();
  void assign(std::span<const Peer> peers);
  void assign_one(const Peer& peer);
  // Orders entries by `less` over ids (stable), then drops later entries with an id seen
  // before.
  template <typename Less>
  void sort_unique_by_id(Less less) {
    std::stable_sort(entries_.begin(), entries_.end(),
                     [&](const Entry& a, const Entry& b) { return less(a.id, b.id); });
    entries_.erase(std::unique(entries_.begin(), entries_.end(),
                               [](const Entry& a, const Entry& b) { return a.id == b.id; }),
                   entries_.end());
  }
  void reserve(std::size_t count) { entries_.reserve(count); }
  void shrink_to_fit() { entries_.shrink_to_fit(); }

  friend bool operator==(const PeerList& a, const PeerList& b);

 private:
  using Address = std::array<std::uint8_t, 16>;
  Entry pack(const Peer& peer);
  Peer unpack_side(const Entry& entry, Peer peer) const;
  void compact_side();

  SmallVector<Entry> entries_;
  std::unique_ptr<std::vector<Address>> side_;  // IPv6 addresses; made for the first one
};

}  // namespace chord
