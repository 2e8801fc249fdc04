#include "common/strong_id.h"

#include <sstream>
#include <type_traits>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace karst {
namespace {

TEST(StrongId, DistinctTagsDoNotConvert) {
  static_assert(!std::is_convertible_v<NodeId, Term>);
  static_assert(!std::is_convertible_v<int32_t, NodeId>);
  static_assert(!std::is_convertible_v<Offset, int64_t>);
  static_assert(std::is_trivially_copyable_v<Offset>);
}

TEST(StrongId, ComparesByValue) {
  EXPECT_EQ(Offset(7), Offset(7));
  EXPECT_LT(Offset(3), Offset(7));
  EXPECT_GE(Term(2), Term(2));
  EXPECT_EQ(Offset(7).Next(), Offset(8));
  EXPECT_EQ(Offset(7).Plus(-2), Offset(5));
}

TEST(StrongId, HashesAndPrintsWithItsName) {
  absl::flat_hash_set<NodeId> ids = {NodeId(1), NodeId(2), NodeId(1)};
  EXPECT_EQ(ids.size(), 2u);
  std::ostringstream os;
  os << LeaderEpoch(4) << " " << NodeId(-1);
  EXPECT_EQ(os.str(), "LeaderEpoch(4) NodeId(-1)");
}

}  // namespace
}  // namespace karst
