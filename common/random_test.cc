#include "common/random.h"

#include <set>

#include "common/testing/fake_random.h"
#include "gtest/gtest.h"

namespace karst {
namespace {

TEST(SeededRandom, SameSeedSameSequence) {
  SeededRandom a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t va = a.Next();
    EXPECT_EQ(va, b.Next());
    differs |= va != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(SeededRandom, KnownFirstValueIsStableAcrossPlatforms) {
  // Pinned so that a printed simulation seed replays identically everywhere.
  SeededRandom r(1);
  EXPECT_EQ(r.Next(), 0xb3f2af6d0fc710c5ULL);
}

TEST(Random, UniformStaysInRangeAndCoversIt) {
  SeededRandom r(7);
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = r.Uniform(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(r.Uniform(5, 5), 5);
}

TEST(FakeRandom, ReturnsScriptedValuesInACycle) {
  testing::FakeRandom r({10, 20});
  EXPECT_EQ(r.Next(), 10u);
  EXPECT_EQ(r.Next(), 20u);
  EXPECT_EQ(r.Next(), 10u);
  testing::FakeRandom pick({4});
  EXPECT_EQ(pick.Uniform(100, 109), 104);
}

}  // namespace
}  // namespace karst
