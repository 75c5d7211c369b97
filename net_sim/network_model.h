// The simulated network: per-message latency from a distribution, loss, and partitions.
#pragma once

#include "core/runtime.h"
#include "net_sim/distribution.h"

namespace chord::sim {

struct NetworkConfig {
  // Per-message latency (ToN §V-A used exponential, mean 50 ms).
  DurationDistribution latency{DurationDistribution::Kind::constant, std::chrono::milliseconds(10)};
  double loss = 0.0;  // probability that a message is lost
};

}  // namespace chord::sim
