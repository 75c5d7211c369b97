// The simulator's event queue: ordered by (virtual time, sequence number).
//
// The sequence number is unique and grows with every push, so equal times keep FIFO order
// and the order never depends on heap internals. Events are small plain structs; message
// payloads live in the simulator's pool and timers are cancelled by generation numbers
// (a stale event is dropped when popped), so nothing here allocates per event once the
// heap's vector has grown.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/runtime.h"

namespace chord::sim {

enum class EventType : std::uint8_t { deliver, timer, control };

struct Event {
  Time at;
  std::uint64_t sequence = 0;
  std::uint32_t node = 0;
  std::uint32_t payload = 0;  // deliver: slot in the flight pool; timer: generation
  EventType type = EventType::deliver;
  TimerKind kind = TimerKind::stabilize;  // timer: which
  std::uint8_t message_type = 0;          // deliver: the message's variant index
};

class EventQueue {
 public:
  void push(Event event) {
    event.sequence = next_sequence_++;
    heap_.push_back(event);
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  // REQUIRES: !empty().
  const Event& top() const { return heap_.front(); }
  Event pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const Event event = heap_.back();
    heap_.pop_back();
    return event;
  }

 private:
  static bool later(const Event& a, const Event& b) {
    if (a.at != b.at) return a.at > b.at;
    return a.sequence > b.sequence;
  }
  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace chord::sim
