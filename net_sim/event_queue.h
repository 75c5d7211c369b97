// The simulator's event queue: ordered by (virtual time, sequence number).
//
// The sequence number is unique and grows with every push, so equal times keep FIFO order
// and the order never depends on the queue's internals: pop() always returns the least
// (time, sequence) there is. Events are small plain structs; message payloads live in the
// simulator's flight pool and timers are cancelled by generation numbers (a stale event is
// dropped when popped), so nothing here allocates per event once the vectors have grown.
//
// Layout (what makes a large simulation fast): most events are messages, due a few
// milliseconds after they are sent; timers are due a period (a second or more) later. A
// binary heap of every event costs a cache miss per level at 10^5 nodes and more. So:
//   - near events, due within `wheel_slots` slots of 2^slot_shift us from the current slot,
//     go to a timing wheel: one vector per slot, appended to unsorted. Only the current
//     slot is a heap, made when the wheel reaches it, and it is small enough to stay in
//     cache (the events of one millisecond);
//   - later events go to a binary heap, which then holds mostly timers;
//   - pop() takes the earlier of the two tops.
// Memory: the wheel holds the events in flight, and each slot keeps the capacity of the
// busiest millisecond it has seen.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/runtime.h"

namespace chord::sim {

enum class EventType : std::uint8_t { deliver, timer, control };

// 24 bytes: the wheel and the far heap hold one per message in flight and per pending
// timer (about five a node), so at 10^6 nodes every byte here is 5 MB, and a smaller event
// moves fewer cache lines per heap step. The node index (24 bits: the simulator's limit),
// the type and the timer kind or message type share one word.
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
  static constexpr int slot_shift = 10;  // slots of 1,024 us
  static constexpr std::int64_t wheel_slots = 128;
  static constexpr std::size_t far_step_min = 4096;

  void push(Event event) {
    event.sequence = next_sequence_++;
    ++size_;
    const std::int64_t slot = slot_of(event.at);
    if (slot <= current_) {  // due in the current slot (or, after a far pop, before it)
      std::vector<Event>& active = wheel_[index_of(current_)];
      active.push_back(event);
      std::push_heap(active.begin(), active.end(), later);
      ++in_wheel_;
    } else if (slot < current_ + wheel_slots) {
      wheel_[index_of(slot)].push_back(event);
      ++in_wheel_;
    } else {
      // Past a few thousand events, grow by a quarter rather than double: the far heap
      // holds about five timers a node, and doubling left up to half of it unused (100
      // bytes a node at 10^6).
      if (far_.size() == far_.capacity() && far_.size() >= far_step_min) {
        far_.reserve(far_.size() + far_.size() / 4);
      }
      far_.push_back(event);
      std::push_heap(far_.begin(), far_.end(), later);
    }
  }
  // Room for `count` far events (timers, mostly), reserved once: a vector that grows
  // copies itself, and at 10^6 nodes the copy of the far heap (120 MB) was the run's peak.
  void reserve_far(std::size_t count) { far_.reserve(count); }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // REQUIRES: !empty(). Not const: it may move the wheel on to its next busy slot.
  const Event& top() { return next().front(); }
  // REQUIRES: !empty().
  Event pop() {
    std::vector<Event>& from = next();
    std::pop_heap(from.begin(), from.end(), later);
    const Event event = from.back();
    from.pop_back();
    --size_;
    if (&from != &far_) {
      --in_wheel_;
    } else if (in_wheel_ == 0) {
      // The wheel is empty: bring it to the time being served, so the events this one
      // causes land in it. Safe: no slot holds anything to leave behind.
      current_ = std::max(current_, slot_of(event.at));
    }
    return event;
  }

 private:
  static bool later(const Event& a, const Event& b) {
    if (a.at != b.at) return a.at > b.at;
    return a.sequence > b.sequence;
  }
  static std::int64_t slot_of(Time at) { return at.time_since_epoch().count() >> slot_shift; }
  static std::size_t index_of(std::int64_t slot) {
    return static_cast<std::size_t>(slot & (wheel_slots - 1));
  }

  // The heap holding the least event: the current slot (once the wheel has moved on to the
  // first slot with events) or the far heap. REQUIRES: !empty().
  std::vector<Event>& next() {
    if (in_wheel_ > 0 && wheel_[index_of(current_)].empty()) {
      // Bounded: some slot within the wheel holds an event. Moving on is safe, since an
      // event pushed later for a passed slot goes to the current one (push).
      do {
        ++current_;
      } while (wheel_[index_of(current_)].empty());
      std::vector<Event>& active = wheel_[index_of(current_)];
      std::make_heap(active.begin(), active.end(), later);
    }
    std::vector<Event>& active = wheel_[index_of(current_)];
    if (active.empty()) return far_;
    if (far_.empty() || later(far_.front(), active.front())) return active;
    return far_;
  }

  static_assert((wheel_slots & (wheel_slots - 1)) == 0, "wheel_slots must be a power of two");
  std::array<std::vector<Event>, wheel_slots> wheel_;
  std::vector<Event> far_;
  std::int64_t current_ = 0;  // the wheel's current slot (absolute slot number)
  std::size_t in_wheel_ = 0;
  std::size_t size_ = 0;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace chord::sim
