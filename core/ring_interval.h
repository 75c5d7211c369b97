// Membership of an identifier in an interval of the ring, with wrap-around.
//
// Every interval runs clockwise from its first bound to its second. When both bounds are
// equal the interval goes once around the whole ring: (a, a) is every point but a, and
// (a, a], [a, a) and [a, a] are the whole ring. This is what Chord needs: a lone node owns
// every key, since every key is in (n, n]; Zave's between(a, b, c) is in_open(a, b, c).
//
// The functions are templates over any totally ordered identifier (NodeId, or uint8_t in the
// exhaustive tests), so the 8-bit tests check the very code the 160-bit ring runs.
#pragma once

namespace chord {

// x in (a, b): strictly between a and b going clockwise.
template <typename Id>
constexpr bool in_open(const Id& a, const Id& x, const Id& b) {
  if (a < b) return a < x && x < b;
  if (b < a) return a < x || x < b;
  return !(x == a);
}

// x in (a, b]: the half-open interval of keys a node b owns when a is its predecessor.
template <typename Id>
constexpr bool in_open_closed(const Id& a, const Id& x, const Id& b) {
  if (a < b) return a < x && !(b < x);
  if (b < a) return a < x || !(b < x);
  return true;
}

// x in [a, b).
template <typename Id>
constexpr bool in_closed_open(const Id& a, const Id& x, const Id& b) {
  if (a < b) return !(x < a) && x < b;
  if (b < a) return !(x < a) || x < b;
  return true;
}

// x in [a, b].
template <typename Id>
constexpr bool in_closed(const Id& a, const Id& x, const Id& b) {
  if (a < b) return !(x < a) && !(b < x);
  if (b < a) return !(x < a) || !(b < x);
  return true;
}

}  // namespace chord
