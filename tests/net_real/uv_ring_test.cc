// Real nodes on one libuv loop, over TCP on 127.0.0.1: the same core as the simulator, the
// same ring checks (net_sim's oracle), on real sockets. Every wait is bounded in wall time.
#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <memory>
#include <vector>

#include "net_real/uv_node.h"
#include "net_sim/oracle.h"

namespace chord::net {
namespace {

using namespace std::chrono_literals;

// A loopback test network: `count` nodes on one loop, each listening on 127.0.0.1:0.
class LoopNetwork {
 public:
  explicit LoopNetwork(std::size_t count) {
    uv_loop_init(&loop_);
    config_.chord.stabilize_period = 250ms;  // quick rounds: the test waits in wall time
    config_.chord.fix_fingers_period = 250ms;
    config_.chord.ping_predecessor_period = 250ms;
    net_.listen = Endpoint::ipv4({127, 0, 0, 1}, 0);
    for (std::size_t i = 0; i < count; ++i) {
      nodes_.push_back(std::make_unique<UvNode>(loop_, config_, net_, 1000 + i));
      const auto error = nodes_.back()->start();
      EXPECT_FALSE(error.has_value()) << *error;
    }
  }
  ~LoopNetwork() {
    std::size_t open = nodes_.size();
    for (auto& node : nodes_)
      node->close([&open] { --open; });
    run_until([&] { return open == 0; }, 10s);
    EXPECT_EQ(open, 0u) << "nodes did not close";
    nodes_.clear();
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left open";
  }

  // Runs the loop until `done()` holds (checked every 50 ms) or `limit` of wall time.
  template <typename F>
  bool run_until(F done, std::chrono::milliseconds limit) {
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
        0, 50);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);  // lets the close complete
    return wait.met;
  }

  sim::RingHealth health() {
    table_.clear();
    for (auto& node : nodes_)
      table_.push_back(&node->peer().chord());
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
  std::vector<ChordNode*> table_;
  sim::Oracle oracle_;
};

TEST(UvRing, FiftyNodesOnOneLoopFormACorrectRingAndLookupsFindTheOwner) {
  LoopNetwork network(50);
  network.node(0).peer().create_ring();
  for (std::size_t i = 1; i < network.size(); ++i) {  // each through two earlier nodes
    const Endpoint via[] = {network.node(0).endpoint(), network.node(i / 2).endpoint()};
    network.node(i).peer().join(via);
  }
  const bool ideal = network.run_until(
      [&] {
        const sim::RingHealth h = network.health();
        return h.members == 50 && h.ideal();
      },
      60s);
  const sim::RingHealth health = network.health();
  ASSERT_TRUE(ideal) << health.members << " members, " << health.successor_correct
                     << " successors right, " << health.list_correct << " lists right";
  EXPECT_TRUE(health.zave_invariants_hold());

  // 200 lookups for keys spread over the ring, from every node, checked by the oracle.
  std::size_t done = 0, correct = 0;
  for (std::size_t i = 0; i < network.size(); ++i) {
    network.node(i).on_lookup = [&](const LookupResult& result) {
      if (result.purpose != LookupPurpose::user) return;
      ++done;
      if (result.ok() && result.owner.id == network.oracle().owner_of(result.key).first) ++correct;
    };
  }
  for (std::size_t k = 0; k < 200; ++k) {
    const NodeId key = NodeId::hash_of("key " + std::to_string(k));
    ASSERT_TRUE(network.node(k % network.size()).peer().chord().lookup(key).has_value());
  }
  EXPECT_TRUE(network.run_until([&] { return done == 200; }, 20s)) << done << " of 200 done";
  EXPECT_EQ(correct, 200u);
}

}  // namespace
}  // namespace chord::net
