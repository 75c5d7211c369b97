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
    ASSERT_EQ(v.size(), 20u);
    v.erase(v.begin() + 3, v.begin() + 3);  // an empty range: nothing changes
    while (v.size() < v.capacity()) {
      v.emplace_back("f");
      reference.push_back("f");
    }
    // An element of its own, while it grows (long enough to live on the heap, so a copy
    // made from the moved-away element would come out empty).
    v.back().text = reference.back() = "the last element, long enough for the heap";
    ASSERT_EQ(v.size(), v.capacity());
    v.push_back(v.back());
    reference.push_back(reference.back());
    EXPECT_EQ(texts(v), reference);
    while (v.size() > 21) {
      v.pop_back();
      reference.pop_back();
    }
    const SmallVector<Tracked>& same = v;
    v = same;  // assigning itself keeps it
    EXPECT_EQ(texts(v), reference);
    v.insert(v.begin() + 3, Tracked("x"));
    reference.insert(reference.begin() + 3, "x");
    v.erase(v.begin());
    reference.erase(reference.begin());
    v.erase(v.begin() + 2, v.begin() + 5);
    reference.erase(reference.begin() + 2, reference.begin() + 5);
    const std::size_t erased = erase_if(v, [](const Tracked& t) { return t.text.size() == 2; });
    EXPECT_EQ(erased, std::erase_if(reference, [](const std::string& t) { return t.size() == 2; }));
    EXPECT_EQ(erased, 10u);  // 10 to 19
    EXPECT_EQ(texts(v), reference);
    EXPECT_EQ(Tracked::live, static_cast<int>(v.size()));

    SmallVector<Tracked> copy = v;
    v.resize(2);
    reference.resize(2);
    EXPECT_EQ(texts(v), reference);
    EXPECT_EQ(copy.size(), 8u);
    SmallVector<Tracked> moved = std::move(copy);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(moved.size(), 8u);
    v = moved;
    EXPECT_EQ(texts(v), texts(moved));
    v.resize(10);
    EXPECT_EQ(v.size(), 10u);
    EXPECT_EQ(v.back().text, "");
    EXPECT_EQ(Tracked::live, 10 + 8);
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
