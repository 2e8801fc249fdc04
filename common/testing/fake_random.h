// FakeRandom: a Random that returns a scripted sequence of values, cycling when it runs out,
// so a test can force a particular election timeout or backoff. Not thread-safe.
#ifndef KARST_COMMON_TESTING_FAKE_RANDOM_H_
#define KARST_COMMON_TESTING_FAKE_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/random.h"

namespace karst::testing {

class FakeRandom final : public Random {
 public:
  // REQUIRES: !values.empty().
  explicit FakeRandom(std::vector<uint64_t> values) : values_(std::move(values)) {}

  uint64_t Next() override {
    const uint64_t v = values_[next_ % values_.size()];
    ++next_;
    return v;
  }

 private:
  std::vector<uint64_t> values_;
  size_t next_ = 0;
};

}  // namespace karst::testing

#endif  // KARST_COMMON_TESTING_FAKE_RANDOM_H_
