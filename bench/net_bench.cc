// Real nodes on loopback, in one process: 100 UvNodes on one libuv loop over TCP on
// 127.0.0.1, default protocol settings (stabilize, fix_fingers, ping every 1 s).
//   build/release/bench/net_bench
// Reports, as counters: lookup latency p50/p99 for random keys owned by another node (at
// least one remote hop), chat message latency p50/p99 (send to delivery at the other user),
// and maintenance traffic per node per second on the idle ring. Latencies are the core's
// own measure (Runtime::now, the monotonic clock) for lookups, and uv_hrtime from send to
// the receiver's message event for chat.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>

#include "net_real/identity_file.h"
#include "tests/net_real/loop_network.h"

namespace {

using namespace std::chrono_literals;
using chord::net::LoopNetwork;

constexpr std::size_t nodes = 100;

// The ring, built once and shared by the benchmarks below.
LoopNetwork& ring() {
  static LoopNetwork* network = [] {
    auto* n = new LoopNetwork(nodes, chord::NodeConfig{});
    if (!n->error().empty()) std::fprintf(stderr, "net_bench: %s\n", n->error().c_str());
    n->form_ring();
    if (!n->wait_ideal(120s)) std::fprintf(stderr, "net_bench: ring not ideal after 120 s\n");
    return n;
  }();
  return *network;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1,
                         static_cast<std::size_t>(p * static_cast<double>(values.size())))];
}

void lookup_latency(benchmark::State& state) {
  LoopNetwork& network = ring();
  std::mt19937_64 random(5);
  std::vector<double> micros;
  double hops = 0;
  for (auto _ : state) {
    const std::size_t from = random() % nodes;
    chord::NodeId key;
    do {  // a key another node owns: at least one remote hop
      key = chord::NodeId::hash_of(std::to_string(random()));
    } while (network.oracle().owner_of(key).second == from);
    bool done = false;
    chord::LookupResult result;
    network.node(from).on_lookup = [&](const chord::LookupResult& r) {
      if (r.purpose != chord::LookupPurpose::user) return;
      result = r;
      done = true;
    };
    (void)network.node(from).peer().chord().lookup(key);
    while (!done)
      network.run_once();
    network.node(from).on_lookup = nullptr;
    if (!result.ok()) state.SkipWithError("a lookup failed");
    micros.push_back(static_cast<double>(result.latency.count()));
    hops += result.hops;
    state.SetIterationTime(static_cast<double>(result.latency.count()) / 1e6);
  }
  state.counters["p50_us"] = percentile(micros, 0.50);
  state.counters["p99_us"] = percentile(micros, 0.99);
  state.counters["hops_mean"] = hops / static_cast<double>(micros.size());
}

void chat_latency(benchmark::State& state) {
  LoopNetwork& network = ring();
  chord::net::UvNode& alice = network.node(10);
  chord::net::UvNode& bob = network.node(60);
  std::string bob_handle;
  bool opened = false, received = false;
  std::uint64_t sent_at = 0, received_at = 0;
  bob.on_chat = [&](const chord::ChatEvent& e) {
    if (e.kind == chord::ChatEventKind::registered) bob_handle = e.handle;
    if (e.kind == chord::ChatEventKind::message) {
      received_at = uv_hrtime();
      received = true;
    }
  };
  alice.on_chat = [&](const chord::ChatEvent& e) {
    if (e.kind == chord::ChatEventKind::opened) opened = true;
  };
  // Real users: keys from the CSPRNG, chats over TLS with certificates made from them.
  auto start_user = [](chord::net::UvNode& node, const char* name) {
    chord::Identity identity = chord::net::generate_identity();
    (void)node.set_identity(identity, chord::handle_for(name, identity.public_key()));
    (void)node.peer().chat().start_user(name, std::move(identity));
  };
  start_user(alice, "alice");
  start_user(bob, "bob");
  network.run_until([&] { return !bob_handle.empty(); }, 10s, 5ms);
  const auto chat = alice.peer().chat().open_chat(bob_handle);
  if (!chat) return state.SkipWithError("cannot open a chat");
  network.run_until([&] { return opened; }, 10s, 5ms);
  std::vector<double> micros;
  for (auto _ : state) {
    received = false;
    sent_at = uv_hrtime();
    (void)alice.peer().chat().send(*chat, "a message of ordinary length for a chat");
    while (!received)
      network.run_once();
    const double elapsed_us = static_cast<double>(received_at - sent_at) / 1e3;
    micros.push_back(elapsed_us);
    state.SetIterationTime(elapsed_us / 1e6);
  }
  alice.peer().chat().end_chat(*chat);
  state.counters["p50_us"] = percentile(micros, 0.50);
  state.counters["p99_us"] = percentile(micros, 0.99);
}

void maintenance_traffic(benchmark::State& state) {
  LoopNetwork& network = ring();
  auto totals = [&] {
    std::pair<std::uint64_t, std::uint64_t> sum{};
    for (std::size_t i = 0; i < nodes; ++i) {
      sum.first += network.node(i).stats().messages_sent;
      sum.second += network.node(i).stats().bytes_sent;
    }
    return sum;
  };
  for (auto _ : state) {
    const auto before = totals();
    const auto start = std::chrono::steady_clock::now();
    network.run_until([] { return false; }, 10s, 100ms);  // ten idle seconds
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto after = totals();
    const double node_seconds = seconds * static_cast<double>(nodes);
    state.counters["msgs_per_node_s"] =
        static_cast<double>(after.first - before.first) / node_seconds;
    state.counters["bytes_per_node_s"] =
        static_cast<double>(after.second - before.second) / node_seconds;
    state.SetIterationTime(seconds);
  }
}

BENCHMARK(lookup_latency)->UseManualTime()->Iterations(2000)->Unit(benchmark::kMicrosecond);
BENCHMARK(chat_latency)->UseManualTime()->Iterations(2000)->Unit(benchmark::kMicrosecond);
BENCHMARK(maintenance_traffic)->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
