#include "core/chord_config.h"

namespace chord {

const char* validate(const ChordConfig& config) {
  if (config.successor_list_length < 1) return "successor_list_length must be at least 1";
  if (config.successor_list_length > successors_max) return "successor_list_length over 32";
  if (config.stabilize_period <= Duration(0)) return "stabilize_period must be positive";
  if (config.fix_fingers_period <= Duration(0)) return "fix_fingers_period must be positive";
  if (config.ping_predecessor_period <= Duration(0)) {
    return "ping_predecessor_period must be positive";
  }
  if (config.check_ring_period < Duration(0)) return "check_ring_period must not be negative";
  if (config.jitter_fraction < 0.0 || config.jitter_fraction >= 1.0) {
    return "jitter_fraction must be in [0, 1)";
  }
  if (config.quiet_backoff_max < 1 || config.quiet_backoff_max > 64) {
    return "quiet_backoff_max must be in [1, 64]";
  }
  if (config.rpc_timeout <= Duration(0)) return "rpc_timeout must be positive";
  if (config.lookup_timeout < config.rpc_timeout) return "lookup_timeout below rpc_timeout";
  if (config.lookup_hops_max < 1 || config.lookup_hops_max > 250) {
    return "lookup_hops_max must be in [1, 250]";
  }
  if (config.join_retry_period <= Duration(0)) return "join_retry_period must be positive";
  if (config.reform_after_rounds > 1000) return "reform_after_rounds over 1000";
  if (config.remembered_peers_max > 64) return "remembered_peers_max over 64";
  if (config.pending_rpcs_max < 8) return "pending_rpcs_max below 8";
  if (config.lookups_max < 4) return "lookups_max below 4";
  return nullptr;
}

}  // namespace chord
