// SimRandom: the simulator's seeded generator (xoshiro256**, seeded through splitmix64).
//
// The same seed gives the same stream on every platform and standard library: no
// std::uniform_int_distribution and friends, whose results differ between implementations.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/assert.h"

namespace chord::sim {

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A 64-bit mix of several values, to derive independent seeds (per node, per incarnation).
inline std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  std::uint64_t state = a ^ (b * 0xd1342543de82ef95ULL) ^ (c * 0x9e3779b97f4a7c15ULL);
  splitmix64(state);
  return splitmix64(state);
}

class SimRandom {
 public:
  explicit SimRandom(std::uint64_t seed) {
    std::uint64_t state = seed;
    for (auto& word : s_)
      word = splitmix64(state);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, bound), unbiased. REQUIRES: bound > 0.
  std::uint64_t uniform(std::uint64_t bound) {
    CHORD_ASSERT(bound > 0);
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    for (;;) {  // accepts with probability > 1/2 per draw
      const std::uint64_t value = next();
      if (value < limit) return value % bound;
    }
  }
  // Uniform in [0, 1), 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double probability) { return unit() < probability; }
  // Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log1p(-unit()); }
  // Standard normal (Box-Muller, one value per call).
  double normal() {
    const double u1 = 1.0 - unit();  // (0, 1]
    const double u2 = unit();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace chord::sim
