#include "net_sim/experiment.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace chord::sim {
namespace {

constexpr std::uint32_t not_live = std::numeric_limits<std::uint32_t>::max();
// A user session starts once its node is a member; it is retried this often, then dropped.
constexpr std::uint32_t user_start_attempts_max = 60;
constexpr Duration user_start_retry = std::chrono::seconds(1);
// Picks of a random live node before giving up on finding a ring member.
constexpr int member_picks_max = 16;

NodeId random_key(SimRandom& random) {
  NodeId::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t word = random.next();
    for (std::size_t j = 0; j < 8 && i + j < bytes.size(); ++j)
      bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  return NodeId(bytes);
}

// prefix + decimal n. (Not `"m" + std::to_string(n)`: GCC 12 warns falsely, -Wrestrict.)
std::string numbered(const char* prefix, std::uint64_t n) {
  std::string text(prefix);
  text += std::to_string(n);
  return text;
}

// A Poisson gap, rounded to the clock's microseconds (the loader keeps rates at or below
// 10^5/s, where rounding moves the mean by under 1%) and capped at a year.
Duration exponential_gap(SimRandom& random, double per_second) {
  const double micros = std::min(random.exponential(1e6 / per_second), 365.0 * 86400e6);
  return Duration(std::llround(micros));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// LatencyHistogram

std::size_t LatencyHistogram::bucket_of(std::uint64_t micros) {
  if (micros < 64) return static_cast<std::size_t>(micros);
  const int msb = 63 - std::countl_zero(micros);  // >= 6
  const int shift = msb - 5;
  return 64 + static_cast<std::size_t>(msb - 6) * 32 +
         static_cast<std::size_t>((micros >> shift) - 32);
}

std::uint64_t LatencyHistogram::lower_bound(std::size_t bucket) {
  if (bucket < 64) return bucket;
  const std::size_t msb = (bucket - 64) / 32 + 6;
  const std::uint64_t sub = (bucket - 64) % 32 + 32;
  return sub << (msb - 5);
}

std::uint64_t LatencyHistogram::upper_bound(std::size_t bucket) {
  if (bucket < 64) return bucket + 1;
  const std::size_t msb = (bucket - 64) / 32 + 6;
  return lower_bound(bucket) + (std::uint64_t{1} << (msb - 5));
}

void LatencyHistogram::add(std::uint64_t micros) {
  ++counts_[bucket_of(micros)];
  ++count_;
  sum_ += micros;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

double LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0.0;
  const double rank = p * static_cast<double>(count_);
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < buckets; ++b) {
    seen += counts_[b];
    if (counts_[b] != 0 && static_cast<double>(seen) >= rank) {
      return static_cast<double>(lower_bound(b) + upper_bound(b) - 1) / 2.0;
    }
  }
  return static_cast<double>(lower_bound(buckets - 1));
}

// ---------------------------------------------------------------------------------------
// Set-up

Experiment::Experiment(const Scenario& scenario)
    : scenario_(scenario), sim_(scenario.sim), random_(mix_seed(scenario.seed, 3)) {
  sim_.on_lookup = [this](const CheckedLookup& checked) { on_lookup(checked); };
  sim_.on_chat = [this](NodeIndex node, const ChatEvent& event) { on_chat(node, event); };
}

void Experiment::schedule(Time at, ActionKind kind, std::uint32_t node, std::uint64_t value) {
  Action action;
  action.at = at;
  action.sequence = next_sequence_++;
  action.kind = kind;
  action.node = node;
  action.generation = node < generation_.size() ? generation_[node] : 0;
  action.value = value;
  actions_.push(action);
}

bool Experiment::alive(NodeIndex node, std::uint32_t generation) const {
  return live_position_[node] != not_live && generation_[node] == generation;
}

void Experiment::node_started(NodeIndex node) {
  if (node >= generation_.size()) {
    generation_.resize(node + 1, 0);
    live_position_.resize(node + 1, not_live);
  }
  ++generation_[node];
  CHORD_ASSERT(live_position_[node] == not_live);
  live_position_[node] = static_cast<std::uint32_t>(live_.size());
  live_.push_back(node);
  results_.live_peak = std::max(results_.live_peak, live_.size());
  const WorkloadSpec& workload = scenario_.workload;
  if (workload.users > 0 && random_.chance(workload.users)) {
    users_[node] = User{};
    ++results_.users_started;
    const Time start = std::max(sim_.now(), Time{} + workload.start) +
                       Duration(static_cast<std::int64_t>(random_.uniform(1000000)));
    schedule(start, ActionKind::user_start, node);
  }
  if (churn_active() && scenario_.events[*churn_].churn.mode == ChurnSpec::Mode::session) {
    schedule_session_end(node);
  }
}

void Experiment::start_nodes() {
  const NodesSpec& nodes = scenario_.nodes;
  const std::uint64_t bound = nodes_bound(scenario_);
  sim_.reserve(bound);
  generation_.reserve(bound);
  live_position_.reserve(bound);
  live_.reserve(bound);
  if (nodes.start == NodesSpec::Start::ideal) {
    std::vector<NodeIndex> members;
    members.reserve(nodes.initial);
    for (std::uint64_t i = 0; i < nodes.initial; ++i)
      members.push_back(sim_.add_node());
    sim_.build_ideal_ring(members);
    for (NodeIndex node : members)
      node_started(node);
    std::vector<NodeIndex> bootstrap;
    for (NodeIndex node : members) {  // any few members serve as bootstrap for rejoins
      bootstrap.clear();
      for (std::uint32_t i = 0; i < nodes.bootstrap && members.size() > 1; ++i)
        bootstrap.push_back(members[random_.uniform(members.size())]);
      sim_.set_bootstrap(node, bootstrap);
    }
    return;
  }
  const NodeIndex first = sim_.add_node();
  sim_.create_ring(first);
  node_started(first);
  schedule_joins(Time{}, nodes.join_over, nodes.initial - 1);
}

void Experiment::schedule_joins(Time start, Duration over, std::uint64_t count) {
  if (count == 0) return;
  // One action at a time, each scheduling the next: N actions up front left the queue
  // holding their room (50 bytes a node) for the whole run. Each gets the sequence number
  // it had when all were scheduled at once, so the order of actions is unchanged.
  join_series_.push_back({start, over, count, next_sequence_});
  next_sequence_ += count;
  schedule_join(static_cast<std::uint32_t>(join_series_.size() - 1), 0);
}

void Experiment::schedule_join(std::uint32_t series, std::uint64_t i) {
  const JoinSeries& joins = join_series_[series];
  const Duration offset = joins.count <= 1
                              ? Duration(0)
                              : Duration(joins.over.count() * static_cast<std::int64_t>(i) /
                                         static_cast<std::int64_t>(joins.count - 1));
  Action action;
  action.at = joins.start + offset;
  action.sequence = joins.first_sequence + i;
  action.kind = ActionKind::join_node;
  action.node = series;
  action.value = i;
  actions_.push(action);
}

// ---------------------------------------------------------------------------------------
// Running

void Experiment::run(const std::function<void(const ExperimentProgress&)>& progress,
                     Duration progress_step) {
  const Time end = Time{} + scenario_.duration;
  start_nodes();
  for (std::size_t i = 0; i < scenario_.events.size(); ++i)
    schedule(Time{} + scenario_.events[i].at, ActionKind::fault, 0, i);
  const WorkloadSpec& workload = scenario_.workload;
  if (workload.lookups_per_s > 0 || workload.lookups_per_node_per_s > 0) {
    schedule(Time{} + workload.start + lookup_gap(), ActionKind::lookup);
  }
  if (workload.chats_per_s > 0) {
    schedule(Time{} + workload.start + exponential_gap(random_, workload.chats_per_s),
             ActionKind::chat_start);
  }
  schedule(std::min(end, Time{} + scenario_.metrics.window), ActionKind::window);
  if (progress) schedule(Time{} + progress_step, ActionKind::progress);
  while (!actions_.empty() && actions_.top().at <= end) {
    const Action action = actions_.top();
    actions_.pop();
    sim_.run_until(action.at);
    if (action.kind == ActionKind::progress) {
      progress({elapsed(), scenario_.duration, sim_.counters().events, live_.size()});
      schedule(action.at + progress_step, ActionKind::progress);
      continue;
    }
    dispatch(action);
  }
  sim_.run_until(end);
  if (watch_) results_.recoveries[*watch_].note = "not ideal by the end of the run";
  check_records();
  results_.live_end = live_.size();
  results_.members_end = sim_.oracle().members().size();
  results_.members_mean =
      results_.windows.empty() ? 0.0 : members_sum_ / static_cast<double>(results_.windows.size());
  results_.counters = sim_.counters();
  results_.virtual_duration = scenario_.duration;
  if (progress) progress({elapsed(), scenario_.duration, sim_.counters().events, live_.size()});
}

// The gap to the next lookup at the current rate: fixed, plus per live node.
Duration Experiment::lookup_gap() {
  constexpr double rate_max = 100000.0;  // one a microsecond at most: the clock's resolution
  const WorkloadSpec& workload = scenario_.workload;
  const double rate =
      std::min(rate_max, workload.lookups_per_s +
                             workload.lookups_per_node_per_s * static_cast<double>(live_.size()));
  if (rate <= 0) return std::chrono::seconds(1);  // nobody to ask yet: look again later
  return exponential_gap(random_, rate);
}

void Experiment::dispatch(const Action& action) {
  const Time now = sim_.now();
  switch (action.kind) {
    case ActionKind::fault:
      fault(scenario_.events[action.value]);
      if (scenario_.events[action.value].kind == ScenarioEvent::Kind::churn) {
        start_churn(action.value);
      }
      return;
    case ActionKind::join_node:
      add_and_join();
      if (action.value + 1 < join_series_[action.node].count) {
        schedule_join(action.node, action.value + 1);
      }
      return;
    case ActionKind::lookup:
      issue_lookup();
      schedule(now + lookup_gap(), ActionKind::lookup);
      return;
    case ActionKind::chat_start:
      start_chat();
      schedule(now + exponential_gap(random_, scenario_.workload.chats_per_s),
               ActionKind::chat_start);
      return;
    case ActionKind::chat_send:
      chat_send(action.value);
      return;
    case ActionKind::user_start:
      start_user(action.node, action.generation);
      return;
    case ActionKind::churn_depart:
    case ActionKind::churn_return:
    case ActionKind::churn_arrive:
    case ActionKind::churn_leave:
      // Churn actions of a churn no longer in force (ended, or replaced) are dropped.
      if (action.value == churn_epoch_ && churn_active()) churn_action(action);
      return;
    case ActionKind::churn_end:
      if (churn_ && *churn_ == action.value) {
        churn_.reset();
        ++churn_epoch_;
        results_.marks.emplace_back(elapsed(), "churn ends");
        open_watch("churn ends");
      }
      return;
    case ActionKind::window:
      close_window();
      if (now < Time{} + scenario_.duration) {
        schedule(std::min(Time{} + scenario_.duration, now + scenario_.metrics.window),
                 ActionKind::window);
      }
      return;
    case ActionKind::ring_check:
      if (watch_ && *watch_ == action.value) check_ring();
      return;
    case ActionKind::progress:
      return;  // handled by run()
  }
}

// ---------------------------------------------------------------------------------------
// Membership and faults

std::vector<NodeIndex> Experiment::pick_live(std::size_t count) {
  std::vector<NodeIndex> pool = live_;
  count = std::min(count, pool.size());
  for (std::size_t i = 0; i < count; ++i)  // partial Fisher-Yates
    std::swap(pool[i], pool[i + random_.uniform(pool.size() - i)]);
  pool.resize(count);
  return pool;
}

std::optional<NodeIndex> Experiment::random_member() {
  for (int pick = 0; pick < member_picks_max && !live_.empty(); ++pick) {
    const NodeIndex node = live_[random_.uniform(live_.size())];
    const ChordNode* chord = sim_.node(node);
    if (chord != nullptr && chord->phase() == ChordNode::Phase::member) return node;
  }
  return std::nullopt;
}

void Experiment::join_node(NodeIndex node) {
  std::vector<NodeIndex> bootstrap;
  for (std::uint32_t i = 0; i < scenario_.nodes.bootstrap; ++i) {
    if (const auto member = random_member()) bootstrap.push_back(*member);
  }
  if (bootstrap.empty() && !live_.empty())
    bootstrap.push_back(live_[random_.uniform(live_.size())]);
  node_started(node);
  if (bootstrap.empty()) {
    sim_.create_ring(node);  // nobody is left: this node starts the ring again
    return;
  }
  sim_.join(node, bootstrap);
}

void Experiment::add_and_join() {
  if (sim_.node_count() >= scenario_nodes_max) {  // the loader keeps this rare
    ++results_.arrivals_refused;
    return;
  }
  join_node(sim_.add_node());
  ++results_.joins;
}

void Experiment::depart(NodeIndex node, bool crash) {
  const std::uint32_t position = live_position_[node];
  CHORD_ASSERT(position != not_live);
  live_[position] = live_.back();
  live_position_[live_[position]] = position;
  live_.pop_back();
  live_position_[node] = not_live;
  ++generation_[node];
  if (const auto user = users_.find(node); user != users_.end()) {
    if (user->second.registered) {
      registered_.erase(std::find(registered_.begin(), registered_.end(), node));
      departed_users_[user->second.key] = sim_.now();
    }
    users_.erase(user);
  }
  for (auto it = run_of_.lower_bound({node, 0}); it != run_of_.end() && it->first.first == node;) {
    ChatRun& run = runs_[it->second];
    if (!run.finished) {
      results_.messages_orphaned += run.sent - run.delivered - run.failed;
      run.finished = true;
    }
    it = run_of_.erase(it);
  }
  if (crash) {
    sim_.crash(node);
    ++results_.crashes;
  } else {
    sim_.leave(node);
    ++results_.leaves;
  }
}

void Experiment::fault(const ScenarioEvent& event) {
  results_.marks.emplace_back(elapsed(), event.label);
  switch (event.kind) {
    case ScenarioEvent::Kind::join:
      schedule_joins(sim_.now(), event.over, event.count);
      open_watch(event.label);
      return;
    case ScenarioEvent::Kind::crash:
    case ScenarioEvent::Kind::leave: {
      const std::size_t count =
          event.is_fraction ? static_cast<std::size_t>(
                                  std::llround(event.fraction * static_cast<double>(live_.size())))
                            : static_cast<std::size_t>(event.count);
      for (NodeIndex node : pick_live(count))
        depart(node, event.kind == ScenarioEvent::Kind::crash);
      open_watch(event.label);
      return;
    }
    case ScenarioEvent::Kind::partition: {
      std::vector<std::uint8_t> groups(sim_.node_count(), 0);
      const std::vector<NodeIndex> order = pick_live(live_.size());
      double cumulative = 0;
      std::size_t begin = 0;
      for (std::size_t g = 0; g < event.groups.size(); ++g) {
        cumulative += event.groups[g];
        const std::size_t end = g + 1 == event.groups.size()
                                    ? order.size()
                                    : static_cast<std::size_t>(std::llround(
                                          cumulative * static_cast<double>(order.size())));
        for (std::size_t i = begin; i < end; ++i)
          groups[order[i]] = static_cast<std::uint8_t>(g);
        begin = end;
      }
      sim_.partition(groups);
      if (watch_) results_.recoveries[*watch_].note = "not ideal before: " + event.label;
      watch_.reset();
      results_.recoveries.push_back({event.label, elapsed(), std::nullopt,
                                     "split into separate rings until heal (measured there)"});
      return;
    }
    case ScenarioEvent::Kind::heal:
      sim_.heal();
      open_watch(event.label);
      return;
    case ScenarioEvent::Kind::loss:
      sim_.set_loss(event.loss);
      open_watch(event.label);
      return;
    case ScenarioEvent::Kind::churn:
      if (watch_) results_.recoveries[*watch_].note = "not ideal before: " + event.label;
      watch_.reset();
      return;  // start_churn follows
  }
}

bool Experiment::churn_active() const {
  return churn_.has_value();
}

void Experiment::start_churn(std::size_t event_index) {
  churn_ = event_index;
  ++churn_epoch_;
  const ScenarioEvent& event = scenario_.events[event_index];
  const ChurnSpec& churn = event.churn;
  const Time now = sim_.now();
  if (churn.mode == ChurnSpec::Mode::rate) {
    schedule(now + exponential_gap(random_, churn.rate_per_s), ActionKind::churn_arrive, 0,
             churn_epoch_);
    schedule(now + exponential_gap(random_, churn.rate_per_s), ActionKind::churn_leave, 0,
             churn_epoch_);
  } else {
    for (NodeIndex node : live_)
      schedule_session_end(node);
  }
  if (churn.until < scenario_.duration) {
    schedule(Time{} + churn.until, ActionKind::churn_end, 0, event_index);
  }
}

void Experiment::schedule_session_end(NodeIndex node) {
  const ChurnSpec& churn = scenario_.events[*churn_].churn;
  schedule(sim_.now() + std::max(churn_interval_min, churn.session_time.sample(random_)),
           ActionKind::churn_depart, node, churn_epoch_);
}

void Experiment::churn_action(const Action& action) {
  const ChurnSpec& churn = scenario_.events[*churn_].churn;
  const Time now = sim_.now();
  switch (action.kind) {
    case ActionKind::churn_depart:  // a session ends
      if (!alive(action.node, action.generation) || live_.size() <= 1) return;
      depart(action.node, random_.chance(churn.crash_fraction));
      if (churn.rejoin) {
        schedule(now + std::max(churn_interval_min, churn.downtime.sample(random_)),
                 ActionKind::churn_return, action.node, churn_epoch_);
      }
      return;
    case ActionKind::churn_return:  // back after the downtime, same id, fresh state
      if (live_position_[action.node] != not_live) return;
      if (sim_.is_running(action.node)) sim_.crash(action.node);  // still finishing its leave
      join_node(action.node);
      ++results_.rejoins;
      return;
    case ActionKind::churn_arrive:  // rate churn: Poisson arrivals of new nodes
      add_and_join();
      break;
    case ActionKind::churn_leave:  // rate churn: Poisson departures; the ring keeps one node
      if (live_.size() > 1) {
        depart(live_[random_.uniform(live_.size())], random_.chance(churn.crash_fraction));
      }
      break;
    default:
      CHORD_ASSERT(false);
  }
  schedule(now + exponential_gap(random_, churn.rate_per_s), action.kind, 0, churn_epoch_);
}

// ---------------------------------------------------------------------------------------
// Workload

void Experiment::issue_lookup() {
  ++results_.lookups_issued;
  const auto from = random_member();
  if (!from) {
    ++results_.lookups_unplaced;
  } else if (!sim_.lookup(*from, random_key(random_))) {
    ++results_.lookups_refused;  // the node's lookup table is full (ChordConfig::lookups_max)
  }
}

void Experiment::start_user(NodeIndex node, std::uint32_t generation) {
  if (!alive(node, generation)) return;
  User& user = users_[node];
  PeerNode* peer = sim_.peer(node);
  const auto handle = peer ? peer->chat().start_user(numbered("u", node))
                           : Result<std::string>(Error{Errc::not_member, "not running"});
  if (handle) {
    user.handle = *handle;
    user.key = NodeId::hash_of(*handle);
    return;
  }
  if (++user.attempts < user_start_attempts_max) {
    schedule(sim_.now() + user_start_retry, ActionKind::user_start, node);
  }
}

void Experiment::start_chat() {
  if (registered_.size() < 2) {
    ++results_.chats_unplaced;
    return;
  }
  const std::size_t count = registered_.size();
  const std::size_t a = random_.uniform(count);
  std::size_t b = random_.uniform(count - 1);
  if (b >= a) ++b;
  const NodeIndex opener = registered_[a];
  const auto chat = sim_.peer(opener)->chat().open_chat(users_[registered_[b]].handle);
  if (!chat) {
    ++results_.chats_unplaced;
    return;
  }
  const std::uint64_t index = runs_.size();
  runs_.push_back({opener, generation_[opener], *chat});
  run_of_[{opener, *chat}] = index;
  ++results_.chats_started;
  schedule(sim_.now(), ActionKind::chat_send, opener, index);
}

void Experiment::chat_send(std::uint64_t run_index) {
  ChatRun& run = runs_[run_index];
  if (run.finished || !alive(run.opener, run.generation)) return;
  const auto seq = sim_.peer(run.opener)->chat().send(run.chat_id, numbered("m", run.sent + 1));
  if (!seq) {
    run.finished = true;  // the chat ended under us (open failed, or the peer closed it)
    return;
  }
  ++run.sent;
  ++results_.messages_sent;
  ++window_.chat_sent;
  if (run.sent < scenario_.workload.messages_per_chat) {
    schedule(sim_.now() + scenario_.workload.message_interval, ActionKind::chat_send, run.opener,
             run_index);
  }
}

void Experiment::on_chat(NodeIndex node, const ChatEvent& event) {
  if (event.kind == ChatEventKind::registered || event.kind == ChatEventKind::register_failed) {
    const auto user = users_.find(node);
    if (user == users_.end() || user->second.registered || user->second.handle != event.handle) {
      return;
    }
    if (event.kind == ChatEventKind::register_failed) {
      ++results_.register_failed;
      return;
    }
    user->second.registered = true;
    registered_.push_back(node);
    ++results_.registered;
    return;
  }
  if (event.kind == ChatEventKind::message) {
    ++results_.messages_received;
    return;
  }
  const auto it = run_of_.find({node, event.chat_id});
  if (it == run_of_.end()) return;  // the receiving side, or a run already over
  ChatRun& run = runs_[it->second];
  switch (event.kind) {
    case ChatEventKind::opened:
      ++results_.chats_opened;
      return;
    case ChatEventKind::open_failed:
      ++results_.chats_open_failed;
      run.finished = true;
      return;
    case ChatEventKind::delivered:
      ++run.delivered;
      ++results_.messages_delivered;
      ++window_.chat_delivered;
      if (run.delivered == scenario_.workload.messages_per_chat) {
        run.finished = true;
        sim_.peer(node)->chat().end_chat(run.chat_id);  // allowed from a report (runtime.h)
      }
      return;
    case ChatEventKind::delivery_failed:
      ++run.failed;
      ++results_.messages_failed;
      ++window_.chat_failed;
      return;
    case ChatEventKind::ended:
      run.finished = true;
      return;
    default:
      return;
  }
}

void Experiment::on_lookup(const CheckedLookup& checked) {
  const LookupResult& result = checked.result;
  if (result.purpose != LookupPurpose::user) return;
  ++results_.lookups_done;
  ++window_.lookups;
  if (!result.ok()) {
    ++results_.lookups_failed;
    ++results_.failed_by[static_cast<std::size_t>(result.failure)];
    ++window_.lookups_failed;
    return;
  }
  if (checked.correct) {
    ++results_.lookups_correct;
  } else if (checked.raced_departure) {
    ++results_.lookups_raced;
  } else {
    ++results_.lookups_wrong;
    ++window_.lookups_wrong;
  }
  results_.timeouts_sum += result.timeouts;
  ++results_.hops[result.hops];
  const auto micros = static_cast<std::uint64_t>(result.latency.count());
  results_.latency.add(micros);
  ++window_.lookups_ok;
  window_.hops_sum += result.hops;
  window_.latency_us_sum += micros;
}

// ---------------------------------------------------------------------------------------
// Measurement

void Experiment::close_window() {
  WindowRow row = window_;
  row.end = elapsed();
  row.live_nodes = live_.size();
  const RingHealth health = sim_.health();
  row.members = health.members;
  row.ring_correct_fraction = health.fraction_correct();
  row.successor_correct_fraction =
      health.members == 0
          ? 0.0
          : static_cast<double>(health.successor_correct) / static_cast<double>(health.members);
  row.ring_ideal = health.ideal();
  row.invariants_hold = health.zave_invariants_hold();
  const SimCounters& counters = sim_.counters();
  row.messages = counters.messages_sent - window_start_counters_.messages_sent;
  row.bytes = counters.bytes_sent - window_start_counters_.bytes_sent;
  window_start_counters_ = counters;
  window_ = WindowRow{};
  ++results_.health_samples;
  results_.ideal_samples += row.ring_ideal ? 1 : 0;
  results_.invariant_samples += row.invariants_hold ? 1 : 0;
  results_.correct_fraction_sum += row.ring_correct_fraction;
  members_sum_ += static_cast<double>(row.members);
  results_.windows.push_back(row);
}

void Experiment::open_watch(const std::string& label) {
  if (watch_) results_.recoveries[*watch_].note = "not ideal before: " + label;
  watch_ = results_.recoveries.size();
  results_.recoveries.push_back({label, elapsed(), std::nullopt, {}});
  schedule(sim_.now() + scenario_.metrics.ring_check, ActionKind::ring_check, 0, *watch_);
}

void Experiment::check_ring() {
  Recovery& recovery = results_.recoveries[*watch_];
  if (sim_.health().ideal()) {
    recovery.after = elapsed() - recovery.at;
    watch_.reset();
    return;
  }
  schedule(sim_.now() + scenario_.metrics.ring_check, ActionKind::ring_check, 0, *watch_);
}

void Experiment::check_records() {
  if (!scenario_.metrics.check_records || results_.users_started == 0) return;
  results_.records_checked = true;
  std::vector<NodeId> held;
  for (NodeIndex node : live_) {
    const PeerNode* peer = sim_.peer(node);
    if (peer == nullptr) continue;
    peer->records().for_each_in(NodeId{}, NodeId{}, sim_.now(),
                                [&](const Record& record, RecordStore::Kind kind) {
                                  if (kind == RecordStore::Kind::live) held.push_back(record.key);
                                });
  }
  std::sort(held.begin(), held.end());
  held.erase(std::unique(held.begin(), held.end()), held.end());
  for (NodeIndex node : registered_) {
    ++results_.users_live_end;
    const bool found = std::binary_search(held.begin(), held.end(), users_[node].key);
    ++(found ? results_.records_found : results_.records_lost);
  }
  // A departed user's record must be gone once its lease has run out everywhere.
  const Duration grace = scenario_.sim.chat.register_lease + scenario_.sim.dht.lease_sweep_period;
  for (const auto& [key, when] : departed_users_) {
    if (sim_.now() - when > grace && std::binary_search(held.begin(), held.end(), key)) {
      ++results_.records_stale;
    }
  }
}

}  // namespace chord::sim
