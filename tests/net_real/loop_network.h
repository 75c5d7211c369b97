// LoopNetwork: a local test network of UvNodes on one libuv loop, each on 127.0.0.1:0,
// with the simulator's oracle to check the ring. For tests and benchmarks (no gtest here).
// Every wait is bounded in wall time.
#pragma once

#include <uv.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "net_real/uv_node.h"
#include "net_sim/oracle.h"

namespace chord::net {

class LoopNetwork {
 public:
  LoopNetwork(std::size_t count, const NodeConfig& config) : config_(config) {
    uv_loop_init(&loop_);
    net_.listen = Endpoint::ipv4({127, 0, 0, 1}, 0);
    for (std::size_t i = 0; i < count; ++i) {
      nodes_.push_back(std::make_unique<UvNode>(loop_, config_, net_, 1000 + i));
      crashed_.push_back(false);
      if (const auto error = nodes_.back()->start()) error_ = *error;
    }
  }
  ~LoopNetwork() {
    std::size_t open = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (crashed_[i]) continue;  // closing already
      ++open;
      nodes_[i]->close([&open] { --open; });
    }
    run_until([&] { return open == 0; }, std::chrono::seconds(10));
    nodes_.clear();
    uv_loop_close(&loop_);
  }
  LoopNetwork(const LoopNetwork&) = delete;
  LoopNetwork& operator=(const LoopNetwork&) = delete;

  // Why a node could not start, or empty.
  const std::string& error() const { return error_; }

  // Node 0 starts the ring; every other joins through node 0 and node i/2.
  void form_ring() {
    nodes_[0]->peer().create_ring();
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      const Endpoint via[] = {nodes_[0]->endpoint(), nodes_[i / 2]->endpoint()};
      nodes_[i]->peer().join(via);
    }
  }
  // Runs until the ring is ideal with every live node a member; false after `limit`.
  bool wait_ideal(std::chrono::milliseconds limit) {
    return run_until(
        [&] {
          const sim::RingHealth h = health();
          return h.members == live() && h.ideal();
        },
        limit);
  }
  // Node i's process dies: its handles close (peers see their connections end), no Leave.
  void crash(std::size_t i) {
    crashed_[i] = true;
    nodes_[i]->close([] {});
  }
  std::size_t live() const {
    return static_cast<std::size_t>(std::count(crashed_.begin(), crashed_.end(), false));
  }

  // Runs the loop until `done()` holds (checked every `step`) or `limit` of wall time.
  template <typename F>
  bool run_until(F done, std::chrono::milliseconds limit,
                 std::chrono::milliseconds step = std::chrono::milliseconds(50)) {
    struct Wait {
      F* done;
      std::chrono::steady_clock::time_point end;
      bool met = false;
    } wait{&done, std::chrono::steady_clock::now() + limit};
    uv_timer_t timer;
    uv_timer_init(&loop_, &timer);
    timer.data = &wait;
    uv_timer_start(
        &timer,
        [](uv_timer_t* t) {
          auto* w = static_cast<Wait*>(t->data);
          if ((*w->done)()) w->met = true;
          if (w->met || std::chrono::steady_clock::now() > w->end) uv_stop(t->loop);
        },
        0, static_cast<std::uint64_t>(step.count()));
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);  // lets the close complete
    return wait.met;
  }
  // One pass of the loop, waiting for an event: for measuring without a polling timer.
  void run_once() { uv_run(&loop_, UV_RUN_ONCE); }

  sim::RingHealth health() {
    table_.clear();
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      table_.push_back(crashed_[i] ? nullptr : &nodes_[i]->peer().chord());
    oracle_.rebuild(table_);
    return oracle_.health(table_, config_.chord.successor_list_length);
  }
  const sim::Oracle& oracle() { return oracle_; }
  UvNode& node(std::size_t i) { return *nodes_[i]; }
  std::size_t size() const { return nodes_.size(); }

 private:
  uv_loop_t loop_{};
  NodeConfig config_;
  NetConfig net_;
  std::vector<std::unique_ptr<UvNode>> nodes_;
  std::vector<bool> crashed_;
  std::vector<ChordNode*> table_;
  sim::Oracle oracle_;
  std::string error_;
};

}  // namespace chord::net
