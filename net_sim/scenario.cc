#include "net_sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/peer_node.h"
#include "net_sim/scenario_yaml.h"

namespace chord::sim {
namespace {

using namespace yaml;
using Kind = YamlValue::Kind;

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

DurationDistribution read_distribution(const YamlValue& value, const std::string& section) {
  DurationDistribution d;
  if (value.kind == Kind::scalar) {  // a bare duration: constant
    d.kind = DurationDistribution::Kind::constant;
    d.value = read_duration(value);
    return d;
  }
  Fields fields(value, section);
  const YamlValue* kind = fields.take("distribution");
  if (kind == nullptr)
    fail(value, section +
                    " needs a distribution (constant, uniform, "
                    "exponential, lognormal, pareto or weibull)");
  const std::string name = read_string(*kind);
  auto need = [&](const char* key) -> const YamlValue& {
    const YamlValue* v = fields.take(key);
    if (v == nullptr) fail(value, "a " + name + " distribution needs '" + key + "'");
    return *v;
  };
  auto positive = [&](const char* key) {
    const YamlValue& v = need(key);
    const Duration duration = read_duration(v);
    if (duration <= Duration(0)) fail(v, std::string(key) + " must be positive");
    return duration;
  };
  if (name == "constant") {
    d.kind = DurationDistribution::Kind::constant;
    d.value = read_duration(need("value"));
  } else if (name == "uniform") {
    d.kind = DurationDistribution::Kind::uniform;
    d.min = read_duration(need("min"));
    const YamlValue& max = need("max");
    d.max = read_duration(max);
    if (d.max < d.min) fail(max, "max is below min");
  } else if (name == "exponential") {
    d.kind = DurationDistribution::Kind::exponential;
    d.mean = positive("mean");
  } else if (name == "lognormal") {
    d.kind = DurationDistribution::Kind::lognormal;
    d.median = positive("median");
    d.sigma = read_real(need("sigma"), 0.0, 5.0);
  } else if (name == "pareto") {
    d.kind = DurationDistribution::Kind::pareto;
    d.mean = positive("mean");
    const YamlValue& shape = need("shape");
    d.shape = read_real(shape, 0.0, 100.0);
    if (d.shape <= 1.0) fail(shape, "a pareto shape must be above 1 (else the mean is infinite)");
  } else if (name == "weibull") {
    d.kind = DurationDistribution::Kind::weibull;
    d.scale = positive("scale");
    const YamlValue& shape = need("shape");
    d.shape = read_real(shape, 0.0, 100.0);
    if (d.shape <= 0.0) fail(shape, "a weibull shape must be positive");
  } else {
    fail(*kind, "unknown distribution '" + name +
                    "' (use constant, uniform, exponential, lognormal, pareto or weibull)");
  }
  fields.done();
  return d;
}

Duration positive_duration(const YamlValue& value) {
  const Duration d = read_duration(value);
  if (d <= Duration(0)) fail(value, "must be positive");
  return d;
}

void read_network(const YamlValue& value, NetworkConfig& network) {
  Fields fields(value, "network");
  if (const YamlValue* v = fields.take("latency")) {
    network.latency = read_distribution(*v, "network.latency");
  }
  if (const YamlValue* v = fields.take("loss")) network.loss = read_fraction(*v);
  fields.done();
}

void read_chord(const YamlValue& value, ChordConfig& chord) {
  Fields fields(value, "chord");
  if (const YamlValue* v = fields.take("successor_list_length")) {
    chord.successor_list_length = static_cast<std::uint32_t>(read_count(*v, 1, successors_max));
  }
  if (const YamlValue* v = fields.take("stabilize_period")) {
    chord.stabilize_period = positive_duration(*v);
  }
  if (const YamlValue* v = fields.take("fix_fingers_period")) {
    chord.fix_fingers_period = positive_duration(*v);
  }
  if (const YamlValue* v = fields.take("ping_predecessor_period")) {
    chord.ping_predecessor_period = positive_duration(*v);
  }
  if (const YamlValue* v = fields.take("check_ring_period")) {
    chord.check_ring_period = read_duration(*v);
  }
  if (const YamlValue* v = fields.take("jitter")) chord.jitter_fraction = read_real(*v, 0, 0.99);
  if (const YamlValue* v = fields.take("quiet_backoff_max")) {
    chord.quiet_backoff_max = static_cast<std::uint32_t>(read_count(*v, 1, 64));
  }
  if (const YamlValue* v = fields.take("reform_after_rounds")) {
    chord.reform_after_rounds = static_cast<std::uint32_t>(read_count(*v, 0, 1000));
  }
  const YamlValue* rpc_timeout = fields.take("rpc_timeout");
  if (rpc_timeout) chord.rpc_timeout = positive_duration(*rpc_timeout);
  const YamlValue* lookup_timeout = fields.take("lookup_timeout");
  if (lookup_timeout) chord.lookup_timeout = positive_duration(*lookup_timeout);
  if (const YamlValue* v = fields.take("lookup_hops_max")) {
    chord.lookup_hops_max = static_cast<std::uint32_t>(read_count(*v, 1, 250));
  }
  if (const YamlValue* v = fields.take("verify_owner")) chord.verify_owner = read_bool(*v);
  if (const YamlValue* v = fields.take("route_with_successor_list")) {
    chord.route_with_successor_list = read_bool(*v);
  }
  if (const YamlValue* v = fields.take("build_fingers_on_join")) {
    chord.build_fingers_on_join = read_bool(*v);
  }
  fields.done();
  if (chord.lookup_timeout < chord.rpc_timeout) {
    fail(lookup_timeout ? *lookup_timeout : *rpc_timeout,
         "lookup_timeout (" + format_duration(chord.lookup_timeout) +
             ") must be at least rpc_timeout (" + format_duration(chord.rpc_timeout) + ")");
  }
  if (const char* why = validate(chord)) fail(value, why);
}

void read_dht(const YamlValue& value, SimConfig& sim) {
  Fields fields(value, "dht");
  const YamlValue* replicas = fields.take("replicas");
  if (replicas) {
    sim.dht.replicas = static_cast<std::uint32_t>(read_count(*replicas, 0, successors_max));
  }
  if (const YamlValue* v = fields.take("replicate_period")) {
    sim.dht.replicate_period = positive_duration(*v);
  }
  if (const YamlValue* v = fields.take("lease")) sim.chat.register_lease = positive_duration(*v);
  const YamlValue* renew = fields.take("renew_period");
  if (renew) sim.chat.renew_period = positive_duration(*renew);
  if (const YamlValue* v = fields.take("records_max")) {
    sim.dht.records_max = static_cast<std::uint32_t>(read_count(*v, 1, 10000000));
  }
  fields.done();
  if (sim.chat.renew_period >= sim.chat.register_lease) {
    fail(renew ? *renew : value, "renew_period must be shorter than the lease, or records expire");
  }
}

void read_nodes(const YamlValue& value, NodesSpec& nodes) {
  Fields fields(value, "nodes");
  if (const YamlValue* v = fields.take("initial")) nodes.initial = read_count(*v, 1, 1u << 24);
  if (const YamlValue* v = fields.take("start")) {
    const std::string start = read_string(*v);
    if (start == "ideal") {
      nodes.start = NodesSpec::Start::ideal;
    } else if (start == "join") {
      nodes.start = NodesSpec::Start::join;
    } else {
      fail(*v, "expected ideal (the fast start) or join, found '" + start + "'");
    }
  }
  if (const YamlValue* v = fields.take("join_over")) nodes.join_over = read_duration(*v);
  if (const YamlValue* v = fields.take("bootstrap")) {
    nodes.bootstrap = static_cast<std::uint32_t>(read_count(*v, 1, 16));
  }
  fields.done();
}

void read_workload(const YamlValue& value, WorkloadSpec& workload) {
  Fields fields(value, "workload");
  if (const YamlValue* v = fields.take("start")) workload.start = read_duration(*v);
  if (const YamlValue* v = fields.take("lookups")) workload.lookups_per_s = read_rate(*v);
  if (const YamlValue* v = fields.take("lookups_per_node")) {
    workload.lookups_per_node_per_s = read_rate(*v);
  }
  if (const YamlValue* v = fields.take("users")) workload.users = read_fraction(*v);
  const YamlValue* chats = fields.take("chats");
  if (chats) workload.chats_per_s = read_rate(*chats);
  if (const YamlValue* v = fields.take("messages_per_chat")) {
    workload.messages_per_chat =
        static_cast<std::uint32_t>(read_count(*v, 1, scenario_messages_per_chat_max));
  }
  if (const YamlValue* v = fields.take("message_interval")) {
    workload.message_interval = positive_duration(*v);
  }
  fields.done();
  if (chats && workload.chats_per_s > 0 && workload.users == 0) {
    fail(*chats, "chats need users: set workload.users above 0");
  }
}

void read_metrics(const YamlValue& value, MetricsSpec& metrics) {
  Fields fields(value, "metrics");
  if (const YamlValue* v = fields.take("window")) metrics.window = positive_duration(*v);
  if (const YamlValue* v = fields.take("ring_check")) {
    metrics.ring_check = positive_duration(*v);
    if (metrics.ring_check < scenario_ring_check_min) fail(*v, "ring_check below 10ms");
  }
  if (const YamlValue* v = fields.take("check_records")) metrics.check_records = read_bool(*v);
  fields.done();
}

std::string percent_label(double fraction) {
  std::ostringstream out;
  out << fraction * 100 << "%";
  return out.str();
}

// Sessions and downtimes are drawn no shorter than churn_interval_min; a distribution
// centred below it would be another distribution in disguise, so it is refused.
void require_churn_interval(const DurationDistribution& d, const YamlValue& at) {
  using K = DurationDistribution::Kind;
  const Duration typical = d.kind == K::constant    ? d.value
                           : d.kind == K::uniform   ? d.max
                           : d.kind == K::lognormal ? d.median
                           : d.kind == K::weibull   ? d.scale
                                                    : d.mean;
  if (typical < churn_interval_min) {
    fail(at, "sessions and downtimes must be at least " + format_duration(churn_interval_min) +
                 " (the simulator raises shorter draws to it)");
  }
}

ChurnSpec read_churn(const YamlValue& value, Duration at, Duration duration) {
  ChurnSpec churn;
  churn.until = duration;
  Fields fields(value, "churn");
  const YamlValue* rate = fields.take("rate");
  const YamlValue* session = fields.take("session_time");
  if ((rate == nullptr) == (session == nullptr)) {
    fail(session ? *fields.key("session_time") : value,
         "churn needs exactly one of 'rate' (Poisson joins and departures) or "
         "'session_time' (a distribution)");
  }
  if (rate) {
    churn.mode = ChurnSpec::Mode::rate;
    churn.rate_per_s = read_rate(*rate);
    if (churn.rate_per_s <= 0) fail(*rate, "a churn rate must be positive");
    // Rate churn adds new nodes: keep their expected number well inside what the
    // simulator addresses (arrivals beyond it are refused at run time).
    if (churn.rate_per_s * std::chrono::duration<double>(duration - at).count() >
        static_cast<double>(scenario_nodes_max / 2)) {
      fail(*rate, "this rate would add over 8388608 nodes before the end of the run");
    }
  } else {
    churn.mode = ChurnSpec::Mode::session;
    churn.session_time = read_distribution(*session, "churn.session_time");
    require_churn_interval(churn.session_time, *session);
    churn.downtime = churn.session_time;
  }
  if (const YamlValue* v = fields.take("downtime")) {
    if (rate) fail(*v, "downtime applies to session_time churn (rate churn joins new nodes)");
    churn.downtime = read_distribution(*v, "churn.downtime");
    require_churn_interval(churn.downtime, *v);
  }
  if (const YamlValue* v = fields.take("crash")) churn.crash_fraction = read_fraction(*v);
  if (const YamlValue* v = fields.take("rejoin")) churn.rejoin = read_bool(*v);
  if (const YamlValue* v = fields.take("until")) {
    churn.until = read_duration(*v);
    if (churn.until <= at) fail(*v, "until must come after the event's time");
    if (churn.until > duration) fail(*v, "until is after the end of the run");
  }
  fields.done();
  return churn;
}

// The population a count may not exceed at an event: initial plus joins so far, unless
// rate churn makes it unbounded (then 0: no check).
std::uint64_t population_bound(const Scenario& scenario, Duration at) {
  std::uint64_t bound = scenario.nodes.initial;
  for (const ScenarioEvent& e : scenario.events) {
    if (e.at > at) continue;
    if (e.kind == ScenarioEvent::Kind::join) bound += e.count;
    if (e.kind == ScenarioEvent::Kind::churn && e.churn.mode == ChurnSpec::Mode::rate) return 0;
  }
  return bound;
}

void read_departure(const YamlValue& v, ScenarioEvent& event, const char* verb) {
  event.is_fraction = looks_like_fraction(v);
  if (event.is_fraction) {
    event.fraction = read_fraction(v);
    event.label = std::string(verb) + " " + percent_label(event.fraction);
    return;
  }
  event.count = read_count(v, 0, scenario_nodes_max);  // checked once all events are read
  event.label = std::string(verb) + " " + std::to_string(event.count);
}

void read_partition(const YamlValue& v, ScenarioEvent& event) {
  if (v.kind == Kind::scalar) {
    const std::uint64_t groups = read_count(v, 2, scenario_groups_max);
    event.groups.assign(groups, 1.0 / static_cast<double>(groups));
  } else if (v.kind == Kind::sequence) {
    if (v.values.size() < 2 || v.values.size() > scenario_groups_max) {
      fail(v, "a partition has 2 to " + std::to_string(scenario_groups_max) + " groups");
    }
    double sum = 0;
    for (const YamlValue& item : v.values) {
      event.groups.push_back(read_fraction(item));
      sum += event.groups.back();
    }
    if (std::abs(sum - 1.0) > 1e-6) fail(v, "the groups' fractions must add up to 100%");
  } else {
    fail(v, "expected a number of equal groups, or a list of fractions like [70%, 30%]");
  }
  event.label = "partition " + std::to_string(event.groups.size()) + " groups";
}

// Reads one event into scenario.events; returns its action's value (for later checks).
const YamlValue* read_event(const YamlValue& value, Scenario& scenario) {
  Fields fields(value, "an event");
  ScenarioEvent event;
  const YamlValue* at = fields.take("at");
  if (at == nullptr) fail(value, "an event needs 'at' (its virtual time, like 2m)");
  event.at = read_duration(*at);
  if (event.at > scenario.duration) {
    fail(*at, "after the end of the run (duration " + format_duration(scenario.duration) + ")");
  }
  static constexpr const char* actions[] = {"join",      "crash", "leave", "churn",
                                            "partition", "heal",  "loss"};
  const YamlValue* action = nullptr;
  std::string name;
  for (const char* candidate : actions) {
    const YamlValue* v = fields.take(candidate);
    if (v == nullptr) continue;
    if (action != nullptr) {
      fail(*fields.key(candidate),
           "an event has one action; this one has '" + name + "' and '" + candidate + "'");
    }
    action = v;
    name = candidate;
  }
  const YamlValue* over = fields.take("over");
  fields.done();
  if (action == nullptr) {
    fail(value, "an event needs an action: join, crash, leave, churn, partition, heal or loss");
  }
  if (over != nullptr && name != "join") fail(*over, "'over' applies to join events only");
  if (name == "join") {
    event.kind = ScenarioEvent::Kind::join;
    event.count = read_count(*action, 1, scenario_nodes_max);
    if (over) event.over = read_duration(*over);
    event.label = "join " + std::to_string(event.count);
  } else if (name == "crash" || name == "leave") {
    event.kind = name == "crash" ? ScenarioEvent::Kind::crash : ScenarioEvent::Kind::leave;
    read_departure(*action, event, name.c_str());
  } else if (name == "churn") {
    event.kind = ScenarioEvent::Kind::churn;
    event.churn = read_churn(*action, event.at, scenario.duration);
    event.label = "churn starts";
  } else if (name == "partition") {
    event.kind = ScenarioEvent::Kind::partition;
    read_partition(*action, event);
  } else if (name == "heal") {
    event.kind = ScenarioEvent::Kind::heal;
    if (!read_bool(*action)) fail(*action, "write 'heal: true' (or leave the event out)");
    event.label = "heal";
  } else {
    event.kind = ScenarioEvent::Kind::loss;
    event.loss = read_fraction(*action);
    event.label = "loss " + percent_label(event.loss);
  }
  scenario.events.push_back(std::move(event));
  return action;
}

void read_events(const YamlValue& value, Scenario& scenario) {
  if (value.kind == Kind::null) return;
  if (value.kind != Kind::sequence) fail(value, "events must be a list (each item '- at: ...')");
  if (value.values.size() > scenario_events_max) fail(value, "more than 10000 events");
  std::vector<const YamlValue*> actions;
  std::uint64_t nodes = scenario.nodes.initial;
  for (const YamlValue& item : value.values) {
    actions.push_back(read_event(item, scenario));
    if (scenario.events.back().kind != ScenarioEvent::Kind::join) continue;
    nodes += scenario.events.back().count;
    if (nodes > scenario_nodes_max) fail(item, "joins take the run over 16777216 nodes");
  }
  // Counts against the population at their time, whatever order the file lists events in.
  for (std::size_t i = 0; i < scenario.events.size(); ++i) {
    const ScenarioEvent& e = scenario.events[i];
    if (e.kind != ScenarioEvent::Kind::crash && e.kind != ScenarioEvent::Kind::leave) continue;
    const std::uint64_t bound = population_bound(scenario, e.at);
    if (e.is_fraction || bound == 0 || e.count <= bound) continue;
    fail(*actions[i], e.label + " nodes, but at most " + std::to_string(bound) +
                          " can be live at " + format_duration(e.at));
  }
  std::stable_sort(scenario.events.begin(), scenario.events.end(),
                   [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at < b.at; });
}

std::string file_stem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  const std::size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

Scenario read_scenario(const YamlValue& root, const std::string& path,
                       const std::vector<std::string>& overrides,
                       std::optional<std::uint64_t> seed) {
  Scenario scenario;
  scenario.file = path;
  scenario.overrides = overrides;
  scenario.name = file_stem(path);
  Fields fields(root, "the scenario");
  // Every key is taken before any is read, so a misspelt key is reported as unknown
  // rather than as the missing key it was meant to be.
  const YamlValue* name = fields.take("name");
  fields.take("description");  // free text, for people
  const YamlValue* seed_value = fields.take("seed");
  const YamlValue* duration = fields.take("duration");
  const YamlValue* network = fields.take("network");
  const YamlValue* chord = fields.take("chord");
  const YamlValue* dht = fields.take("dht");
  const YamlValue* nodes = fields.take("nodes");
  const YamlValue* workload = fields.take("workload");
  const YamlValue* metrics = fields.take("metrics");
  const YamlValue* events = fields.take("events");
  fields.done();
  if (name) {
    scenario.name = read_string(*name);
    // The name is the default output directory: keep it one plain path component.
    const bool plain = std::all_of(scenario.name.begin(), scenario.name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (scenario.name.empty() || scenario.name.size() > 64 || !plain || scenario.name[0] == '.') {
      fail(*name, "a name is 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'");
    }
  }
  if (seed_value) scenario.seed = read_count(*seed_value, 0, ~0ULL);
  if (seed) scenario.seed = *seed;
  if (duration == nullptr) fail(root, "a scenario needs a duration (virtual time, like 10m)");
  scenario.duration = positive_duration(*duration);
  if (network) read_network(*network, scenario.sim.network);
  if (chord) read_chord(*chord, scenario.sim.chord);
  if (dht) read_dht(*dht, scenario.sim);
  if (nodes) read_nodes(*nodes, scenario.nodes);
  if (workload) read_workload(*workload, scenario.workload);
  if (metrics) read_metrics(*metrics, scenario.metrics);
  if (scenario.duration / scenario.metrics.window > std::int64_t{scenario_windows_max}) {
    const YamlValue* window = metrics ? metrics->find("window") : nullptr;
    fail(window ? *window : *duration,
         "duration / metrics.window is over 100000 timeseries rows: make the window longer");
  }
  if (events) read_events(*events, scenario);
  scenario.sim.seed = scenario.seed;
  if (scenario.sim.dht.replicas > scenario.sim.chord.successor_list_length) {
    const YamlValue* at = dht ? dht->find("replicas") : nullptr;
    if (at == nullptr && chord) at = chord->find("successor_list_length");
    fail(at ? *at : root,
         "dht.replicas must not exceed chord.successor_list_length (replicas are successors)");
  }
  const NodeConfig node_config{scenario.sim.chord, scenario.sim.dht, scenario.sim.chat};
  if (const char* why = validate(node_config)) fail(root, why);
  return scenario;
}

}  // namespace

std::string describe(const DurationDistribution& d) {
  using Kind = DurationDistribution::Kind;
  std::ostringstream out;
  switch (d.kind) {
    case Kind::constant:
      out << "constant " << format_duration(d.value);
      break;
    case Kind::uniform:
      out << "uniform " << format_duration(d.min) << " to " << format_duration(d.max);
      break;
    case Kind::exponential:
      out << "exponential, mean " << format_duration(d.mean);
      break;
    case Kind::lognormal:
      out << "lognormal, median " << format_duration(d.median) << ", sigma " << d.sigma;
      break;
    case Kind::pareto:
      out << "pareto, mean " << format_duration(d.mean) << ", shape " << d.shape;
      break;
    case Kind::weibull:
      out << "weibull, scale " << format_duration(d.scale) << ", shape " << d.shape;
      break;
  }
  return out.str();
}

std::uint64_t nodes_bound(const Scenario& scenario) {
  double nodes = static_cast<double>(scenario.nodes.initial);
  for (const ScenarioEvent& e : scenario.events) {
    if (e.kind == ScenarioEvent::Kind::join) nodes += static_cast<double>(e.count);
    if (e.kind == ScenarioEvent::Kind::churn && e.churn.mode == ChurnSpec::Mode::rate) {
      const double seconds_on = std::chrono::duration<double>(e.churn.until - e.at).count();
      nodes += 1.1 * e.churn.rate_per_s * seconds_on + 100;  // Poisson: mean plus a margin
    }
  }
  return static_cast<std::uint64_t>(std::min(nodes, static_cast<double>(scenario_nodes_max)));
}

std::string format_duration(Duration duration) {
  const std::int64_t us = duration.count();
  struct Unit {
    std::int64_t micros;
    const char* name;
  };
  static constexpr Unit units[] = {{86400000000, "d"}, {3600000000, "h"}, {60000000, "m"},
                                   {1000000, "s"},     {1000, "ms"},      {1, "us"}};
  if (us == 0) return "0s";
  for (const Unit& unit : units) {
    if (us % unit.micros == 0) return std::to_string(us / unit.micros) + unit.name;
  }
  return std::to_string(us) + "us";
}

ScenarioResult parse_scenario(std::string_view text, const std::string& path,
                              const std::vector<std::string>& overrides,
                              std::optional<std::uint64_t> seed) {
  try {
    YamlValue root = parse_yaml(text, path);
    if (root.kind != Kind::map) fail(root, "a scenario is a map of settings (name: ..., ...)");
    for (const std::string& assignment : overrides)
      apply_override(root, assignment);
    return read_scenario(root, path, overrides, seed);
  } catch (const ScenarioFailure& failure) {
    return failure.error;
  } catch (const std::exception& error) {  // yaml-cpp or the library: never past here
    return ScenarioError{path, std::string("cannot read: ") + error.what()};
  }
}

ScenarioResult load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                             std::optional<std::uint64_t> seed) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ScenarioError{path, "cannot open the scenario file (does it exist?)"};
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > scenario_file_bytes_max) {
      return ScenarioError{path, "larger than 1 MiB: not a scenario file"};
    }
  }
  if (in.bad()) return ScenarioError{path, "cannot read the scenario file"};
  return parse_scenario(text, path, overrides, seed);
}

void write_resolved(const Scenario& s, JsonWriter& json) {
  const ChordConfig& chord = s.sim.chord;
  json.begin_object();
  json.field("name", s.name).field("seed", s.seed).field("duration_s", seconds(s.duration));
  json.key("network").begin_object();
  json.field("latency", describe(s.sim.network.latency));
  json.field("loss", s.sim.network.loss).end_object();
  json.key("chord").begin_object();
  json.field("successor_list_length", chord.successor_list_length)
      .field("stabilize_period_s", seconds(chord.stabilize_period))
      .field("fix_fingers_period_s", seconds(chord.fix_fingers_period))
      .field("ping_predecessor_period_s", seconds(chord.ping_predecessor_period))
      .field("check_ring_period_s", seconds(chord.check_ring_period))
      .field("jitter", chord.jitter_fraction)
      .field("quiet_backoff_max", chord.quiet_backoff_max)
      .field("reform_after_rounds", chord.reform_after_rounds)
      .field("rpc_timeout_s", seconds(chord.rpc_timeout))
      .field("lookup_timeout_s", seconds(chord.lookup_timeout))
      .field("lookup_hops_max", chord.lookup_hops_max)
      .field("verify_owner", chord.verify_owner)
      .field("route_with_successor_list", chord.route_with_successor_list)
      .field("build_fingers_on_join", chord.build_fingers_on_join)
      .end_object();
  json.key("dht").begin_object();
  json.field("replicas", s.sim.dht.replicas)
      .field("replicate_period_s", seconds(s.sim.dht.replicate_period))
      .field("lease_s", seconds(s.sim.chat.register_lease))
      .field("renew_period_s", seconds(s.sim.chat.renew_period))
      .field("records_max", s.sim.dht.records_max)
      .end_object();
  json.key("nodes").begin_object();
  json.field("initial", s.nodes.initial)
      .field("start", s.nodes.start == NodesSpec::Start::ideal ? "ideal" : "join")
      .field("join_over_s", seconds(s.nodes.join_over))
      .field("bootstrap", s.nodes.bootstrap)
      .end_object();
  json.key("workload").begin_object();
  json.field("start_s", seconds(s.workload.start))
      .field("lookups_per_s", s.workload.lookups_per_s)
      .field("lookups_per_node_per_s", s.workload.lookups_per_node_per_s)
      .field("users", s.workload.users)
      .field("chats_per_s", s.workload.chats_per_s)
      .field("messages_per_chat", s.workload.messages_per_chat)
      .field("message_interval_s", seconds(s.workload.message_interval))
      .end_object();
  json.key("metrics").begin_object();
  json.field("window_s", seconds(s.metrics.window))
      .field("ring_check_s", seconds(s.metrics.ring_check))
      .field("check_records", s.metrics.check_records)
      .end_object();
  json.key("events").begin_array();
  for (const ScenarioEvent& e : s.events) {
    json.begin_object().field("at_s", seconds(e.at)).field("event", e.label);
    if (e.kind == ScenarioEvent::Kind::churn) {
      const ChurnSpec& c = e.churn;
      if (c.mode == ChurnSpec::Mode::rate) {
        json.field("rate_per_s", c.rate_per_s);
      } else {
        json.field("session_time", describe(c.session_time));
        json.field("downtime", describe(c.downtime));
        json.field("rejoin", c.rejoin);
      }
      json.field("crash", c.crash_fraction).field("until_s", seconds(c.until));
    }
    if (e.kind == ScenarioEvent::Kind::join) json.field("over_s", seconds(e.over));
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

}  // namespace chord::sim
