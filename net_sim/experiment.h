// Experiment: runs one Scenario on the Simulator and measures it (what chordsim reports).
//
// It drives the simulator with the scenario's workload (Poisson lookups from random members
// to random keys, user sessions, chats of N messages between random users) and timed
// events (joins, crashes, graceful leaves, churn, partitions, heals, loss), all drawn from
// one generator seeded by the scenario's seed, so a scenario and seed give the same run and
// the same figures. It reads no clock: the caller's progress callback may.
//
// Measured: every user lookup (checked by the oracle), its hops, timeouts and latency; one
// row of figures per metrics window (ring health from the oracle, lookups, chat, traffic);
// after each fault, the virtual time until the ring is ideal again (checked every
// metrics.ring_check); at the end, the users' records still held somewhere in the ring.
// Memory per node is a few words (generation, position in the live list, user slot), so
// it scales with the simulator.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "net_sim/scenario.h"
#include "net_sim/simulator.h"

namespace chord::sim {

// Latencies in microseconds: exact below 64 us, then 32 buckets per power of two, so a
// percentile read from it is within 3.2% of the true value.
class LatencyHistogram {
 public:
  static constexpr std::size_t buckets = 64 + 58 * 32;
  void add(std::uint64_t micros);
  std::uint64_t count() const { return count_; }
  double mean() const;  // exact
  // The midpoint of the bucket holding the p-quantile (0 when empty).
  double percentile(double p) const;
  static std::uint64_t lower_bound(std::size_t bucket);
  static std::uint64_t upper_bound(std::size_t bucket);  // exclusive
  const std::array<std::uint64_t, buckets>& counts() const { return counts_; }

 private:
  static std::size_t bucket_of(std::uint64_t micros);
  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
};

// Figures of one metrics window (one row of timeseries.csv).
struct WindowRow {
  Duration end{0};
  std::size_t live_nodes = 0;
  std::size_t members = 0;
  std::uint64_t lookups = 0, lookups_failed = 0, lookups_wrong = 0;
  std::uint64_t hops_sum = 0, latency_us_sum = 0, lookups_ok = 0;
  double ring_correct_fraction = 0;  // successors, predecessors and lists right
  double successor_correct_fraction = 0;
  bool ring_ideal = false;
  bool invariants_hold = false;
  std::uint64_t chat_sent = 0, chat_delivered = 0, chat_failed = 0;
  std::uint64_t messages = 0, bytes = 0;
};

struct Recovery {
  std::string event;
  Duration at{0};
  std::optional<Duration> after;  // ideal again this long after the event
  std::string note;               // why there is no figure
};

struct ExperimentResults {
  // Nodes.
  std::uint64_t joins = 0, crashes = 0, leaves = 0, rejoins = 0;
  std::uint64_t arrivals_refused = 0;  // new nodes beyond scenario_nodes_max
  std::size_t live_peak = 0, live_end = 0, members_end = 0;
  double members_mean = 0;  // over the windows
  // Lookups (user lookups of the workload only).
  std::uint64_t lookups_issued = 0, lookups_unplaced = 0;  // unplaced: no member to ask
  std::uint64_t lookups_refused = 0;                       // the member's table was full
  std::uint64_t lookups_done = 0, lookups_correct = 0, lookups_wrong = 0, lookups_raced = 0;
  std::uint64_t lookups_failed = 0, timeouts_sum = 0;
  std::array<std::uint64_t, 5> failed_by{};  // by LookupFailure
  std::array<std::uint64_t, 256> hops{};
  LatencyHistogram latency;
  // Users and their records.
  std::uint64_t users_started = 0, registered = 0, register_failed = 0;
  std::uint64_t users_live_end = 0, records_found = 0, records_lost = 0, records_stale = 0;
  bool records_checked = false;
  // Chat.
  std::uint64_t chats_started = 0, chats_unplaced = 0, chats_opened = 0, chats_open_failed = 0;
  std::uint64_t messages_sent = 0, messages_delivered = 0, messages_failed = 0;
  std::uint64_t messages_received = 0, messages_orphaned = 0;  // orphaned: sender departed
  // Ring.
  std::uint64_t health_samples = 0, ideal_samples = 0, invariant_samples = 0;
  double correct_fraction_sum = 0;
  std::vector<Recovery> recoveries;
  std::vector<std::pair<Duration, std::string>> marks;  // events, for plots
  std::vector<WindowRow> windows;
  SimCounters counters;
  Duration virtual_duration{0};
};

struct ExperimentProgress {
  Duration now{0};
  Duration end{0};
  std::uint64_t events = 0;
  std::size_t live_nodes = 0;
};

class Experiment {
 public:
  explicit Experiment(const Scenario& scenario);  // `scenario` outlives the experiment
  Experiment(const Experiment&) = delete;
  Experiment& operator=(const Experiment&) = delete;

  // Runs the whole scenario. `progress` (optional) is called every `progress_step` of
  // virtual time; it must not touch the simulator.
  void run(const std::function<void(const ExperimentProgress&)>& progress = {},
           Duration progress_step = std::chrono::seconds(1));
  const ExperimentResults& results() const { return results_; }
  std::uint64_t trace_hash() const { return sim_.trace_hash(); }

 private:
  enum class ActionKind : std::uint8_t {
    fault,         // value: index of the scenario event
    join_node,     // a new node joins: the i-th (value) of join series `node`
    lookup,        // the next Poisson lookup
    chat_start,    // the next Poisson chat
    chat_send,     // value: chat run
    user_start,    // node: start its user session (retried until it is a member)
    churn_depart,  // node: its session ends
    churn_return,  // node: comes back after its downtime
    churn_arrive,  // rate churn: a new node joins
    churn_leave,   // rate churn: a random node departs
    churn_end,     // value: index of the churn event
    window,
    ring_check,
    progress,
  };
  struct Action {
    Time at;
    std::uint64_t sequence = 0;
    ActionKind kind = ActionKind::window;
    std::uint32_t node = 0;
    std::uint32_t generation = 0;  // the node's generation when scheduled
    std::uint64_t value = 0;
  };
  struct Later {
    bool operator()(const Action& a, const Action& b) const {
      return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
    }
  };
  struct ChatRun {
    NodeIndex opener = 0;
    std::uint32_t generation = 0;
    std::uint64_t chat_id = 0;
    std::uint32_t sent = 0, delivered = 0, failed = 0;
    bool finished = false;
  };
  struct User {
    std::string handle;
    NodeId key;
    bool registered = false;
    std::uint32_t attempts = 0;
  };

  void schedule(Time at, ActionKind kind, std::uint32_t node = 0, std::uint64_t value = 0);
  void dispatch(const Action& action);
  Duration lookup_gap();
  void start_nodes();
  void fault(const ScenarioEvent& event);
  void depart(NodeIndex node, bool crash);
  void join_node(NodeIndex node);
  // `count` new nodes join, evenly spread over `over` from `start` (the first at `start`,
  // the last at start + over).
  void schedule_joins(Time start, Duration over, std::uint64_t count);
  void schedule_join(std::uint32_t series, std::uint64_t i);
  void add_and_join();  // a new node, unless the simulator's address space is full
  void node_started(NodeIndex node);
  std::vector<NodeIndex> pick_live(std::size_t count);
  std::optional<NodeIndex> random_member();
  void start_churn(std::size_t event_index);
  void churn_action(const Action& action);
  void schedule_session_end(NodeIndex node);
  bool churn_active() const;
  void issue_lookup();
  void start_chat();
  void chat_send(std::uint64_t run_index);
  void start_user(NodeIndex node, std::uint32_t generation);
  void on_lookup(const CheckedLookup& checked);
  void on_chat(NodeIndex node, const ChatEvent& event);
  void close_window();
  void open_watch(const std::string& label);
  void check_ring();
  void check_records();
  bool alive(NodeIndex node, std::uint32_t generation) const;
  Duration elapsed() const { return sim_.now() - Time{}; }

  const Scenario& scenario_;
  Simulator sim_;
  SimRandom random_;
  std::priority_queue<Action, std::vector<Action>, Later> actions_;
  std::uint64_t next_sequence_ = 0;
  struct JoinSeries {
    Time start;
    Duration over{};
    std::uint64_t count = 0;
    std::uint64_t first_sequence = 0;  // of the series' first action
  };
  std::vector<JoinSeries> join_series_;
  // Per node slot.
  std::vector<std::uint32_t> generation_;  // bumped when the node departs or (re)joins
  std::vector<std::uint32_t> live_position_;
  std::vector<NodeIndex> live_;
  std::map<NodeIndex, User> users_;        // nodes running a user session
  std::vector<NodeIndex> registered_;      // users whose record is registered
  std::map<NodeId, Time> departed_users_;  // key -> when its user departed
  std::map<std::pair<NodeIndex, std::uint64_t>, std::uint64_t> run_of_;  // opener's chat
  std::vector<ChatRun> runs_;
  // Churn in force, if any (index of its event).
  std::optional<std::size_t> churn_;
  std::uint64_t churn_epoch_ = 0;
  // The recovery being watched, if any.
  std::optional<std::size_t> watch_;
  WindowRow window_;
  SimCounters window_start_counters_;
  ExperimentResults results_;
  double members_sum_ = 0;
};

}  // namespace chord::sim
