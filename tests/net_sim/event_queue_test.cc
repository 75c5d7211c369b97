// The event queue pops events in (time, push order), whatever mix of near events (the
// current block's slots), mid ones (the next blocks' buckets), far ones (the heap) and late
// ones it holds: the simulator's determinism rests on it.
#include "net_sim/event_queue.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "net_sim/sim_random.h"

namespace chord::sim {
namespace {

Event at_us(std::int64_t us, std::uint32_t tag) {
  Event event;
  event.at = Time(Duration(us));
  event.payload = tag;
  return event;
}

// Runs a simulation-like load: each pop pushes up to three events due after it, at delays
// drawn from `max_delay_us`, and some up to `long_delay_us` (short delays land in the
// current block's slots, longer ones in the next blocks' buckets or the far heap), and
// checks every pop against a reference ordered by (time, push order).
void check_against_reference(std::int64_t max_delay_us, std::uint64_t seed,
                             std::int64_t long_delay_us = 3'000'000) {
  EventQueue queue;
  std::map<std::pair<std::int64_t, std::uint64_t>, std::uint32_t> reference;
  SimRandom random(seed);
  std::uint64_t pushes = 0;
  std::uint32_t tag = 0;
  auto push = [&](std::int64_t us) {
    queue.push(at_us(us, tag));
    reference.emplace(std::pair{us, pushes++}, tag++);
  };
  for (int i = 0; i < 50; ++i)
    push(static_cast<std::int64_t>(random.next() % 5'000'000));
  std::int64_t now = 0;
  // Bounded: pushes stop after 150,000 steps, at most 3 each.
  for (int step = 0; step < 1'000'000 && !queue.empty(); ++step) {
    ASSERT_EQ(queue.size(), reference.size());
    auto expected = reference.begin();
    // As run_until asks: is anything due by a bound near the clock? (It must not move the
    // queue past the bound; the pushes that follow may be earlier than the next event.)
    const std::int64_t bound = now + static_cast<std::int64_t>(random.next() % 2'000);
    const Event* due = queue.due(Time(Duration(bound)));
    if (expected->first.first <= bound) {
      ASSERT_NE(due, nullptr) << "step " << step;
      EXPECT_EQ(due->payload, expected->second);
    } else {
      EXPECT_EQ(due, nullptr) << "step " << step;
      if (step < 150'000 && random.next() % 2 == 0) {
        push(bound + static_cast<std::int64_t>(random.next() % 300));
        expected = reference.begin();
      }
    }
    EXPECT_EQ(queue.top().at.time_since_epoch().count(), expected->first.first);
    const Event event = queue.pop();
    ASSERT_EQ(event.payload, expected->second) << "step " << step;
    ASSERT_EQ(event.at.time_since_epoch().count(), expected->first.first);
    ASSERT_GE(event.at.time_since_epoch().count(), now);
    now = event.at.time_since_epoch().count();
    reference.erase(expected);
    if (step < 150'000) {
      const auto fan_out = random.next() % 4;
      for (std::uint64_t k = 0; k < fan_out; ++k) {
        const auto kind = random.next() % 8;
        const std::int64_t delay =
            kind == 0   ? 0  // due now: after what is already due now
            : kind == 1 ? static_cast<std::int64_t>(random.next() %
                                                    static_cast<std::uint64_t>(long_delay_us))
                        : static_cast<std::int64_t>(random.next() %
                                                    static_cast<std::uint64_t>(max_delay_us + 1));
        push(now + delay);
      }
    }
  }
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(reference.empty());
}

TEST(EventQueue, PopsInTimeThenPushOrderWithMessagesAndTimersMixed) {
  check_against_reference(50'000, 1);  // latencies within the wheel
}

TEST(EventQueue, PopsInOrderWhenDelaysSpanTheWheelAndBeyond) {
  check_against_reference(400'000, 2);  // many beyond a block's 131 ms
}

TEST(EventQueue, PopsInOrderWithEqualTimesAndIdleGaps) {
  check_against_reference(3, 3);  // many equal times; gaps only from the far events
}

TEST(EventQueue, PopsInOrderWhenDelaysReachPastTheMidLevel) {
  // Long delays up to 400 s: beyond the mid level's 134 s (the far heap), moved into mid
  // and near as the wheel reaches them, with long idle stretches between.
  check_against_reference(400'000, 4, 400'000'000);
}

TEST(EventQueue, PushesBeforeThePeekedTopComeFirst) {
  // The simulator looks at top() to decide whether to run it (run_until), which moves the
  // wheel to that event's slot; it may then push events due earlier (at its own clock),
  // into blocks and slots the wheel has passed: they must come out first, in time order.
  EventQueue queue;
  queue.push(at_us(300'000'000, 1));  // far
  EXPECT_EQ(queue.top().payload, 1u);
  queue.push(at_us(200'000'000, 2));  // a block the wheel has passed
  queue.push(at_us(299'999'990, 3));  // the same block, an earlier slot
  queue.push(at_us(300'000'000, 4));  // the same time (the active slot): after 1
  queue.push(at_us(300'000'200, 5));  // a later slot of the block
  queue.push(at_us(100'000'000, 6));
  EXPECT_EQ(queue.size(), 6u);
  for (const std::uint32_t expected : {6u, 2u, 3u, 1u, 4u, 5u}) {
    ASSERT_FALSE(queue.empty());
    EXPECT_EQ(queue.pop().payload, expected);
  }
  EXPECT_TRUE(queue.empty());
}

TEST(EventQueue, DueAnswersOnlyForEventsAtOrBeforeItsLimit) {
  // The simulator's run_until(until): due(until) names the next event only if it is due by
  // then, and leaves the queue able to take earlier events afterwards, in order.
  EventQueue queue;
  EXPECT_EQ(queue.due(Time(Duration(1'000'000))), nullptr);  // empty
  queue.push(at_us(100'000'000, 1));                         // a timer 100 s away
  EXPECT_EQ(queue.due(Time(Duration(1'000'000))), nullptr);
  queue.push(at_us(1'200'000, 2));
  queue.push(at_us(1'100'000, 3));
  queue.push(at_us(1'100'050, 4));  // the same slot as 3
  EXPECT_EQ(queue.due(Time(Duration(1'099'999))), nullptr);
  const Event* next = queue.due(Time(Duration(1'100'000)));
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->payload, 3u);
  EXPECT_EQ(queue.pop().payload, 3u);
  EXPECT_EQ(queue.due(Time(Duration(1'100'049))), nullptr);  // 4 is in this slot, later
  queue.push(at_us(1'100'020, 5));                           // before 4, in the active slot
  for (const std::uint32_t expected : {5u, 4u, 2u, 1u}) {
    ASSERT_NE(queue.due(Time(Duration(200'000'000))), nullptr);
    EXPECT_EQ(queue.pop().payload, expected);
  }
  EXPECT_EQ(queue.due(Time(Duration(200'000'000))), nullptr);
  EXPECT_TRUE(queue.empty());
}

TEST(EventQueue, AheadListsTheActiveSlotInOrder) {
  EventQueue queue;
  for (std::uint32_t i = 0; i < 5; ++i)
    queue.push(at_us(1'030 + 20 * (5 - i), i));  // one 128-us slot, latest first
  EXPECT_EQ(queue.top().payload, 4u);
  for (std::uint32_t k = 0; k < 5; ++k) {
    const Event* event = queue.ahead(k);
    ASSERT_NE(event, nullptr);
    EXPECT_EQ(event->payload, 4 - k);
  }
  EXPECT_EQ(queue.ahead(5), nullptr);
  queue.pop();
  EXPECT_EQ(queue.ahead(0)->payload, 3u);
}

TEST(EventQueue, EqualTimesComeOutInPushOrderAcrossLevels) {
  EventQueue queue;
  // Pushed while the wheel is at 0: 10 s is in a later block (mid). After popping the event
  // at 9.99 s, the wheel is in that block, and an event pushed for 10 s lands in a near
  // slot: it must still come out after the one pushed first.
  queue.push(at_us(10'000'000, 1));
  queue.push(at_us(9'990'000, 2));
  EXPECT_EQ(queue.pop().payload, 2u);
  queue.push(at_us(10'000'000, 3));
  queue.push(at_us(9'995'000, 4));
  EXPECT_EQ(queue.pop().payload, 4u);
  EXPECT_EQ(queue.pop().payload, 1u);
  EXPECT_EQ(queue.pop().payload, 3u);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace chord::sim
