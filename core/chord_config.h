// Every protocol parameter of a Chord node, with its default and its unit.
//
// Defaults suit a LAN chat (sub-millisecond round trips). The simulator's scenarios and
// chordnode's --config set them; validate() says what is out of range.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/limits.h"
#include "core/runtime.h"

namespace chord {

struct ChordConfig {
  // Successor-list length r. Zave: a ring is provably self-repairing once it has r + 1
  // principal nodes; r = 2·log2 N is the ToN rule. At most successors_max.
  std::uint32_t successor_list_length = 8;

  // Periodic maintenance. Each period is jittered by ± jitter_fraction so nodes do not
  // fall into step.
  Duration stabilize_period = std::chrono::seconds(1);
  Duration fix_fingers_period = std::chrono::seconds(1);  // one finger per period
  Duration ping_predecessor_period = std::chrono::seconds(1);
  Duration check_ring_period = std::chrono::seconds(10);  // partition healing
  double jitter_fraction = 0.25;
  // Adaptive maintenance: after each stabilize round that found the node's view of the
  // ring (predecessor, successor list, fingers) unchanged and saw no timeout, the
  // stabilize, fix_fingers and ping_predecessor periods double, up to this factor; any
  // change or failure returns them to the base periods at once. 1 (the default) keeps the
  // periods fixed, as in the Chord paper; chordnode uses 8, so an idle ring costs little
  // and a disturbed one repairs as fast as ever.
  std::uint32_t quiet_backoff_max = 1;

  // An RPC unanswered after rpc_timeout marks its target suspect (ToN: 500 ms).
  Duration rpc_timeout = std::chrono::milliseconds(500);
  // A lookup gives up after lookup_timeout or lookup_hops_max nodes, with a reason.
  Duration lookup_timeout = std::chrono::seconds(5);
  std::uint32_t lookup_hops_max = 48;
  // Wait before trying the bootstrap list again after a failed join.
  Duration join_retry_period = std::chrono::seconds(1);
  // A node that was a member and lost every successor rejoins through remembered and
  // bootstrap peers. If that many whole rounds fail (nobody anywhere is a member: a total
  // outage, every node rejoining at once), it re-forms a ring from itself, and check_ring
  // merges the rings that others re-form as they come back. 0: never (it keeps trying).
  // A round in which nobody answers at all re-forms at once (everyone it knows is gone).
  // A node that never was a member never starts a ring by itself.
  std::uint32_t reform_after_rounds = 0;

  // Before a lookup reports an owner, ping it; if it does not answer, try the successors
  // the answer named after it. Without this a lookup can name a dead owner until
  // stabilization removes it (ToN Table II counts such a lookup as failed).
  bool verify_owner = true;

  // Route with the successor list as well as the fingers (ToN §V; the paper's Fig. 10a
  // routes by fingers alone).
  bool route_with_successor_list = true;
  // After joining, look up every finger at once instead of one per period, so a new node
  // routes in O(log N) hops from the start.
  bool build_fingers_on_join = true;

  // Peers remembered for rejoining and for merging rings after a partition.
  std::uint32_t remembered_peers_max = 8;

  // Outstanding RPCs and lookups a node keeps; more are refused (Errc::queue_full).
  std::uint32_t pending_rpcs_max = 256;
  std::uint32_t lookups_max = 128;
};

// Why `config` is unusable, or nullptr if it is fine.
const char* validate(const ChordConfig& config);

}  // namespace chord
