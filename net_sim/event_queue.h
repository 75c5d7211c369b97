// The simulator's event queue: ordered by (virtual time, sequence number).
//
// The sequence number is unique and grows with every push, so equal times keep FIFO order
// and the order never depends on the queue's internals: pop() always returns the least
// (time, sequence) there is. Events are small plain structs; message payloads live in the
// simulator's flight pool and timers are cancelled by generation numbers (a stale event is
// dropped when popped), so nothing here allocates per event once its storage has grown.
//
// Layout (what makes a large simulation fast): a hierarchical timing wheel, so that no
// event goes through a heap of everything pending (a binary heap of 10^6 nodes' timers is
// 22 levels deep, most of them cache misses):
//   - time is cut into slots of 2^slot_shift us, and slots into blocks of near_slots;
//   - near: the events of the current block, one vector per slot, appended unsorted. The
//     wheel takes the slots in turn; the slot being served (the active slot) is sorted once
//     when it is reached and then read in order, so the events due next are known ahead
//     of time and the simulator prefetches what they will touch (ahead());
//   - mid: the events of the next mid_blocks - 1 blocks (a couple of minutes), one bucket
//     a block, in fixed-size chunks from a shared pool (no copying as a bucket fills, and
//     an emptied bucket's room goes back to the pool). When the wheel enters a block, its
//     bucket is spread over the near slots;
//   - far: a binary heap for anything later still (rare: long timers), moved into mid as
//     the blocks come within reach;
//   - late: a small heap for events pushed for the active slot or before it (a zero
//     delay, or a push after top() looked ahead), served together with the active slot.
// Every event is moved at most from far to mid to near: O(1) a push and a pop, besides the
// active slot's sort (a few thousand events at 10^6 nodes; it stays in cache).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "core/runtime.h"

namespace chord::sim {

enum class EventType : std::uint8_t { deliver, timer, control };

// 24 bytes: the queue holds one per message in flight and per pending timer (about five a
// node), so at 10^6 nodes every byte here is 5 MB. The node index (24 bits: the
// simulator's limit), the type and the timer kind or message type share one word.
struct Event {
  Time at;
  std::uint64_t sequence = 0;

  std::uint32_t node() const { return node_code_ & node_mask; }
  EventType type() const { return static_cast<EventType>(node_code_ >> 30); }
  // timer: which
  TimerKind kind() const { return static_cast<TimerKind>(code()); }
  // deliver: the message's variant index
  std::uint8_t message_type() const { return code(); }

  static constexpr std::uint32_t nodes_max = 1u << 24;
  // REQUIRES: node < nodes_max, code < 64.
  void set(EventType type, std::uint32_t node, std::uint8_t code) {
    node_code_ = (static_cast<std::uint32_t>(type) << 30) | (std::uint32_t{code} << 24) | node;
  }

  std::uint32_t payload = 0;  // deliver: slot in the flight pool; timer: generation

 private:
  static constexpr std::uint32_t node_mask = nodes_max - 1;
  std::uint8_t code() const { return static_cast<std::uint8_t>((node_code_ >> 24) & 0x3f); }
  std::uint32_t node_code_ = 0;
};
static_assert(sizeof(Event) == 24);
static_assert(timer_kinds <= 64);

class EventQueue {
 public:
  static constexpr int slot_shift = 7;  // slots of 128 us
  static constexpr int near_bits = 10;  // a block: 1,024 slots (131 ms)
  static constexpr std::int64_t near_slots = std::int64_t{1} << near_bits;
  static constexpr std::int64_t mid_blocks = 1024;  // mid reaches 134 s ahead

  EventQueue() = default;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  void push(Event event) {
    event.sequence = next_sequence_++;
    ++size_;
    const std::int64_t slot = slot_of(event.at);
    if (slot <= current_) {
      late_.push_back(event);
      std::push_heap(late_.begin(), late_.end(), Later{});
      return;
    }
    const std::int64_t block = slot >> near_bits;
    const std::int64_t current_block = current_ >> near_bits;
    if (block == current_block) {
      to_near(event);
    } else if (block < current_block + mid_blocks) {
      mid_.append(mid_index(block), event);
    } else {
      far_.push_back(event);
      std::push_heap(far_.begin(), far_.end(), Later{});
    }
  }
  bool empty() const { return size_ == 0; }
  // The sequence number the next push will get: every event pushed so far has a lower one.
  std::uint64_t next_sequence() const { return next_sequence_; }
  std::size_t size() const { return size_; }
  // REQUIRES: !empty(). Not const: it may move the wheel on to its next busy slot.
  const Event& top() { return *least(); }
  // The least event if it is due at or before `until`, else nullptr. Unlike top(), it never
  // moves the wheel past `until`'s slot: events pushed afterwards for times before the
  // next event (the simulator's clock stops at `until`) then land in their own slots, not
  // all in the late heap.
  const Event* due(Time until) {
    if (size_ == 0) return nullptr;
    if (cursor_ == near_[near_index(current_)].size() && late_.empty() &&
        !advance(slot_of(until))) {
      return nullptr;
    }
    const Event* next = least();
    return next->at <= until ? next : nullptr;
  }
  // REQUIRES: !empty().
  Event pop() {
    const Event* least_event = least();
    const Event event = *least_event;
    if (least_event == late_.data()) {
      std::pop_heap(late_.begin(), late_.end(), Later{});
      late_.pop_back();
    } else {
      ++cursor_;
    }
    --size_;
    return event;
  }
  // The event `k` places after top() (0: top() itself) in the active slot, or nullptr past
  // its end. For prefetching only: an event pushed meanwhile (late) may come first.
  const Event* ahead(std::size_t k) const {
    const std::vector<Event>& active = near_[near_index(current_)];
    return cursor_ + k < active.size() ? &active[cursor_ + k] : nullptr;
  }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      if (a.at != b.at) return a.at > b.at;
      return a.sequence > b.sequence;
    }
  };
  struct Earlier {
    bool operator()(const Event& a, const Event& b) const { return Later{}(b, a); }
  };

  // Events by block, in chunks of a shared pool.
  class Buckets {
   public:
    bool empty(std::size_t bucket) const { return buckets_[bucket].head == none; }
    std::size_t size() const { return size_; }
    void append(std::size_t bucket, const Event& event);
    // Calls f(event) for every event of `bucket` and gives its chunks back to the pool.
    template <typename F>
    void drain(std::size_t bucket, F&& f);

   private:
    static constexpr std::uint32_t none = ~std::uint32_t{0};
    static constexpr std::size_t chunk_events = 85;  // a chunk of 2 KiB
    struct Chunk {
      std::array<Event, chunk_events> events;
      std::uint32_t count = 0;
      std::uint32_t next = none;
    };
    struct Bucket {
      std::uint32_t head = none;
      std::uint32_t tail = none;
    };
    std::array<Bucket, mid_blocks> buckets_;
    std::vector<std::unique_ptr<Chunk>> chunks_;
    std::vector<std::uint32_t> free_;
    std::size_t size_ = 0;
  };

  static std::int64_t slot_of(Time at) { return at.time_since_epoch().count() >> slot_shift; }
  static std::size_t near_index(std::int64_t slot) {
    return static_cast<std::size_t>(slot & (near_slots - 1));
  }
  static std::size_t mid_index(std::int64_t block) {
    return static_cast<std::size_t>(block & (mid_blocks - 1));
  }

  // The least event (in the active slot or late). REQUIRES: !empty().
  const Event* least() {
    std::vector<Event>& active = near_[near_index(current_)];
    if (cursor_ == active.size()) {
      if (!late_.empty()) return late_.data();
      advance(std::numeric_limits<std::int64_t>::max());  // true: something is pending
    }
    const Event* in_active = &near_[near_index(current_)][cursor_];
    if (late_.empty() || Later{}(late_.front(), *in_active)) return in_active;
    return late_.data();
  }
  bool advance(std::int64_t limit);
  // REQUIRES: the event is in the current block, after the active slot.
  void to_near(const Event& event) {
    near_[near_index(slot_of(event.at))].push_back(event);
    ++in_near_;
  }

  static_assert((mid_blocks & (mid_blocks - 1)) == 0, "mid_blocks must be a power of two");
  std::array<std::vector<Event>, near_slots> near_;
  Buckets mid_;
  std::vector<Event> far_;
  std::vector<Event> late_;
  // The active slot (absolute slot number) and how far it has been read. near_ holds
  // events of the current block's later slots only; mid_ the next blocks'.
  std::int64_t current_ = 0;
  std::size_t cursor_ = 0;
  std::size_t in_near_ = 0;  // events in near slots after the active one
  std::size_t size_ = 0;
  std::uint64_t next_sequence_ = 0;
};

inline void EventQueue::Buckets::append(std::size_t bucket, const Event& event) {
  Bucket& b = buckets_[bucket];
  if (b.tail == none || chunks_[b.tail]->count == chunk_events) {
    std::uint32_t chunk = 0;
    if (free_.empty()) {
      chunk = static_cast<std::uint32_t>(chunks_.size());
      chunks_.push_back(std::make_unique<Chunk>());
    } else {
      chunk = free_.back();
      free_.pop_back();
    }
    chunks_[chunk]->count = 0;
    chunks_[chunk]->next = none;
    if (b.tail == none) {
      b.head = chunk;
    } else {
      chunks_[b.tail]->next = chunk;
    }
    b.tail = chunk;
  }
  Chunk& tail = *chunks_[b.tail];
  tail.events[tail.count++] = event;
  ++size_;
}

template <typename F>
void EventQueue::Buckets::drain(std::size_t bucket, F&& f) {
  Bucket& b = buckets_[bucket];
  for (std::uint32_t chunk = b.head; chunk != none;) {
    const Chunk& c = *chunks_[chunk];
    for (std::uint32_t i = 0; i < c.count; ++i)
      f(c.events[i]);
    size_ -= c.count;
    free_.push_back(chunk);
    chunk = c.next;
  }
  b = Bucket{};
}

// The active slot is used up and late_ is empty: moves to the next slot holding events,
// entering the next block holding any (spreading its mid bucket over the near slots,
// taking far events into mid) if need be, and sorts it. Not past slot `limit`: if the next
// events are later, returns false, having at most entered their block (its first slot then
// active and empty). REQUIRES: !empty().
inline bool EventQueue::advance(std::int64_t limit) {
  near_[near_index(current_)].clear();
  cursor_ = 0;
  std::int64_t slot = current_ + 1;  // the first slot that may hold the next events
  if (in_near_ == 0) {
    const std::int64_t block = current_ >> near_bits;
    std::int64_t next_block = block + 1;
    if (mid_.size() > 0) {
      while (mid_.empty(mid_index(next_block)))  // bounded: some bucket holds an event
        ++next_block;
    } else {
      next_block = slot_of(far_.front().at) >> near_bits;  // only far_ holds events
    }
    if ((next_block << near_bits) > limit) return false;
    current_ = next_block << near_bits;
    slot = current_;
    mid_.drain(mid_index(next_block), [this](const Event& event) { to_near(event); });
    while (!far_.empty() && (slot_of(far_.front().at) >> near_bits) < next_block + mid_blocks) {
      std::pop_heap(far_.begin(), far_.end(), Later{});
      const Event event = far_.back();
      far_.pop_back();
      const std::int64_t block_of_event = slot_of(event.at) >> near_bits;
      if (block_of_event == next_block) {
        to_near(event);
      } else {
        mid_.append(mid_index(block_of_event), event);
      }
    }
  }
  // Bounded: a slot of this block from `slot` on holds an event (in_near_ > 0).
  while (near_[near_index(slot)].empty())
    ++slot;
  if (slot > limit) return false;
  current_ = slot;
  std::vector<Event>& active = near_[near_index(current_)];
  in_near_ -= active.size();
  std::sort(active.begin(), active.end(), Earlier{});
  return true;
}

}  // namespace chord::sim
