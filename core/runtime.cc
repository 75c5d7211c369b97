#include "core/runtime.h"

namespace chord {

std::uint64_t uniform(Runtime& runtime, std::uint64_t bound) {
  CHORD_ASSERT(bound > 0);
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  for (;;) {  // ends with probability 1; each draw is accepted with probability > 1/2
    const std::uint64_t value = runtime.random();
    if (value < limit) return value % bound;
  }
}

Duration jittered(Runtime& runtime, Duration period, double fraction) {
  CHORD_ASSERT(fraction >= 0.0);
  CHORD_ASSERT(fraction < 1.0);
  const std::uint64_t steps = 1u << 20;
  const double unit = static_cast<double>(uniform(runtime, steps)) / static_cast<double>(steps);
  const double factor = 1.0 - fraction + 2.0 * fraction * unit;
  return Duration(static_cast<std::int64_t>(static_cast<double>(period.count()) * factor));
}

}  // namespace chord
