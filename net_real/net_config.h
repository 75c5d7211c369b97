// Limits and addresses of one real node's TCP transport (net_real/uv_node.h).
//
// Every limit has a unit and a reason; validate() says what is out of range. The defaults
// suit a LAN chat node: a few hundred peers, messages of a few hundred bytes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/endpoint.h"
#include "core/limits.h"
#include "core/runtime.h"

namespace chord::net {

struct NetConfig {
  // Where to listen (0.0.0.0 or [::] for every interface; port 0 picks a free port).
  Endpoint listen;
  // What other nodes are told to reach us at. Required when listening on every interface:
  // a wildcard address is not reachable, and must never be registered. Port 0 means the
  // port actually bound.
  Endpoint advertise;

  // Frames longer than this are refused (the decoder checks the length before buffering).
  // Every message this build sends fits in 64 KiB (core/limits.h asserts it), so a larger
  // limit would only let a peer make us buffer more.
  std::uint32_t frame_bytes_max = frame_bytes_max_min;
  // Open connections, both directions. Accepted ones may use all but outgoing_reserved, so
  // peers that connect to us (or hold connections open) cannot stop us reaching our own
  // successors; an accepted connection beyond that is closed at once.
  std::uint32_t connections_max = 1024;
  std::uint32_t outgoing_reserved = 64;
  // Bytes queued for one peer and not yet written; a message beyond it is dropped (the
  // protocol sees a timeout), so a stalled peer cannot make us buffer without bound.
  std::size_t peer_queued_bytes_max = 1u << 20;
  // An accepted connection must send its Hello within this.
  Duration first_frame_timeout = std::chrono::seconds(5);
  // A frame must arrive whole within this of its first byte, and bytes we queued for a
  // peer must start going out within this, or the connection is closed (a peer that stalls
  // mid-frame, trickles bytes to keep a buffer pinned, or stops reading).
  Duration stall_timeout = std::chrono::seconds(10);
  // A connection with no traffic either way for this long is closed (reopened on demand).
  Duration idle_timeout = std::chrono::seconds(120);
  // An outgoing connection not established within this is abandoned.
  Duration connect_timeout = std::chrono::seconds(3);
};

// Why `config` is unusable, or nullptr.
const char* validate(const NetConfig& config);

// True for 0.0.0.0 and [::]: addresses one can listen on but not reach.
bool is_wildcard(const Endpoint& endpoint);

}  // namespace chord::net
