// SmallVector stands in for std::vector in a node's state: the same contents after the same
// operations, every element destroyed once (ASan in CI), room given back on release.
#include "core/small_vector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chord {
namespace {

// Counts live instances, so a leak or a double destruction shows.
struct Tracked {
  static inline int live = 0;
  std::string text;
  explicit Tracked(std::string t = {}) : text(std::move(t)) { ++live; }
  Tracked(const Tracked& other) : text(other.text) { ++live; }
  Tracked(Tracked&& other) noexcept : text(std::move(other.text)) { ++live; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) noexcept = default;
  ~Tracked() { --live; }
};

std::vector<std::string> texts(const SmallVector<Tracked>& v) {
  std::vector<std::string> out;
  for (const Tracked& t : v)
    out.push_back(t.text);
  return out;
}

TEST(SmallVector, MatchesStdVectorThroughEveryOperation) {
  {
    SmallVector<Tracked> v;
    std::vector<std::string> reference;
    for (int i = 0; i < 20; ++i) {
      v.emplace_back(std::to_string(i));
      reference.push_back(std::to_string(i));
    }
    v.push_back(v.back());  // an element of its own, while it grows
    reference.push_back(reference.back());
    v.insert(v.begin() + 3, Tracked("x"));
    reference.insert(reference.begin() + 3, "x");
    v.erase(v.begin());
    reference.erase(reference.begin());
    v.erase(v.begin() + 2, v.begin() + 5);
    reference.erase(reference.begin() + 2, reference.begin() + 5);
    const std::size_t erased = erase_if(v, [](const Tracked& t) { return t.text.size() == 2; });
    EXPECT_EQ(erased, std::erase_if(reference, [](const std::string& t) { return t.size() == 2; }));
    EXPECT_EQ(erased, 11u);  // 10 to 19, and 19 again
    EXPECT_EQ(texts(v), reference);
    EXPECT_EQ(Tracked::live, static_cast<int>(v.size()));

    SmallVector<Tracked> copy = v;
    v.resize(2);
    reference.resize(2);
    EXPECT_EQ(texts(v), reference);
    EXPECT_EQ(copy.size(), 7u);
    SmallVector<Tracked> moved = std::move(copy);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(moved.size(), 7u);
    v = moved;
    EXPECT_EQ(texts(v), texts(moved));
    v.resize(10);
    EXPECT_EQ(v.size(), 10u);
    EXPECT_EQ(v.back().text, "");
    EXPECT_EQ(Tracked::live, 10 + 7);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(SmallVector, ClearKeepsRoomReleaseAndShrinkGiveItBack) {
  SmallVector<int> v;
  for (int i = 0; i < 9; ++i)
    v.push_back(i);
  EXPECT_EQ(v.capacity(), 16u);
  v.clear();
  EXPECT_EQ(v.capacity(), 16u);
  v.push_back(1);
  v.push_back(2);
  v.shrink_to_fit();
  EXPECT_EQ(v.capacity(), 2u);
  EXPECT_EQ(v[0] + v[1], 3);
  v.release();
  EXPECT_EQ(v.capacity(), 0u);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(sizeof(SmallVector<int>), 16u);
}

}  // namespace
}  // namespace chord
