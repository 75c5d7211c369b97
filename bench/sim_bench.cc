// The simulator at scale (issue 8): Google Benchmark, JSON out, tools/bench-table.py makes
// the table and the plots.
//
//   lookup_scaling/N   an ideal ring of N nodes (the fast start), no maintenance round,
//                      routing by fingers only (the Chord paper's Fig. 10a): batches of
//                      1,000 lookups from random nodes for random keys, each checked by the
//                      oracle. Counters: hops_mean, hops_p99 beside half_log2_n; the time
//                      per iteration is the wall time of one batch.
//   sim_throughput/N   an ideal ring of N nodes with stabilize, fix_fingers and
//                      ping_predecessor every 1 s and a successor list of 8 (scenarios/
//                      million.yaml's steady state): events per wall second (an event is a
//                      message delivered or a live timer fired) and heap bytes per node.
//
// Full run (takes a while, and memory: see bench/RESULTS.md):
//   build/release/bench/sim_bench --benchmark_out=sim.json --benchmark_out_format=json
//   python3 tools/bench-table.py sim.json --plot bench/figures
// Short run (CI): --benchmark_filter='lookup_scaling/(256|1024|4096)/|sim_throughput/(1000|10000)/'
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "net_sim/simulator.h"

namespace {

using namespace std::chrono_literals;
using chord::NodeId;
using chord::sim::NodeIndex;
using chord::sim::SimConfig;
using chord::sim::Simulator;

// Bytes the heap has handed out and not taken back (glibc's mallinfo2: in use in the arenas
// plus mmapped blocks). Unlike RSS, memory freed by an earlier benchmark and kept by malloc
// does not count, so the difference across a benchmark's set-up is that benchmark's state.
double heap_bytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

NodeId random_key(chord::sim::SimRandom& random) {
  NodeId::Bytes bytes{};
  for (auto& byte : bytes)
    byte = static_cast<std::uint8_t>(random.next());
  return NodeId(bytes);
}

std::unique_ptr<Simulator> ideal_ring(const SimConfig& config, std::size_t count) {
  auto sim = std::make_unique<Simulator>(config);
  std::vector<NodeIndex> nodes;
  nodes.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    nodes.push_back(sim->add_node());
  sim->build_ideal_ring(nodes);
  return sim;
}

void lookup_scaling(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  SimConfig config;
  config.seed = 8;
  config.chord.route_with_successor_list = false;  // fingers only, as in Fig. 10a
  // A static ideal ring: no maintenance round within the run, so the wall time is the
  // lookups' own (paused rounds would still fire a timer per node and period).
  config.chord.stabilize_period = config.chord.fix_fingers_period =
      config.chord.ping_predecessor_period = std::chrono::hours(24);
  config.chord.check_ring_period = chord::Duration(0);
  auto sim = ideal_ring(config, count);
  chord::sim::SimRandom random(9);
  std::vector<std::uint32_t> hops;
  std::uint64_t wrong = 0;
  sim->on_lookup = [&](const chord::sim::CheckedLookup& checked) {
    if (!checked.correct) ++wrong;
    hops.push_back(checked.result.hops);
  };
  constexpr std::size_t batch = 1000;
  for (auto _ : state) {
    const std::size_t before = hops.size();
    for (std::size_t i = 0; i < batch; ++i) {
      const auto from = static_cast<NodeIndex>(random.uniform(count));
      if (!sim->lookup(from, random_key(random))) state.SkipWithError("lookup refused");
    }
    sim->run_until_true([&] { return hops.size() >= before + batch; }, 100ms, 600s);
  }
  if (hops.empty()) return;
  std::sort(hops.begin(), hops.end());
  double sum = 0;
  for (const std::uint32_t h : hops)
    sum += h;
  state.counters["hops_mean"] = sum / static_cast<double>(hops.size());
  state.counters["hops_p99"] = hops[hops.size() * 99 / 100];
  state.counters["half_log2_n"] = 0.5 * std::log2(static_cast<double>(count));
  state.counters["lookups"] = static_cast<double>(hops.size());
  state.counters["wrong"] = static_cast<double>(wrong);
  if (wrong > 0) state.SkipWithError("a lookup named the wrong owner");
}

void sim_throughput(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  SimConfig config;
  config.seed = 10;
  config.network.latency.kind = chord::sim::DurationDistribution::Kind::uniform;
  config.network.latency.min = 5ms;
  config.network.latency.max = 50ms;
  config.chord.successor_list_length = 8;
  const double heap_before = heap_bytes();
  auto sim = ideal_ring(config, count);
  sim->run_for(2s);  // every timer armed, the queue at its steady size
  std::uint64_t events = 0;
  double wall = 0;
  for (auto _ : state) {
    const std::uint64_t before = sim->counters().events;
    const auto start = std::chrono::steady_clock::now();
    sim->run_for(2s);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    events += sim->counters().events - before;
  }
  state.counters["events_per_s"] = wall > 0 ? static_cast<double>(events) / wall : 0.0;
  state.counters["events_per_node_s"] = static_cast<double>(events) / static_cast<double>(count) /
                                        (2.0 * static_cast<double>(state.iterations()));
  // All simulator state on the heap (nodes, queue, in-flight messages, oracle), per node.
  state.counters["bytes_per_node"] = (heap_bytes() - heap_before) / static_cast<double>(count);
}

BENCHMARK(lookup_scaling)
    ->RangeMultiplier(2)
    ->Range(1 << 8, 1 << 20)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);
BENCHMARK(sim_throughput)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kSecond)
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
