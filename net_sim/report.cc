#include "net_sim/report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/json_writer.h"

namespace chord::sim {
namespace {

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

double percent(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

double ratio(double part, double whole) {
  return whole == 0 ? 0.0 : part / whole;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

// Traffic classes: what each message type is for.
enum class TrafficClass : std::uint8_t { maintenance, routing, dht, chat, setup };

TrafficClass class_of(std::size_t type) {
  switch (type) {
    case variant_index<Message, FindSuccessorRequest>():
    case variant_index<Message, FindSuccessorReply>():
      return TrafficClass::routing;
    case variant_index<Message, GetStateRequest>():
    case variant_index<Message, GetStateReply>():
    case variant_index<Message, Notify>():
    case variant_index<Message, Nudge>():
    case variant_index<Message, Ping>():
    case variant_index<Message, Pong>():
    case variant_index<Message, Leave>():
      return TrafficClass::maintenance;
    case variant_index<Message, Hello>():
      return TrafficClass::setup;
    case variant_index<Message, ChatOpen>():
    case variant_index<Message, ChatText>():
    case variant_index<Message, ChatClose>():
    case variant_index<Message, ChatAck>():
      return TrafficClass::chat;
    default:
      return TrafficClass::dht;
  }
}

struct Traffic {
  std::uint64_t messages[5] = {};
  std::uint64_t bytes[5] = {};
};

Traffic traffic_of(const SimCounters& counters) {
  Traffic traffic;
  for (std::size_t type = 0; type < counters.messages_by_type.size(); ++type) {
    const auto c = static_cast<std::size_t>(class_of(type));
    traffic.messages[c] += counters.messages_by_type[type];
    traffic.bytes[c] += counters.bytes_by_type[type];
  }
  return traffic;
}

// Node-seconds lived, from the windows (live nodes at each window's end times its length).
double node_seconds(const ExperimentResults& results) {
  double total = 0;
  Duration previous{0};
  for (const WindowRow& row : results.windows) {
    total += static_cast<double>(row.members) * seconds(row.end - previous);
    previous = row.end;
  }
  return total;
}

double half_log2(double n) {
  return n <= 1 ? 0.0 : 0.5 * std::log2(n);
}

// The expected mean path in our hop convention. Fingers alone: 1/2 log2 N (SIGCOMM Fig.
// 10a). With the successor list too, the last 1/2 log2 r hops go (ToN §V-D, whose
// 1/2 log2 N - 1/2 log2 r + 1 counts the owner as visited; we do not).
double hops_model(const Scenario& s, double n) {
  if (!s.sim.chord.route_with_successor_list) return half_log2(n);
  const double r = std::min<double>(s.sim.chord.successor_list_length, std::max(1.0, n - 1));
  return std::max(1.0, half_log2(n) - half_log2(r));
}

std::uint32_t hops_percentile(const ExperimentResults& results, double p) {
  std::uint64_t total = 0;
  for (const std::uint64_t count : results.hops)
    total += count;
  if (total == 0) return 0;
  std::uint64_t seen = 0;
  for (std::size_t h = 0; h < results.hops.size(); ++h) {
    seen += results.hops[h];
    if (static_cast<double>(seen) >= p * static_cast<double>(total)) {
      return static_cast<std::uint32_t>(h);
    }
  }
  return 255;
}

double hops_mean(const ExperimentResults& results) {
  std::uint64_t total = 0, sum = 0;
  for (std::size_t h = 0; h < results.hops.size(); ++h) {
    total += results.hops[h];
    sum += h * results.hops[h];
  }
  return total == 0 ? 0.0 : static_cast<double>(sum) / static_cast<double>(total);
}

const char* const class_names[] = {"maintenance", "routing", "dht", "chat", "setup"};

}  // namespace

std::string summary_text(const Scenario& s, const ExperimentResults& r, const HostFigures& host) {
  std::ostringstream out;
  const double lived = node_seconds(r);
  const Traffic traffic = traffic_of(r.counters);
  out << "chordsim: " << s.name << " (" << s.file << "), seed " << s.seed << "\n";
  out << "  nodes      " << s.nodes.initial << " initial, " << r.live_end << " live at the end ("
      << r.members_end << " ring members); " << r.joins << " joined, " << r.rejoins << " rejoined, "
      << r.crashes << " crashed, " << r.leaves << " left\n";
  out << "  run        " << format_duration(r.virtual_duration) << " virtual, " << r.counters.events
      << " events, " << r.counters.messages_sent << " messages\n";
  out << "  host       " << fixed(host.wall_s, 2) << " s wall, "
      << fixed(ratio(static_cast<double>(r.counters.events), host.wall_s), 0) << " events/s, "
      << fixed(host.peak_rss_mib, 1) << " MiB peak RSS on " << host.hostname << "\n";
  const std::uint64_t ok = r.lookups_correct + r.lookups_wrong + r.lookups_raced;
  out << "  lookups    " << r.lookups_done
      << " done: " << fixed(percent(r.lookups_correct, r.lookups_done), 2) << "% correct, "
      << fixed(percent(r.lookups_wrong, r.lookups_done), 3) << "% wrong owner, "
      << fixed(percent(r.lookups_failed, r.lookups_done), 3) << "% failed, "
      << fixed(percent(r.lookups_raced, r.lookups_done), 3) << "% raced a departure";
  if (r.lookups_unplaced) out << "; " << r.lookups_unplaced << " not placed (no member)";
  if (r.lookups_refused) out << "; " << r.lookups_refused << " refused (lookup table full)";
  out << "\n";
  out << "             hops mean " << fixed(hops_mean(r), 2) << " p50 " << hops_percentile(r, 0.5)
      << " p99 " << hops_percentile(r, 0.99)
      << " (1/2 log2 N = " << fixed(half_log2(r.members_mean), 2);
  if (s.sim.chord.route_with_successor_list) {
    out << "; with the successor list, 1/2 log2 N - 1/2 log2 r = "
        << fixed(hops_model(s, r.members_mean), 2);
  }
  out << "), timeouts/lookup "
      << fixed(ratio(static_cast<double>(r.timeouts_sum), static_cast<double>(ok)), 3) << "\n";
  out << "             latency ms mean " << fixed(r.latency.mean() / 1e3, 1) << " p50 "
      << fixed(r.latency.percentile(0.5) / 1e3, 1) << " p99 "
      << fixed(r.latency.percentile(0.99) / 1e3, 1) << "\n";
  if (r.users_started > 0) {
    out << "  records    " << r.registered << " users registered";
    if (r.records_checked) {
      out << "; at the end " << r.records_found << " of " << r.users_live_end
          << " live users' records held, " << r.records_lost << " lost, " << r.records_stale
          << " stale (departed users' past their lease)";
    }
    out << "\n";
  }
  if (r.chats_started > 0 || s.workload.chats_per_s > 0) {
    const std::uint64_t pending =
        r.messages_sent - r.messages_delivered - r.messages_failed - r.messages_orphaned;
    out << "  chat       " << r.chats_started << " chats (" << r.chats_opened << " opened, "
        << r.chats_open_failed << " failed to open); " << r.messages_sent << " messages sent, "
        << r.messages_delivered << " delivered, " << r.messages_failed << " failed, "
        << r.messages_orphaned << " lost with their sender, " << pending << " in flight\n";
  }
  out << "  ring       ideal at " << r.ideal_samples << " of " << r.health_samples
      << " samples, mean correctness "
      << fixed(100 * ratio(r.correct_fraction_sum, static_cast<double>(r.health_samples)), 2)
      << "%, Zave's invariants held at " << r.invariant_samples << "\n";
  for (const Recovery& recovery : r.recoveries) {
    out << "             " << recovery.event << " at " << format_duration(recovery.at) << ": ";
    if (recovery.after) {
      out << "ideal again after " << fixed(seconds(*recovery.after), 1) << " s\n";
    } else {
      out << recovery.note << "\n";
    }
  }
  const auto per_node_s = [&](std::uint64_t value) {
    return fixed(ratio(static_cast<double>(value), lived), 2);
  };
  const auto c_maint = static_cast<std::size_t>(TrafficClass::maintenance);
  const auto c_route = static_cast<std::size_t>(TrafficClass::routing);
  out << "  traffic    per node per second: maintenance (stabilize, notify, ping, leave) "
      << per_node_s(traffic.messages[c_maint]) << " msgs " << per_node_s(traffic.bytes[c_maint])
      << " B; routing (find_successor: fingers, joins, lookups) "
      << per_node_s(traffic.messages[c_route]) << " msgs " << per_node_s(traffic.bytes[c_route])
      << " B\n";
  return out.str();
}

namespace {

void write_lookups(const Scenario& s, const ExperimentResults& r, JsonWriter& json) {
  const std::uint64_t ok = r.lookups_correct + r.lookups_wrong + r.lookups_raced;
  json.key("lookups").begin_object();
  json.field("issued", r.lookups_issued)
      .field("not_placed", r.lookups_unplaced)
      .field("refused", r.lookups_refused)
      .field("count", r.lookups_done)
      .field("correct", r.lookups_correct)
      .field("wrong_owner", r.lookups_wrong)
      .field("raced_departure", r.lookups_raced)
      .field("failed", r.lookups_failed)
      .field("failed_no_route", r.failed_by[1])
      .field("failed_deadline", r.failed_by[2])
      .field("failed_hops", r.failed_by[3])
      .field("failed_not_member", r.failed_by[4])
      .field("success_pct", percent(r.lookups_correct, r.lookups_done))
      .field("wrong_owner_pct", percent(r.lookups_wrong, r.lookups_done))
      .field("failed_pct", percent(r.lookups_failed, r.lookups_done))
      .field("timeouts_mean", ratio(static_cast<double>(r.timeouts_sum), static_cast<double>(ok)))
      .field("hops_mean", hops_mean(r))
      .field("hops_p50", hops_percentile(r, 0.5))
      .field("hops_p99", hops_percentile(r, 0.99))
      .field("half_log2_n", half_log2(r.members_mean))
      .field("hops_model", hops_model(s, r.members_mean))
      .field("latency_ms_mean", r.latency.mean() / 1e3)
      .field("latency_ms_p50", r.latency.percentile(0.5) / 1e3)
      .field("latency_ms_p99", r.latency.percentile(0.99) / 1e3)
      .end_object();
}

void write_users(const ExperimentResults& r, JsonWriter& json) {
  json.key("records").begin_object();
  json.field("users_started", r.users_started)
      .field("registered", r.registered)
      .field("register_failed", r.register_failed)
      .field("checked", r.records_checked)
      .field("live_users_end", r.users_live_end)
      .field("stored", r.records_found)
      .field("lost", r.records_lost)
      .field("stale", r.records_stale)
      .end_object();
  json.key("chat").begin_object();
  json.field("chats", r.chats_started)
      .field("not_placed", r.chats_unplaced)
      .field("opened", r.chats_opened)
      .field("open_failed", r.chats_open_failed)
      .field("messages_sent", r.messages_sent)
      .field("delivered", r.messages_delivered)
      .field("failed", r.messages_failed)
      .field("lost_with_sender", r.messages_orphaned)
      .field("received", r.messages_received)
      .end_object();
}

void write_ring(const ExperimentResults& r, JsonWriter& json) {
  json.key("ring").begin_object();
  json.field("samples", r.health_samples)
      .field("ideal_samples", r.ideal_samples)
      .field("invariant_samples", r.invariant_samples)
      .field("correct_fraction_mean",
             ratio(r.correct_fraction_sum, static_cast<double>(r.health_samples)));
  json.key("recoveries").begin_array();
  for (const Recovery& recovery : r.recoveries) {
    json.begin_object().field("event", recovery.event).field("at_s", seconds(recovery.at));
    json.key("recovered_after_s");
    if (recovery.after) {
      json.value(seconds(*recovery.after));
    } else {
      json.null();
    }
    json.field("note", recovery.note).end_object();
  }
  json.end_array().end_object();
}

void write_traffic(const ExperimentResults& r, JsonWriter& json) {
  const double lived = node_seconds(r);
  const Traffic traffic = traffic_of(r.counters);
  json.key("traffic").begin_object();
  json.field("messages", r.counters.messages_sent)
      .field("bytes", r.counters.bytes_sent)
      .field("messages_lost", r.counters.messages_lost)
      .field("node_seconds", lived);
  json.key("per_node_per_s").begin_object();
  for (std::size_t c = 0; c < 5; ++c) {
    json.key(class_names[c]).begin_object();
    json.field("messages", ratio(static_cast<double>(traffic.messages[c]), lived));
    json.field("bytes", ratio(static_cast<double>(traffic.bytes[c]), lived));
    json.end_object();
  }
  json.end_object();
  json.key("by_type").begin_object();
  for (std::size_t type = 0; type < r.counters.messages_by_type.size(); ++type) {
    json.key(message_type_name(type)).begin_object();
    json.field("messages", r.counters.messages_by_type[type]);
    json.field("bytes", r.counters.bytes_by_type[type]);
    json.end_object();
  }
  json.end_object().end_object();
}

}  // namespace

std::string summary_json(const Scenario& s, const ExperimentResults& r, const HostFigures& host) {
  JsonWriter json;
  json.begin_object();
  json.key("scenario").begin_object();
  json.field("name", s.name).field("file", s.file).field("seed", s.seed);
  json.key("overrides").begin_array();
  for (const std::string& o : s.overrides)
    json.value(o);
  json.end_array();
  json.key("resolved");
  write_resolved(s, json);
  json.end_object();
  json.key("nodes").begin_object();
  json.field("initial", s.nodes.initial)
      .field("joins", r.joins)
      .field("rejoins", r.rejoins)
      .field("crashes", r.crashes)
      .field("leaves", r.leaves)
      .field("arrivals_refused", r.arrivals_refused)
      .field("live_peak", std::uint64_t{r.live_peak})
      .field("final_live", std::uint64_t{r.live_end})
      .field("final_members", std::uint64_t{r.members_end})
      .field("members_mean", r.members_mean)
      .end_object();
  json.field("virtual_duration_s", seconds(r.virtual_duration));
  json.field("events", r.counters.events);
  write_lookups(s, r, json);
  write_users(r, json);
  write_ring(r, json);
  write_traffic(r, json);
  // The only figures that depend on the machine: kept apart, last.
  json.key("host").begin_object();
  json.field("wall_s", host.wall_s)
      .field("events_per_s", ratio(static_cast<double>(r.counters.events), host.wall_s))
      .field("virtual_s_per_wall_s", ratio(seconds(r.virtual_duration), host.wall_s))
      .field("peak_rss_mib", host.peak_rss_mib)
      .field("hostname", host.hostname)
      .end_object();
  json.end_object();
  return json.str() + "\n";
}

std::string timeseries_csv(const ExperimentResults& results) {
  std::ostringstream out;
  out << "time_s,live_nodes,members,lookups,lookups_failed,lookups_wrong,lookup_failed_fraction,"
         "hops_mean,latency_ms_mean,ring_correct_fraction,successor_correct_fraction,ring_ideal,"
         "invariants_hold,chat_sent,chat_delivered,chat_failed,messages,bytes\n";
  for (const WindowRow& row : results.windows) {
    const double ok = static_cast<double>(row.lookups_ok);
    out << fixed(seconds(row.end), 3) << ',' << row.live_nodes << ',' << row.members << ','
        << row.lookups << ',' << row.lookups_failed << ',' << row.lookups_wrong << ','
        << fixed(ratio(static_cast<double>(row.lookups_failed + row.lookups_wrong),
                       static_cast<double>(row.lookups)),
                 6)
        << ',' << fixed(ratio(static_cast<double>(row.hops_sum), ok), 3) << ','
        << fixed(ratio(static_cast<double>(row.latency_us_sum), ok) / 1e3, 3) << ','
        << fixed(row.ring_correct_fraction, 6) << ',' << fixed(row.successor_correct_fraction, 6)
        << ',' << (row.ring_ideal ? 1 : 0) << ',' << (row.invariants_hold ? 1 : 0) << ','
        << row.chat_sent << ',' << row.chat_delivered << ',' << row.chat_failed << ','
        << row.messages << ',' << row.bytes << '\n';
  }
  return out.str();
}

std::string hops_csv(const ExperimentResults& results) {
  std::ostringstream out;
  out << "hops,count\n";
  std::size_t last = 0;
  for (std::size_t h = 0; h < results.hops.size(); ++h) {
    if (results.hops[h] != 0) last = h;
  }
  for (std::size_t h = 0; h <= last; ++h)
    out << h << ',' << results.hops[h] << '\n';
  return out.str();
}

std::string latency_csv(const ExperimentResults& results) {
  std::ostringstream out;
  out << "latency_ms_low,latency_ms_high,count\n";
  const auto& counts = results.latency.counts();
  for (std::size_t b = 0; b < counts.size(); ++b) {
    if (counts[b] == 0) continue;
    out << fixed(static_cast<double>(LatencyHistogram::lower_bound(b)) / 1e3, 3) << ','
        << fixed(static_cast<double>(LatencyHistogram::upper_bound(b)) / 1e3, 3) << ',' << counts[b]
        << '\n';
  }
  return out.str();
}

std::string events_csv(const ExperimentResults& results) {
  std::ostringstream out;
  out << "time_s,event\n";
  for (const auto& [at, label] : results.marks)
    out << fixed(seconds(at), 3) << ',' << label << '\n';
  return out.str();
}

}  // namespace chord::sim
