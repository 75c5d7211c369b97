// DurationDistribution: a random duration (message latency, session time, downtime) drawn
// from the simulator's seeded generator.
//
// Parameters by kind: constant: value; uniform: min, max (inclusive); exponential: mean;
// lognormal: median, sigma (of the underlying normal); pareto: mean, shape (> 1);
// weibull: scale, shape. Samples are capped at a year so no arithmetic overflows.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/runtime.h"
#include "net_sim/sim_random.h"

namespace chord::sim {

struct DurationDistribution {
  enum class Kind : std::uint8_t { constant, uniform, exponential, lognormal, pareto, weibull };
  Kind kind = Kind::constant;
  Duration value{0};
  Duration min{0};
  Duration max{0};
  Duration mean{0};
  Duration median{0};
  Duration scale{0};
  double sigma = 0.5;
  double shape = 2.0;

  Duration sample(SimRandom& random) const {
    switch (kind) {
      case Kind::constant:
        return value;
      case Kind::uniform:
        return min + Duration(static_cast<std::int64_t>(
                         random.uniform(static_cast<std::uint64_t>((max - min).count()) + 1)));
      case Kind::exponential:
        return capped(random.exponential(static_cast<double>(mean.count())));
      case Kind::lognormal:
        return capped(static_cast<double>(median.count()) * std::exp(sigma * random.normal()));
      case Kind::pareto: {
        const double x_min = static_cast<double>(mean.count()) * (shape - 1.0) / shape;
        return capped(x_min / std::pow(1.0 - random.unit(), 1.0 / shape));
      }
      case Kind::weibull:
        return capped(static_cast<double>(scale.count()) *
                      std::pow(-std::log1p(-random.unit()), 1.0 / shape));
    }
    return value;
  }

 private:
  static Duration capped(double micros) {
    return Duration(static_cast<std::int64_t>(std::min(micros, 365.0 * 86400e6)));
  }
};

}  // namespace chord::sim
