// Helpers for simulator tests: seeds, scale, ring building and a lookup tally.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "core/user_record.h"
#include "net_sim/simulator.h"

namespace chord::sim::testing {

using namespace std::chrono_literals;

// CHORDCHAT_TEST_SCALE=small (the sanitizer run) shrinks the biggest simulations.
inline bool small_scale() {
  const char* scale = std::getenv("CHORDCHAT_TEST_SCALE");
  return scale != nullptr && std::strcmp(scale, "small") == 0;
}

inline std::string replay_hint(std::uint64_t seed) {
  std::ostringstream out;
  out << "seed " << seed << " (replay: rerun this test; the seed is fixed in its source)";
  return out.str();
}

// Test user `n`: a key made from n alone, so every run and every call agrees.
inline Identity test_identity(std::uint64_t n) {
  IdentitySeed seed{};
  std::uint64_t state = n * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
  for (std::size_t i = 0; i < seed.size(); ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    seed[i] = static_cast<std::uint8_t>(state >> 56);
  }
  return Identity::from_seed(seed);
}

// A directory record of test user `n` ("<prefix><n>#id"), signed, expiring lease_ms after
// the simulator's wall clock now. Sequence numbers are the caller's. Every test user has
// the same key (test_identity(0)): the id also hashes the name, so their handles and keys
// differ, and a test of thousands of records does not make thousands of key pairs.
inline Record test_record(const Simulator& sim, std::uint64_t n, std::uint64_t seq,
                          std::uint32_t lease_ms, UserRecordKind kind = UserRecordKind::live,
                          const std::string& prefix = "u") {
  static const Identity identity = test_identity(0);
  UserRecord user;
  user.handle = handle_for(prefix + std::to_string(n), identity.public_key());
  user.endpoint = Endpoint::parse("10.1.2.3:" + std::to_string(1 + n % 60000)).value();
  user.public_key = identity.public_key();
  user.seq = seq;
  user.expires_ms = sim.wall_clock_ms() + lease_ms;
  user.kind = kind;
  sign_user_record(user, identity);
  return Record{NodeId::hash_of(user.handle), owner_token(user.public_key), seq, lease_ms,
                encode_user_record(user)};
}

// A configuration with latency uniform in [min, max] (bounded, so a live node never looks
// dead to a 500 ms RPC timeout).
inline SimConfig uniform_latency_config(std::uint64_t seed, Duration min, Duration max) {
  SimConfig config;
  config.seed = seed;
  config.network.latency.kind = DurationDistribution::Kind::uniform;
  config.network.latency.min = min;
  config.network.latency.max = max;
  return config;
}

// `count` new nodes in the ideal ring the simulator's fast start builds.
inline std::vector<NodeIndex> ideal_ring(Simulator& sim, std::size_t count) {
  std::vector<NodeIndex> nodes;
  for (std::size_t i = 0; i < count; ++i)
    nodes.push_back(sim.add_node());
  sim.build_ideal_ring(nodes);
  return nodes;
}

// `nodes` in a random order (Fisher-Yates with the test's generator).
inline std::vector<NodeIndex> shuffled(std::vector<NodeIndex> nodes, SimRandom& random) {
  for (std::size_t i = nodes.size(); i > 1; --i)
    std::swap(nodes[i - 1], nodes[random.uniform(i)]);
  return nodes;
}

// A ring of `count` nodes: the first creates it, the others join one by one through a
// random earlier node, `gap` apart.
inline std::vector<NodeIndex> join_one_by_one(Simulator& sim, std::size_t count, Duration gap,
                                              SimRandom& random) {
  std::vector<NodeIndex> nodes;
  nodes.push_back(sim.add_node());
  sim.create_ring(nodes[0]);
  for (std::size_t i = 1; i < count; ++i) {
    const NodeIndex node = sim.add_node();
    const NodeIndex via[] = {nodes[random.uniform(nodes.size())], nodes[0]};
    sim.join(node, via);
    nodes.push_back(node);
    sim.run_for(gap);
  }
  return nodes;
}

// prefix + decimal n. (Not `"x" + std::to_string(n)`: GCC 12 warns falsely on it, -Wrestrict.)
inline std::string numbered(std::string_view prefix, std::uint64_t n) {
  std::string text(prefix);
  text += std::to_string(n);
  return text;
}

inline NodeId random_key(SimRandom& random) {
  NodeId::Bytes bytes{};
  for (auto& b : bytes)
    b = static_cast<std::uint8_t>(random.next());
  return NodeId(bytes);
}

// Tally of checked lookups (install with `attach`).
struct LookupTally {
  std::uint64_t done = 0, correct = 0, wrong = 0, raced = 0, failed = 0, timeouts = 0, hops_sum = 0;
  std::vector<std::uint32_t> hop_counts = std::vector<std::uint32_t>(64, 0);
  std::uint64_t failed_by[5] = {};  // by LookupFailure
  bool user_only = true;

  void attach(Simulator& sim) {
    sim.on_lookup = [this](const CheckedLookup& c) {
      if (user_only && c.result.purpose != LookupPurpose::user) return;
      ++done;
      if (!c.result.ok()) {
        ++failed;
        ++failed_by[static_cast<std::size_t>(c.result.failure)];
        return;
      }
      if (c.correct) {
        ++correct;
      } else {
        ++(c.raced_departure ? raced : wrong);
      }
      timeouts += c.result.timeouts;
      hops_sum += c.result.hops;
      ++hop_counts[std::min<std::size_t>(c.result.hops, 63)];
    };
  }
  std::string describe() const {
    std::ostringstream out;
    out << done << " lookups: " << correct << " right, " << wrong << " wrong, " << raced
        << " raced a departure, " << failed << " failed (no_route " << failed_by[1] << ", deadline "
        << failed_by[2] << ", hops " << failed_by[3] << ", not_member " << failed_by[4] << ")";
    return out.str();
  }
  double mean_hops() const {
    const auto ok = correct + wrong + raced;
    return ok == 0 ? 0.0 : static_cast<double>(hops_sum) / static_cast<double>(ok);
  }
  double mean_timeouts() const {
    const auto ok = correct + wrong + raced;
    return ok == 0 ? 0.0 : static_cast<double>(timeouts) / static_cast<double>(ok);
  }
  std::uint32_t percentile(double p) const {
    const auto ok = correct + wrong + raced;
    std::uint64_t seen = 0;
    for (std::size_t h = 0; h < hop_counts.size(); ++h) {
      seen += hop_counts[h];
      if (static_cast<double>(seen) >= p * static_cast<double>(ok))
        return static_cast<std::uint32_t>(h);
    }
    return 63;
  }
};

// Issues `count` lookups for random keys from random running members, `gap` apart.
inline void random_lookups(Simulator& sim, const std::vector<NodeIndex>& nodes, std::size_t count,
                           Duration gap, SimRandom& random) {
  for (std::size_t i = 0; i < count; ++i) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      const NodeIndex from = nodes[random.uniform(nodes.size())];
      ChordNode* n = sim.node(from);
      if (n == nullptr || n->phase() != ChordNode::Phase::member) continue;
      (void)sim.lookup(from, random_key(random));
      break;
    }
    sim.run_for(gap);
  }
}

}  // namespace chord::sim::testing
