// The simulated network: per-message latency from a distribution, loss, and partitions.
#pragma once

#include <cstdint>

#include "core/runtime.h"
#include "net_sim/sim_random.h"

namespace chord::sim {

struct LatencyModel {
  enum class Kind : std::uint8_t { constant, uniform, lognormal, exponential };
  Kind kind = Kind::constant;
  Duration constant = std::chrono::milliseconds(10);
  Duration min = std::chrono::milliseconds(5);      // uniform
  Duration max = std::chrono::milliseconds(15);     // uniform
  Duration median = std::chrono::milliseconds(10);  // lognormal
  double sigma = 0.5;                               // lognormal, of the underlying normal
  Duration mean = std::chrono::milliseconds(50);    // exponential (ToN §V-A: 50 ms)

  Duration sample(SimRandom& random) const {
    switch (kind) {
      case Kind::constant:
        return constant;
      case Kind::uniform:
        return min + Duration(static_cast<std::int64_t>(
                         random.uniform(static_cast<std::uint64_t>((max - min).count()) + 1)));
      case Kind::lognormal:
        return Duration(static_cast<std::int64_t>(static_cast<double>(median.count()) *
                                                  std::exp(sigma * random.normal())));
      case Kind::exponential:
        return Duration(
            static_cast<std::int64_t>(random.exponential(static_cast<double>(mean.count()))));
    }
    return constant;
  }
};

struct NetworkConfig {
  LatencyModel latency;
  double loss = 0.0;  // probability that a message is lost
};

}  // namespace chord::sim
