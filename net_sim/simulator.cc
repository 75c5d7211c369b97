#include "net_sim/simulator.h"

#include <algorithm>

#include "core/codec.h"
#include "core/ring_interval.h"

namespace chord::sim {
namespace {

constexpr std::uint16_t sim_port = 4000;
constexpr NodeIndex nodes_max = 1u << 24;  // 10.x.y.z: 24 bits of address
static_assert(nodes_max <= Event::nodes_max);
static_assert(std::variant_size_v<Message> <= 64);  // an event's message type has 6 bits

}  // namespace

Simulator::Simulator(const SimConfig& config)
    : config_(config),
      node_config_{config.chord, config.dht, config.chat},
      network_random_(mix_seed(config.seed, 1)),
      id_random_(mix_seed(config.seed, 2)) {
  CHORD_ASSERT(validate(node_config_) == nullptr);
}

// ---------------------------------------------------------------------------------------
// Nodes

NodeIndex Simulator::add_node() {
  NodeId::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t word = id_random_.next();
    for (std::size_t j = 0; j < 8 && i + j < bytes.size(); ++j) {
      bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
    }
  }
  return add_node(NodeId(bytes));
}

void Simulator::reserve(std::size_t nodes) {
  nodes = std::min<std::size_t>(nodes, nodes_max);
  reach_.reserve(nodes);
  timer_generation_.reserve(nodes);
  table_.reserve(nodes);
  oracle_.reserve(nodes);
}

NodeIndex Simulator::add_node(const NodeId& id) {
  CHORD_ASSERT(slots_.size() < nodes_max);
  const auto index = static_cast<NodeIndex>(slots_.size());
  slots_.emplace_back(*this, index, id);
  reach_.emplace_back();
  timer_generation_.emplace_back();
  table_.push_back(nullptr);
  return index;
}

Endpoint Simulator::endpoint_of(NodeIndex index) const {
  return Endpoint::ipv4({10, static_cast<std::uint8_t>(index >> 16),
                         static_cast<std::uint8_t>(index >> 8), static_cast<std::uint8_t>(index)},
                        sim_port);
}

std::optional<NodeIndex> Simulator::index_of(const Endpoint& endpoint) const {
  if (endpoint.family != AddressFamily::ipv4 || endpoint.address[0] != 10 ||
      endpoint.port != sim_port) {
    return std::nullopt;
  }
  const NodeIndex index = (NodeIndex{endpoint.address[1]} << 16) |
                          (NodeIndex{endpoint.address[2]} << 8) | NodeIndex{endpoint.address[3]};
  if (index >= slots_.size()) return std::nullopt;
  return index;
}

ChordNode* Simulator::node(NodeIndex index) {
  Slot& slot = slots_[index];
  return slot.node ? &slot.node->chord() : nullptr;
}

PeerNode* Simulator::peer(NodeIndex index) {
  Slot& slot = slots_[index];
  return slot.node ? &*slot.node : nullptr;
}

void Simulator::start(NodeIndex index) {
  Slot& slot = slots_[index];
  CHORD_ASSERT(!slot.node);
  slot.random = SimRandom(mix_seed(config_.seed, index + 1000, slot.incarnation));
  slot.node.emplace(node_config_, slot.runtime, Peer{slot.id, endpoint_of(index)});
  slot.node->chord().set_maintenance_paused(paused_);
  table_[index] = &slot.node->chord();
}

void Simulator::record_departure(NodeIndex index) {
  const Time horizon = now_ - config_.chord.lookup_timeout;
  while (!departures_.empty() && departures_.front().first < horizon) {
    const auto it = departed_.find(departures_.front().second);
    if (it != departed_.end() && it->second == departures_.front().first) departed_.erase(it);
    departures_.pop_front();
  }
  departed_[slots_[index].id] = now_;
  departures_.emplace_back(now_, slots_[index].id);
}

bool Simulator::departed_since(const NodeId& id, Time since) {
  const auto it = departed_.find(id);
  return it != departed_.end() && it->second >= since;
}

void Simulator::stop(NodeIndex index) {
  Slot& slot = slots_[index];
  if (slot.node) record_departure(index);
  slot.node.reset();
  table_[index] = nullptr;
  ++slot.incarnation;
  // Messages in flight to the old incarnation (pushed before now) vanish.
  reach_[index].set_valid_from(queue_.next_sequence());
  for (auto& generation : timer_generation_[index])
    ++generation;  // and so do its timers
  membership_changed(index);
}

void Simulator::create_ring(NodeIndex index) {
  if (!slots_[index].node) start(index);
  slots_[index].node->create_ring();
}

void Simulator::join(NodeIndex index, std::span<const NodeIndex> bootstrap) {
  if (!slots_[index].node) start(index);
  std::vector<Endpoint> endpoints;
  for (NodeIndex b : bootstrap)
    endpoints.push_back(endpoint_of(b));
  slots_[index].node->join(endpoints);
}

void Simulator::set_bootstrap(NodeIndex index, std::span<const NodeIndex> bootstrap) {
  CHORD_ASSERT(slots_[index].node.has_value());
  std::vector<Endpoint> endpoints;
  for (NodeIndex b : bootstrap)
    endpoints.push_back(endpoint_of(b));
  slots_[index].node->chord().set_bootstrap(endpoints);
}

void Simulator::crash(NodeIndex index) {
  if (slots_[index].node) stop(index);
}

void Simulator::leave(NodeIndex index) {
  if (!slots_[index].node) return;
  slots_[index].node->leave();
  // A node with a user session leaves once its record is removed: it is stopped when it
  // says it has left (a control event, never from inside its own call).
  if (slots_[index].node->chord().phase() == ChordNode::Phase::left) stop(index);
}

void Simulator::restart(NodeIndex index) {
  if (slots_[index].node) stop(index);
  start(index);
}

void Simulator::build_ideal_ring(std::span<const NodeIndex> members) {
  std::vector<std::pair<NodeId, NodeIndex>> sorted;
  for (NodeIndex index : members)
    sorted.emplace_back(slots_[index].id, index);
  std::sort(sorted.begin(), sorted.end());
  const std::size_t count = sorted.size();
  const std::size_t length = std::min<std::size_t>(config_.chord.successor_list_length, count - 1);
  auto peer = [&](std::size_t position) {
    const NodeIndex index = sorted[position % count].second;
    return Peer{slots_[index].id, endpoint_of(index)};
  };
  std::vector<Peer> successors, fingers;
  for (std::size_t position = 0; position < count; ++position) {
    const NodeIndex index = sorted[position].second;
    if (!slots_[index].node) start(index);
    successors.clear();
    for (std::size_t i = 1; i <= length; ++i)
      successors.push_back(peer(position + i));
    fingers.clear();
    const NodeId& self = sorted[position].first;
    for (std::size_t bit = 0; bit < id_bits && count > 1; ++bit) {
      const NodeId start_id = self.plus_power_of_two(bit);
      auto it =
          std::lower_bound(sorted.begin(), sorted.end(), std::pair<NodeId, NodeIndex>{start_id, 0});
      const std::size_t owner =
          it == sorted.end() ? 0 : static_cast<std::size_t>(it - sorted.begin());
      if (owner == position) continue;  // the finger reaches round to ourselves
      fingers.push_back(peer(owner));
    }
    std::optional<Peer> predecessor;
    if (count > 1) predecessor = peer(position + count - 1);
    slots_[index].node->chord().install_state(predecessor, successors, fingers);
  }
  oracle_dirty_ = true;  // every member changed
}

// ---------------------------------------------------------------------------------------
// Network

void Simulator::partition(std::span<const std::uint8_t> groups) {
  CHORD_ASSERT(groups.size() == slots_.size());
  partitioned_ = false;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    reach_[i].set_group(groups[i]);
    partitioned_ = partitioned_ || groups[i] != 0;
  }
}

void Simulator::heal() {
  for (Reach& reach : reach_)
    reach.set_group(0);
  partitioned_ = false;
}

void Simulator::set_maintenance_paused(bool paused) {
  paused_ = paused;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].node) slots_[i].node->chord().set_maintenance_paused(paused);
  }
}

void Simulator::NodeRuntime::send(const Endpoint& to, Message&& message) {
  Simulator& sim = simulator_;
  if (sim.tamper) sim.tamper(index_, to, message);
  const std::size_t bytes = encoded_frame_size(message);
  ++sim.counters_.messages_sent;
  sim.counters_.bytes_sent += bytes;
  ++sim.counters_.messages_by_type[message.index()];
  sim.counters_.bytes_by_type[message.index()] += bytes;
  const auto target = sim.index_of(to);
  if (!target || sim.network_random_.chance(sim.config_.network.loss)) {
    ++sim.counters_.messages_lost;
    return;
  }
  Event event;
  event.at = sim.now_ + sim.config_.network.latency.sample(sim.network_random_);
  event.set(EventType::deliver, *target, static_cast<std::uint8_t>(message.index()));
  event.payload = sim.flights_.put({index_}, std::move(message));
  sim.queue_.push(event);
}

void Simulator::NodeRuntime::set_timer(TimerKind kind, Time at) {
  const auto k = static_cast<std::size_t>(kind);
  Event event;
  event.at = std::max(at, simulator_.now_);
  event.set(EventType::timer, index_, static_cast<std::uint8_t>(kind));
  event.payload = ++simulator_.timer_generation_[index_][k];
  simulator_.queue_.push(event);
}

void Simulator::NodeRuntime::cancel_timer(TimerKind kind) {
  ++simulator_.timer_generation_[index_][static_cast<std::size_t>(kind)];
}

std::uint64_t Simulator::NodeRuntime::random() {
  return simulator_.slots_[index_].random.next();
}

void Simulator::NodeRuntime::report(const LookupResult& result) {
  Simulator& sim = simulator_;
  CheckedLookup checked{index_, result, false};
  ++sim.counters_.lookups_done;
  if (!result.ok()) {
    ++sim.counters_.lookups_failed;
  } else {
    const Oracle& oracle = sim.oracle();
    if (oracle.size() > 0) {
      const NodeId& truth = oracle.owner_of(result.key).first;
      checked.correct = truth == result.owner.id;
      checked.raced_departure = !checked.correct && !oracle.is_live_member(result.owner.id) &&
                                sim.departed_since(result.owner.id, sim.now_ - result.latency) &&
                                in_closed_open(result.key, result.owner.id, truth);
    }
    if (checked.correct) {
      ++sim.counters_.lookups_correct;
    } else if (checked.raced_departure) {
      ++sim.counters_.lookups_raced;
    } else {
      ++sim.counters_.lookups_wrong;
    }
  }
  if (sim.on_lookup) sim.on_lookup(checked);
}

void Simulator::NodeRuntime::notice(NodeNotice notice) {
  simulator_.membership_changed(index_);
  if (notice == NodeNotice::left) {
    Event event;
    event.at = simulator_.now_;
    event.set(EventType::control, index_, 0);
    simulator_.queue_.push(event);  // stops the node once this input is over
  }
}

void Simulator::NodeRuntime::report_dht(const DhtResult& result) {
  if (simulator_.on_dht) simulator_.on_dht(index_, result);
}

void Simulator::NodeRuntime::report_chat(const ChatEvent& event) {
  if (simulator_.on_chat) simulator_.on_chat(index_, event);
}

// ---------------------------------------------------------------------------------------
// Running

Result<std::uint64_t> Simulator::lookup(NodeIndex index, const NodeId& key) {
  ChordNode* n = node(index);
  if (n == nullptr) return Error{Errc::not_member, "node not running"};
  return n->lookup(key);  // through the PeerNode's ring runtime: reported as a lookup
}

void Simulator::mix_trace(std::uint64_t value) {
  // FNV-1a over the value's bytes.
  for (int i = 0; i < 8; ++i) {
    trace_hash_ ^= (value >> (8 * i)) & 0xff;
    trace_hash_ *= 0x100000001b3ULL;
  }
}

void Simulator::process(const Event& event) {
  const NodeIndex index = event.node();
  if (event.type() == EventType::control) {
    Slot& slot = slots_[index];
    if (slot.node && slot.node->chord().phase() == ChordNode::Phase::left) stop(index);
    return;
  }
  if (event.type() == EventType::timer) {
    // The dense arrays first: a stale timer never touches the node.
    if (table_[index] == nullptr ||
        timer_generation_[index][static_cast<std::size_t>(event.kind())] != event.payload) {
      return;  // cancelled, replaced, or the node is gone
    }
    ++counters_.events;
    mix_trace((static_cast<std::uint64_t>(event.at.time_since_epoch().count()) << 8) ^
              static_cast<std::uint64_t>(event.kind()));
    mix_trace(index);
    slots_[index].node->on_timer(event.kind());
    return;
  }
  FlightPool::Taken flight = flights_.take(event.message_type(), event.payload);
  const NodeIndex from_node = flight.header.from_node;
  const bool deliverable = table_[index] != nullptr &&
                           event.sequence >= reach_[index].valid_from() &&
                           (!partitioned_ || reach_[from_node].group() == reach_[index].group());
  if (!deliverable) {
    ++counters_.messages_lost;
    return;
  }
  ++counters_.events;
  ++counters_.messages_delivered;
  mix_trace((static_cast<std::uint64_t>(event.at.time_since_epoch().count()) << 8) ^
            (0x80 | flight.message.index()));
  mix_trace((std::uint64_t{index} << 32) | from_node);
  slots_[index].node->on_message(endpoint_of(from_node), flight.message);
}

void Simulator::prefetch(const Event& event) const {
  const NodeIndex index = event.node();
  if (event.type() == EventType::deliver) {
    flights_.prefetch(event.message_type(), event.payload);
    __builtin_prefetch(&reach_[index]);
  } else {
    __builtin_prefetch(&timer_generation_[index]);
  }
  __builtin_prefetch(&table_[index]);
  const char* bytes = static_cast<const char*>(slots_.address(index));
  for (std::size_t offset = 0; offset < sizeof(Slot); offset += 64)
    __builtin_prefetch(bytes + offset);
}

void Simulator::prefetch_lists(const Event& event) const {
  const ChordNode* node = table_[event.node()];
  if (node == nullptr) return;
  if (event.type() == EventType::deliver) {
    node->prefetch_state(event.message_type());
  } else {
    node->prefetch_state();
  }
}

void Simulator::run_until(Time until) {
  while (queue_.due(until) != nullptr) {
    const Event event = queue_.pop();
    CHORD_ASSERT(event.at >= now_);
    now_ = event.at;
    // The events due next are known (the queue's active slot is sorted): start loading
    // what they will touch while this one runs. At 10^5 nodes and more, nearly every
    // event's first touch of its node is a cache miss. A node's slot is found by
    // arithmetic, a few events ahead; the lists it points to once the slot has arrived.
    // (ahead(0) is the event after this one.)
    if (const Event* soon = queue_.ahead(prefetch_slot_ahead)) prefetch(*soon);
    if (const Event* next = queue_.ahead(prefetch_lists_ahead)) prefetch_lists(*next);
    process(event);
  }
  now_ = std::max(now_, until);
}

std::optional<Time> Simulator::run_until_true(const std::function<bool()>& predicate,
                                              Duration interval, Duration limit) {
  const Time end = now_ + limit;
  while (now_ <= end) {
    if (predicate()) return now_;
    if (now_ == end) break;
    run_until(std::min(end, now_ + interval));
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Observation

std::span<ChordNode* const> Simulator::node_table() {
  return table_;
}

void Simulator::membership_changed(NodeIndex index) {
  if (oracle_dirty_) return;
  oracle_changed_.emplace_back(slots_[index].id, index);
  // Many at once (a mass failure, a partition): one rebuild is cheaper.
  if (oracle_changed_.size() > 64 + oracle_.size() / 64) {
    oracle_dirty_ = true;
    oracle_changed_.clear();
  }
}

const Oracle& Simulator::oracle() {
  if (oracle_dirty_) {
    oracle_.rebuild(table_);
    oracle_dirty_ = false;
  } else if (!oracle_changed_.empty()) {
    oracle_.update(table_, oracle_changed_);
  }
  oracle_changed_.clear();
  return oracle_;
}

RingHealth Simulator::health() {
  return oracle().health(table_, config_.chord.successor_list_length);
}

}  // namespace chord::sim
