#include "core/ring_interval.h"

#include <gtest/gtest.h>

#include <array>
#include <bitset>
#include <cstdint>

#include "core/node_id.h"

namespace chord {
namespace {

// The brute-force model: walk clockwise from a, one step at a time, to b. The points passed
// strictly between are the open interval; a == b walks once around the whole ring.
struct Membership {
  std::bitset<256> open, open_closed, closed_open, closed;
};

Membership model(unsigned a, unsigned b) {
  Membership m;
  unsigned x = (a + 1) % 256;
  for (int steps = 0; x != b && steps < 256; ++steps, x = (x + 1) % 256)
    m.open.set(x);
  m.open_closed = m.open;
  m.open_closed.set(b);
  m.closed_open = m.open;
  m.closed_open.set(a);
  m.closed = m.open_closed;
  m.closed.set(a);
  if (a == b) {  // once around: the half-open and closed intervals are the whole ring
    m.open_closed.set();
    m.closed_open.set();
    m.closed.set();
  }
  return m;
}

template <typename ToId>
void check_every_triple(ToId to_id) {
  std::size_t mismatches = 0;
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      const Membership m = model(a, b);
      const auto ia = to_id(a);
      const auto ib = to_id(b);
      for (unsigned x = 0; x < 256; ++x) {
        const auto ix = to_id(x);
        const bool ok = in_open(ia, ix, ib) == m.open.test(x) &&
                        in_open_closed(ia, ix, ib) == m.open_closed.test(x) &&
                        in_closed_open(ia, ix, ib) == m.closed_open.test(x) &&
                        in_closed(ia, ix, ib) == m.closed.test(x);
        if (!ok && ++mismatches <= 10) {
          ADD_FAILURE() << "a=" << a << " x=" << x << " b=" << b;
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(RingInterval, EveryTripleOnAnEightBitRingMatchesTheWalkingModel) {
  check_every_triple([](unsigned v) { return static_cast<std::uint8_t>(v); });
}

// The same exhaustive check through NodeId: 8-bit values in the top byte keep their order,
// with the lower 19 bytes fixed to a non-zero pattern so the byte-wise comparison is used.
TEST(RingInterval, EveryTripleThroughNodeIdMatchesTheWalkingModel) {
  check_every_triple([](unsigned v) {
    NodeId::Bytes bytes{};
    bytes.fill(0x5a);
    bytes[0] = static_cast<std::uint8_t>(v);
    return NodeId(bytes);
  });
}

// The cases SimGrid's Chord comment lists, and the a == b cases, spelled out.
TEST(RingInterval, WrapAroundCasesByHand) {
  using U = std::uint8_t;
  EXPECT_TRUE(in_closed<U>(62, 1, 3));   // 1 is in [62, 3] going past 255
  EXPECT_FALSE(in_closed<U>(3, 1, 62));  // and not in [3, 62]
  EXPECT_TRUE(in_open<U>(250, 0, 5));
  EXPECT_FALSE(in_open<U>(250, 250, 5));
  EXPECT_FALSE(in_open<U>(250, 5, 5));
  EXPECT_TRUE(in_open_closed<U>(250, 5, 5));
  EXPECT_TRUE(in_closed_open<U>(250, 250, 5));
  EXPECT_FALSE(in_open<U>(7, 7, 7));  // (a, a): all but a
  EXPECT_TRUE(in_open<U>(7, 8, 7));
  EXPECT_TRUE(in_open_closed<U>(7, 7, 7));  // a lone node owns every key: k in (n, n]
  EXPECT_TRUE(in_closed_open<U>(7, 7, 7));
  EXPECT_TRUE(in_closed<U>(7, 200, 7));
}

}  // namespace
}  // namespace chord
