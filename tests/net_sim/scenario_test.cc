// The scenario loader: values, units, defaults, --set overrides and their errors.
// (The malformed files of tests/scenarios/bad are checked through the CLI in
// tests/tools/chordsim_test.cc.)
#include "net_sim/scenario.h"

#include <gtest/gtest.h>

#include "net_sim/experiment.h"

namespace chord::sim {
namespace {

using namespace std::chrono_literals;

Scenario parse_ok(std::string_view text, const std::vector<std::string>& sets = {}) {
  auto result = parse_scenario(text, "t.yaml", sets);
  if (const auto* error = std::get_if<ScenarioError>(&result)) {
    ADD_FAILURE() << error->message();
    return {};
  }
  return std::get<Scenario>(result);
}

std::string parse_error(std::string_view text, const std::vector<std::string>& sets = {}) {
  auto result = parse_scenario(text, "t.yaml", sets);
  const auto* error = std::get_if<ScenarioError>(&result);
  if (error == nullptr) {
    ADD_FAILURE() << "accepted: " << text;
    return {};
  }
  return error->message();
}

TEST(Scenario, ReadsEverySectionWithUnits) {
  const Scenario s = parse_ok(R"(
name: all
seed: 42
duration: 1h
network:
  latency: {distribution: lognormal, median: 20ms, sigma: 0.3}
  loss: 2%
chord:
  successor_list_length: 12
  stabilize_period: 500ms
  fix_fingers_period: 2s
  ping_predecessor_period: 1.5s
  rpc_timeout: 250ms
  lookup_timeout: 4s
dht:
  replicas: 4
  lease: 2m
  renew_period: 30s
nodes:
  initial: 1_000
  start: join
  join_over: 90s
workload:
  lookups: 30/m
  lookups_per_node: 6/m
  users: 25%
  chats: 2/h
  messages_per_chat: 7
events:
  - {at: 10m, crash: 0.25}
  - {at: 5m, leave: 12}
  - {at: 20m, churn: {session_time: {distribution: pareto, mean: 10m, shape: 1.5}, crash: 30%}}
)");
  EXPECT_EQ(s.name, "all");
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.duration, 1h);
  EXPECT_EQ(s.sim.network.latency.kind, DurationDistribution::Kind::lognormal);
  EXPECT_EQ(s.sim.network.latency.median, 20ms);
  EXPECT_DOUBLE_EQ(s.sim.network.loss, 0.02);
  EXPECT_EQ(s.sim.chord.successor_list_length, 12u);
  EXPECT_EQ(s.sim.chord.stabilize_period, 500ms);
  EXPECT_EQ(s.sim.chord.ping_predecessor_period, 1500ms);
  EXPECT_EQ(s.sim.dht.replicas, 4u);
  EXPECT_EQ(s.sim.chat.register_lease, 2min);
  EXPECT_EQ(s.nodes.initial, 1000u);
  EXPECT_EQ(s.nodes.start, NodesSpec::Start::join);
  EXPECT_DOUBLE_EQ(s.workload.lookups_per_s, 0.5);
  EXPECT_DOUBLE_EQ(s.workload.lookups_per_node_per_s, 0.1);
  EXPECT_DOUBLE_EQ(s.workload.chats_per_s, 2.0 / 3600);
  EXPECT_DOUBLE_EQ(s.workload.users, 0.25);
  ASSERT_EQ(s.events.size(), 3u);
  // Sorted by time, stable.
  EXPECT_EQ(s.events[0].kind, ScenarioEvent::Kind::leave);
  EXPECT_EQ(s.events[0].count, 12u);
  EXPECT_FALSE(s.events[0].is_fraction);
  EXPECT_TRUE(s.events[1].is_fraction);
  EXPECT_DOUBLE_EQ(s.events[1].fraction, 0.25);
  EXPECT_EQ(s.events[2].churn.mode, ChurnSpec::Mode::session);
  EXPECT_EQ(s.events[2].churn.session_time.kind, DurationDistribution::Kind::pareto);
  EXPECT_EQ(s.events[2].churn.until, 1h);  // default: the end of the run
}

TEST(Scenario, LeadingZerosAreDecimalNotOctal) {
  EXPECT_EQ(parse_ok("duration: 010s\nnodes: {initial: 010}\n").nodes.initial, 10u);
  EXPECT_EQ(parse_ok("duration: 010s\n").duration, 10s);
  EXPECT_EQ(parse_ok("duration: 1m\nnodes: {initial: 1e3}\n").nodes.initial, 1000u);
}

TEST(Scenario, DefaultsNameFromTheFileAndKeepsEveryDefault) {
  const Scenario s = parse_ok("duration: 30s\n");
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.sim.chord.successor_list_length, ChordConfig{}.successor_list_length);
  EXPECT_TRUE(s.events.empty());
}

TEST(Scenario, SetOverridesNestedKeysCreatesMapsAndIndexesLists) {
  const Scenario s = parse_ok("duration: 10m\nevents:\n  - {at: 1m, crash: 10%}\n",
                              {"chord.stabilize_period=3s", "nodes.initial=64", "events.0.at=2m",
                               "network.latency={distribution: uniform, "
                               "min: 1ms, max: 2ms}"});
  EXPECT_EQ(s.sim.chord.stabilize_period, 3s);
  EXPECT_EQ(s.nodes.initial, 64u);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].at, 2min);
  EXPECT_EQ(s.sim.network.latency.max, 2ms);
  EXPECT_EQ(s.overrides.size(), 4u);
}

TEST(Scenario, SetErrorsNameTheArgument) {
  EXPECT_EQ(parse_error("duration: 1m\n", {"chord.stabilise=1s"}),
            "--set chord.stabilise=1s: unknown key 'stabilise' in chord (known: "
            "successor_list_length, stabilize_period, fix_fingers_period, "
            "ping_predecessor_period, check_ring_period, jitter, quiet_backoff_max, "
            "reform_after_rounds, rpc_timeout, lookup_timeout, "
            "lookup_hops_max, verify_owner, route_with_successor_list, build_fingers_on_join)");
  EXPECT_EQ(parse_error("duration: 1m\n", {"nodes.initial=-3"}),
            "--set nodes.initial=-3: must not be negative");
  EXPECT_EQ(parse_error("duration: 1m\n", {"nodes.initial"}),
            "--set nodes.initial: expected key=value, e.g. --set chord.stabilize_period=2s");
  EXPECT_EQ(parse_error("duration: 1m\n", {"events.3.at=1m"}),
            "--set events.3.at=1m: events must be a list (each item '- at: ...')");
  EXPECT_EQ(parse_error("duration: 1m\nevents: []\n", {"events.3.at=1m"}),
            "--set events.3.at=1m: '3' is not an index of the list (it has 0 items)");
}

TEST(Scenario, RejectsImpossibleValuesWithPositions) {
  EXPECT_EQ(parse_error("duration: 0s\n"), "t.yaml:1:11: must be positive");
  EXPECT_EQ(parse_error("duration: 1m\nchord: {successor_list_length: 40}\n"),
            "t.yaml:2:32: must be between 1 and 32");
  EXPECT_EQ(parse_error("duration: 1m\nevents:\n  - at: 10s\n    heal: false\n"),
            "t.yaml:4:11: write 'heal: true' (or leave the event out)");
  EXPECT_EQ(parse_error("duration: 1m\nevents:\n  - at: 10s\n"),
            "t.yaml:3:5: an event needs an action: join, crash, leave, churn, partition, heal "
            "or loss");
  EXPECT_EQ(parse_error("duration: 1m\nevents:\n  - {at: 10s, churn: {rate: 1/s, until: 5s}}\n"),
            "t.yaml:3:41: until must come after the event's time");
  EXPECT_EQ(parse_error("duration: 1m\nx: &a 1\ny: *a\n"),
            "t.yaml:3:4: aliases (*name) are not supported in scenarios");
  EXPECT_EQ(parse_error(""), "t.yaml: empty: expected a map of settings");
  EXPECT_EQ(parse_error("duration: 1m\n---\nduration: 2m\n"),
            "t.yaml: more than one YAML document");
}

TEST(Scenario, CountsAreCheckedAgainstThePopulationAtTheirTimeNotTheFileOrder) {
  EXPECT_EQ(parse_ok("duration: 5m\nnodes: {initial: 100}\nevents:\n"
                     "  - {at: 2m, crash: 150}\n  - {at: 1m, join: 100}\n")
                .events[0]
                .kind,
            ScenarioEvent::Kind::join);
  EXPECT_EQ(parse_error("duration: 5m\nnodes: {initial: 100}\nevents:\n"
                        "  - {at: 1m, crash: 150}\n  - {at: 2m, join: 100}\n"),
            "t.yaml:4:21: crash 150 nodes, but at most 100 can be live at 1m");
}

TEST(Scenario, ErrorsAboutTwoSettingsPointAtTheOneWritten) {
  EXPECT_EQ(parse_error("duration: 1m\nchord:\n  stabilize_period: 1s\n  rpc_timeout: 10s\n"),
            "t.yaml:4:16: lookup_timeout (5s) must be at least rpc_timeout (10s)");
  EXPECT_EQ(parse_error("duration: 1m\nchord:\n  successor_list_length: 2\n"),
            "t.yaml:3:26: dht.replicas must not exceed chord.successor_list_length (replicas "
            "are successors)");
  EXPECT_EQ(parse_error("duration: 1m\nseed: 18446744073709551616\n"), "t.yaml:2:7: too large");
  EXPECT_EQ(parse_ok("duration: 1m\nseed: 18446744073709551615\n").seed, ~0ULL);
  EXPECT_EQ(parse_error("duration: 1h\nevents:\n  - {at: 1m, churn: {session_time: 200ms}}\n"),
            "t.yaml:3:36: sessions and downtimes must be at least 1s (the simulator raises "
            "shorter draws to it)");
  EXPECT_EQ(parse_error("duration: 1h\nworkload: {lookups: 1000000/s}\n"),
            "t.yaml:2:21: over 100000 per second (the clock counts microseconds)");
}

TEST(Scenario, BoundsWhatARunMayCost) {
  EXPECT_EQ(parse_error("duration: 1h\nmetrics: {window: 10ms}\n"),
            "t.yaml:2:19: duration / metrics.window is over 100000 timeseries rows: make the "
            "window longer");
  EXPECT_EQ(parse_error("duration: 1h\nmetrics: {ring_check: 1ms}\n"),
            "t.yaml:2:23: ring_check below 10ms");
  EXPECT_EQ(parse_error("duration: 1h\nevents:\n  - {at: 1m, churn: {rate: 10000/s}}\n"),
            "t.yaml:3:28: this rate would add over 8388608 nodes before the end of the run");
  EXPECT_EQ(parse_error("duration: 1h\nnodes: {initial: 16777000}\nevents:\n"
                        "  - {at: 1m, join: 200}\n  - {at: 2m, join: 200}\n"),
            "t.yaml:5:5: joins take the run over 16777216 nodes");
}

// Draws of zero would make a node depart and return at one instant forever; draws below
// churn_interval_min are raised to it, so virtual time advances and departures are bounded.
TEST(Experiment, ShortSessionDrawsAreRaisedSoTimeAdvances) {
  const Scenario s = parse_ok(R"(
duration: 2m
nodes: {initial: 30}
workload: {lookups: 5/s}
events:
  - {at: 10s, churn: {session_time: {distribution: exponential, mean: 1s},
                      downtime: {distribution: exponential, mean: 1s}, crash: 50%}}
)");
  Experiment experiment(s);
  experiment.run();
  const ExperimentResults& r = experiment.results();
  EXPECT_EQ(r.virtual_duration, 2min);
  EXPECT_GT(r.rejoins, 30u);
  // A node is away at least 1 s and present at least 1 s: at most 55 departures each.
  EXPECT_LE(r.crashes + r.leaves, 30u * 55);
  EXPECT_EQ(r.windows.size(), 12u);
}

TEST(Scenario, MissingFileIsAClearError) {
  auto result = load_scenario("/nonexistent/x.yaml", {});
  ASSERT_TRUE(std::holds_alternative<ScenarioError>(result));
  EXPECT_EQ(std::get<ScenarioError>(result).message(),
            "/nonexistent/x.yaml: cannot open the scenario file (does it exist?)");
}

TEST(Scenario, FormatsDurationsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(2min), "2m");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(3h), "3h");
}

TEST(Scenario, DistributionsHaveTheirMeans) {
  SimRandom random(7);
  const DurationDistribution kinds[] = {
      {DurationDistribution::Kind::exponential, {}, {}, {}, 10s, {}, {}, 0.5, 2.0},
      {DurationDistribution::Kind::pareto, {}, {}, {}, 10s, {}, {}, 0.5, 2.5},
      {DurationDistribution::Kind::uniform, {}, 5s, 15s, {}, {}, {}, 0.5, 2.0},
  };
  for (const DurationDistribution& d : kinds) {
    double sum = 0;
    constexpr int samples = 200000;
    for (int i = 0; i < samples; ++i)
      sum += std::chrono::duration<double>(d.sample(random)).count();
    EXPECT_NEAR(sum / samples, 10.0, 0.3) << describe(d);
  }
}

TEST(LatencyHistogram, PercentilesWithinTheBucketWidth) {
  LatencyHistogram histogram;
  for (std::uint64_t v = 1; v <= 100000; ++v)
    histogram.add(v);
  EXPECT_DOUBLE_EQ(histogram.mean(), 50000.5);
  EXPECT_NEAR(histogram.percentile(0.5), 50000, 50000 * 0.032);
  EXPECT_NEAR(histogram.percentile(0.99), 99000, 99000 * 0.032);
  for (std::size_t b = 1; b < LatencyHistogram::buckets; ++b)
    ASSERT_EQ(LatencyHistogram::lower_bound(b), LatencyHistogram::upper_bound(b - 1)) << b;
}

}  // namespace
}  // namespace chord::sim
