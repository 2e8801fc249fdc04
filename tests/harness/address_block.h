// AddressBlock names the loopback addresses one test's processes bind: node i gets
// "<prefix>.<2 + i>", e.g. 127.41.7.2, 127.41.7.3, ... Linux routes all of 127.0.0.0/8 to lo,
// so every node can use the default ports (9092, 9093, 9644) on its own address, and tests
// running in parallel do not collide as long as their prefixes differ. Immutable; thread-safe.
//
// Choosing a block: ForCurrentTest() hashes the gtest test name, the pid and a per-process
// counter into 127.B.C with B in [1, 254], i.e. one of 64,770 blocks; 127.0.0.x is never
// picked, so it stays free for manual runs. Callers that need fixed addresses (e.g. to match
// a docker-compose file) pass a prefix to FromPrefix("127.0.0").
#ifndef KARST_TESTS_HARNESS_ADDRESS_BLOCK_H_
#define KARST_TESTS_HARNESS_ADDRESS_BLOCK_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace karst::testing {

class AddressBlock {
 public:
  // Most nodes one block can hold: addresses <prefix>.2 .. <prefix>.254.
  static constexpr int kMaxNodes = 253;

  // A block for the running gtest test (or "no-test" outside one). Each call returns a new
  // block with high probability (a counter is hashed in).
  static AddressBlock ForCurrentTest();
  // `prefix` is the first three octets, "127.B.C". Errors: kInvalidArgument unless it is
  // inside 127.0.0.0/8.
  static absl::StatusOr<AddressBlock> FromPrefix(const std::string& prefix);

  // "<prefix>.<2 + index>". REQUIRES: 0 <= index < kMaxNodes.
  std::string Address(int index) const;
  const std::string& prefix() const { return prefix_; }

 private:
  explicit AddressBlock(std::string prefix) : prefix_(std::move(prefix)) {}

  std::string prefix_;
};

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_ADDRESS_BLOCK_H_
