// A simulator scenario: what chordsim runs, read from YAML (scenarios/*.yaml).
//
// The loader checks everything before a run starts: unknown keys, duplicate keys, wrong
// types, negative or impossible values, each reported with the file, 1-based line and
// column of the offending key or value and the reason. `--set key=value` overrides apply
// to the parsed tree first (dotted paths, nested maps created as needed) and are checked
// the same way; their errors name the --set argument. Nothing here reads the clock or
// draws random numbers: a Scenario is plain data, and the same file and overrides give the
// same Scenario.
//
// yaml-cpp 0.7 is only the tokenizer: its nodes are copied into YamlValue (below) through
// const access, so looking a key up never inserts it; duplicate keys, which yaml-cpp
// accepts silently, are caught while copying; numbers are parsed here, in decimal, so
// "010" is ten and not octal eight.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json_writer.h"
#include "net_sim/distribution.h"
#include "net_sim/simulator.h"

namespace chord::sim {

// Departures and arrivals over a stretch of the run.
struct ChurnSpec {
  // rate: Poisson joins of new nodes and Poisson departures of random live nodes, each at
  // rate_per_s (the Chord paper's Fig. 12). session: every live node departs after a
  // session time drawn from `session_time`, and, with rejoin, comes back with its id and a
  // fresh state after a `downtime`.
  enum class Mode : std::uint8_t { rate, session };
  Mode mode = Mode::rate;
  double rate_per_s = 0.0;
  DurationDistribution session_time;  // samples below churn_interval_min are raised to it
  DurationDistribution downtime;
  double crash_fraction = 1.0;  // departures that crash; the others leave gracefully
  bool rejoin = true;
  Duration until{0};  // when churn stops (virtual time from the start of the run)
};

struct ScenarioEvent {
  enum class Kind : std::uint8_t { join, crash, leave, churn, partition, heal, loss };
  Kind kind = Kind::crash;
  Duration at{0};
  // join: count new nodes, spread over `over`; crash, leave: count, or fraction of the
  // live nodes when is_fraction.
  std::uint64_t count = 0;
  double fraction = 0.0;
  bool is_fraction = false;
  Duration over{0};
  ChurnSpec churn;
  std::vector<double> groups;  // partition: fractions of the live nodes, summing to 1
  double loss = 0.0;           // loss: the new loss probability
  std::string label;           // "crash 50%", for reports and plots
};

struct NodesSpec {
  // ideal: the documented fast start (Simulator::build_ideal_ring), the state joins and
  // stabilization reach, checked by the oracle. join: the first node creates the ring and
  // the others join through random live members, spread evenly over join_over.
  enum class Start : std::uint8_t { ideal, join };
  std::uint64_t initial = 100;
  Start start = Start::ideal;
  Duration join_over{0};
  std::uint32_t bootstrap = 3;  // live members each joiner is given as bootstrap endpoints
};

struct WorkloadSpec {
  Duration start{0};           // lookups, users and chats begin here
  double lookups_per_s = 0.0;  // Poisson, from random members to random keys
  // And this many per live node (SimGrid's Chord workload: one lookup every 10 s per
  // node), so the rate follows the ring's size; the sum is capped at 100,000 per second.
  double lookups_per_node_per_s = 0.0;
  double users = 0.0;        // fraction of nodes that run a user session
  double chats_per_s = 0.0;  // Poisson; between two random registered users
  std::uint32_t messages_per_chat = 10;
  Duration message_interval = std::chrono::seconds(1);
};

struct MetricsSpec {
  Duration window = std::chrono::seconds(10);     // one timeseries row per window
  Duration ring_check = std::chrono::seconds(1);  // resolution of recovery times
  bool check_records = true;                      // scan the stores for lost records at the end
};

struct Scenario {
  std::string file;  // as given on the command line
  std::string name;
  std::uint64_t seed = 1;
  Duration duration = std::chrono::minutes(1);
  SimConfig sim;
  NodesSpec nodes;
  WorkloadSpec workload;
  MetricsSpec metrics;
  std::vector<ScenarioEvent> events;   // sorted by time, stable
  std::vector<std::string> overrides;  // the --set arguments, in order
};

// Limits of what a scenario may ask for (the simulator addresses 2^24 nodes).
inline constexpr std::uint64_t scenario_nodes_max = 1u << 24;
inline constexpr std::uint32_t scenario_messages_per_chat_max = 100000;
inline constexpr std::size_t scenario_groups_max = 16;
inline constexpr std::size_t scenario_events_max = 10000;
inline constexpr std::size_t scenario_file_bytes_max = 1u << 20;
// Timeseries rows a run may make (duration / metrics.window), and the finest ring check
// (each one walks every node).
inline constexpr std::uint64_t scenario_windows_max = 100000;
inline constexpr Duration scenario_ring_check_min = std::chrono::milliseconds(10);
// Sessions and downtimes drawn shorter than this are made this long: a node cannot join
// and leave within one instant (that would loop at one virtual time and never advance).
inline constexpr Duration churn_interval_min = std::chrono::seconds(1);

struct ScenarioError {
  std::string where;  // "scenarios/x.yaml:12:5", "--set chord.r=x", or the file alone
  std::string reason;
  std::string message() const { return where.empty() ? reason : where + ": " + reason; }
};

using ScenarioResult = std::variant<Scenario, ScenarioError>;

// Reads and checks a scenario file with `overrides` ("dotted.key=value") applied, and
// `seed` (when given) in place of the file's. Never throws.
ScenarioResult load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                             std::optional<std::uint64_t> seed = std::nullopt);
// The same from text (tests); `path` only names it in errors.
ScenarioResult parse_scenario(std::string_view text, const std::string& path,
                              const std::vector<std::string>& overrides,
                              std::optional<std::uint64_t> seed = std::nullopt);

// The most nodes a run can have: initial, every join, and rate churn's expected arrivals
// with a margin. chordsim sizes its memory check by it.
std::uint64_t nodes_bound(const Scenario& scenario);

// "exponential, mean 10m": a distribution as a person reads it.
std::string describe(const DurationDistribution& distribution);

// "1.5s", "2m", "500ms": the text of a duration as scenarios write it.
std::string format_duration(Duration duration);

// Every parameter of `scenario` after overrides and defaults, as one JSON object (the
// "resolved" block of summary.json), so a run's figures carry what made them.
void write_resolved(const Scenario& scenario, JsonWriter& json);

}  // namespace chord::sim
