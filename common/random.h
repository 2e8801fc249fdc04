// Random: the one source of randomness (election jitter, ids, backoff). Production and tests
// alike use a seeded SeededRandom, so a printed seed replays a run; FakeRandom
// (common/testing/fake_random.h) returns scripted values. Not thread-safe: one per owner.
#ifndef KARST_COMMON_RANDOM_H_
#define KARST_COMMON_RANDOM_H_

#include <cstdint>

namespace karst {

class Random {
 public:
  virtual ~Random() = default;

  // The next 64 uniformly random bits.
  virtual uint64_t Next() = 0;

  // A uniform integer in [lo, hi]. REQUIRES: lo <= hi. Unbiased (rejection sampling), and the
  // same sequence of Next() values always gives the same results on every platform.
  int64_t Uniform(int64_t lo, int64_t hi);
};

// xoshiro256** seeded through splitmix64: fast, small state, identical output everywhere.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t Next() override;

 private:
  uint64_t state_[4];
};

// A seed from the operating system, for production use; log it so a run can be replayed.
uint64_t SeedFromEntropy();

}  // namespace karst

#endif  // KARST_COMMON_RANDOM_H_
