#include "tests/harness/address_block.h"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace karst::testing {
namespace {

// FNV-1a, 64-bit: stable across runs and platforms, unlike std::hash.
uint64_t Fnv1a(std::string_view data) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string CurrentTestName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "no-test";
  return absl::StrCat(info->test_suite_name(), ".", info->name());
}

}  // namespace

AddressBlock AddressBlock::ForCurrentTest() {
  static std::atomic<int> counter{0};
  const uint64_t hash =
      Fnv1a(absl::StrCat(CurrentTestName(), "/", getpid(), "/", counter.fetch_add(1)));
  // B in [1, 254] keeps clear of 127.0.0.x and of 127.255.255.255 (broadcast).
  const uint64_t b = 1 + hash % 254;
  const uint64_t c = (hash / 254) % 256;
  return AddressBlock(absl::StrCat("127.", b, ".", c));
}

absl::StatusOr<AddressBlock> AddressBlock::FromPrefix(const std::string& prefix) {
  std::vector<std::string> octets = absl::StrSplit(prefix, '.');
  bool valid = octets.size() == 3 && octets[0] == "127";
  for (const std::string& octet : octets) {
    int value = -1;
    valid = valid && absl::SimpleAtoi(octet, &value) && value >= 0 && value <= 255;
  }
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("address prefix ", prefix, ": want three octets inside 127.0.0.0/8"));
  }
  return AddressBlock(prefix);
}

std::string AddressBlock::Address(int index) const {
  if (index < 0 || index >= kMaxNodes) {
    std::fprintf(stderr, "address block %s: index %d out of range\n", prefix_.c_str(), index);
    std::abort();
  }
  return absl::StrCat(prefix_, ".", 2 + index);
}

}  // namespace karst::testing
