#include "storage/leader_epoch_cache.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/testing/fake_file_system.h"

namespace karst::storage {
namespace {

using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using testing::FakeFileSystem;
using ::testing::HasSubstr;

constexpr char kPath[] = "/d/leader-epoch-checkpoint";

class LeaderEpochCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(fs_.CreateDirs("/d")); }
  FakeFileSystem fs_;
};

TEST_F(LeaderEpochCacheTest, AssignsNewerEpochsOnlyAndPersistsInKafkasFormat) {
  ASSERT_OK_AND_ASSIGN(auto cache, LeaderEpochCache::Load(fs_, kPath));
  ASSERT_OK(cache->Assign(LeaderEpoch(1), Offset(0)));
  ASSERT_OK(cache->Assign(LeaderEpoch(1), Offset(5)));  // Same epoch: ignored.
  ASSERT_OK(cache->Assign(LeaderEpoch(0), Offset(6)));  // Older: ignored.
  ASSERT_OK(cache->Assign(LeaderEpoch(3), Offset(10)));
  ASSERT_OK(cache->Assign(LeaderEpoch(-1), Offset(11)));  // No epoch: ignored.
  EXPECT_EQ(*fs_.ReadFile(kPath), "0\n2\n1 0\n3 10\n");
  ASSERT_OK_AND_ASSIGN(auto reloaded, LeaderEpochCache::Load(fs_, kPath));
  EXPECT_EQ(reloaded->entries(), cache->entries());
  EXPECT_EQ(reloaded->LatestEpoch(), LeaderEpoch(3));
}

TEST_F(LeaderEpochCacheTest, EndOffsetForEpochFollowsKip101) {
  ASSERT_OK_AND_ASSIGN(auto cache, LeaderEpochCache::Load(fs_, kPath));
  EXPECT_EQ(cache->EndOffsetFor(LeaderEpoch(0), Offset(0)), std::nullopt);
  ASSERT_OK(cache->Assign(LeaderEpoch(2), Offset(0)));
  ASSERT_OK(cache->Assign(LeaderEpoch(5), Offset(40)));
  EXPECT_EQ(cache->EndOffsetFor(LeaderEpoch(1), Offset(90)), std::nullopt);
  EXPECT_EQ(cache->EndOffsetFor(LeaderEpoch(2), Offset(90)),
            std::make_pair(LeaderEpoch(2), Offset(40)));
  // An epoch this replica never saw: the largest below it, ending where the next begins.
  EXPECT_EQ(cache->EndOffsetFor(LeaderEpoch(4), Offset(90)),
            std::make_pair(LeaderEpoch(2), Offset(40)));
  EXPECT_EQ(cache->EndOffsetFor(LeaderEpoch(9), Offset(90)),
            std::make_pair(LeaderEpoch(5), Offset(90)));
}

TEST_F(LeaderEpochCacheTest, TruncationFromBothEnds) {
  ASSERT_OK_AND_ASSIGN(auto cache, LeaderEpochCache::Load(fs_, kPath));
  ASSERT_OK(cache->Assign(LeaderEpoch(1), Offset(0)));
  ASSERT_OK(cache->Assign(LeaderEpoch(2), Offset(10)));
  ASSERT_OK(cache->Assign(LeaderEpoch(3), Offset(20)));
  ASSERT_OK(cache->TruncateFromEnd(Offset(20)));
  EXPECT_THAT(cache->entries(), ElementsAre(EpochEntry{LeaderEpoch(1), Offset(0)},
                                            EpochEntry{LeaderEpoch(2), Offset(10)}));
  ASSERT_OK(cache->TruncateFromStart(Offset(12)));
  EXPECT_THAT(cache->entries(), ElementsAre(EpochEntry{LeaderEpoch(2), Offset(12)}));
  ASSERT_OK_AND_ASSIGN(auto reloaded, LeaderEpochCache::Load(fs_, kPath));
  EXPECT_EQ(reloaded->entries(), cache->entries());
}

TEST_F(LeaderEpochCacheTest, MalformedCheckpointNamesPathAndLine) {
  ASSERT_OK(fs_.WriteFileAtomically(kPath, "0\n2\n1 0\nx 10\n"));
  EXPECT_THAT(LeaderEpochCache::Load(fs_, kPath),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(std::string(kPath) + ":4")));
  ASSERT_OK(fs_.WriteFileAtomically(kPath, "1\n0\n"));
  EXPECT_THAT(LeaderEpochCache::Load(fs_, kPath),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("version 0")));
  ASSERT_OK(fs_.WriteFileAtomically(kPath, "0\n2\n3 10\n1 20\n"));
  EXPECT_THAT(LeaderEpochCache::Load(fs_, kPath),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("out of order")));
}

}  // namespace
}  // namespace karst::storage
