// Partition reassignment (KIP-455) without Raft: GenerateAlterPartitionReassignments and
// GenerateAlterPartition on an image, their records replayed through MetadataDelta, and
// ListPartitionReassignments on the result: starting, completing as adding replicas join the
// ISR, cancelling, replacing a reassignment in progress, and each error.
#include <vector>

#include "common/testing/status_matchers.h"
#include "controller/metadata/metadata_delta.h"
#include "controller/metadata/partition_reassignments.h"
#include "controller/replication_control.h"
#include "gtest/gtest.h"

namespace karst::controller {
namespace {

using ::testing::HasSubstr;
namespace proto = ::karst::metadata::proto;

using Ids = std::vector<int32_t>;

const std::string kTopicId = std::string(15, 't') + '1';

class ReassignmentTest : public ::testing::Test {
 protected:
  // Brokers 1..4, and topic "t" with partition 0 on {1, 2} led by 1 and partition 1 on {2, 3}.
  void SetUp() override {
    std::vector<proto::MetadataRecord> records;
    for (int id = 1; id <= 4; ++id) {
      auto* b = records.emplace_back().mutable_register_broker();
      b->set_broker_id(id);
    }
    auto* t = records.emplace_back().mutable_topic();
    t->set_name("t");
    t->set_topic_id(kTopicId);
    records.push_back(PartitionOn(0, {1, 2}));
    records.push_back(PartitionOn(1, {2, 3}));
    Replay(records);
  }

  static proto::MetadataRecord PartitionOn(int32_t index, const Ids& replicas) {
    proto::MetadataRecord r;
    auto* p = r.mutable_partition();
    p->set_topic_id(kTopicId);
    p->set_partition_id(index);
    p->mutable_replicas()->Add(replicas.begin(), replicas.end());
    p->mutable_isr()->Add(replicas.begin(), replicas.end());
    p->set_leader(replicas.front());
    return r;
  }

  void Replay(const std::vector<proto::MetadataRecord>& records) {
    MetadataDelta delta(image_);
    for (const auto& r : records) ASSERT_OK(delta.Replay(r, offset_++));
    image_ = delta.Apply();
  }

  // Reassigns partitions of "t" (nullopt cancels) and replays the records.
  std::vector<ReassignmentResult> Reassign(
      const std::vector<std::pair<int32_t, std::optional<Ids>>>& targets,
      const std::string& topic = "t") {
    std::vector<ReassignmentRequest> requests;
    for (const auto& [index, target] : targets) requests.push_back({topic, index, target});
    auto result = control_.GenerateAlterPartitionReassignments(*image_, requests);
    last_records_ = result.records.size();
    Replay(result.records);
    return result.response;
  }

  ApiError ReassignOne(int32_t index, std::optional<Ids> target) {
    return Reassign({{index, std::move(target)}}).at(0).error;
  }

  // AlterPartition from the partition's current leader with its current epochs.
  ApiError AlterIsr(int32_t index, const Ids& isr) {
    const PartitionState& p = Partition(index);
    auto result = control_.GenerateAlterPartition(
        *image_, {p.leader, kTopicId, index, p.leader_epoch, p.partition_epoch, isr});
    Replay(result.records);
    return result.response;
  }

  void Fence(int id) {
    proto::MetadataRecord r;
    r.mutable_fence_broker()->set_broker_id(id);
    std::vector<proto::MetadataRecord> records{r};
    for (auto& move : control_.GenerateLeadershipMoves(*image_, NodeId(id))) {
      records.push_back(move);
    }
    Replay(records);
  }

  const PartitionState& Partition(int32_t index) {
    return image_->FindTopic("t")->partitions.at(index);
  }

  ReplicationControl control_{{}};
  std::shared_ptr<const MetadataImage> image_ = std::make_shared<const MetadataImage>();
  int64_t offset_ = 0;
  size_t last_records_ = 0;
};

TEST_F(ReassignmentTest, StartAddsTargetReplicasAndKeepsTheOriginalsUntilCompletion) {
  ASSERT_TRUE(ReassignOne(0, Ids{2, 3}).ok());
  const PartitionState& p = Partition(0);
  EXPECT_EQ(p.replicas, (Ids{2, 3, 1}));
  EXPECT_EQ(p.adding_replicas, (Ids{3}));
  EXPECT_EQ(p.removing_replicas, (Ids{1}));
  EXPECT_EQ(p.isr, (Ids{1, 2}));
  EXPECT_EQ(p.leader, NodeId(1));
  EXPECT_EQ(p.leader_epoch, LeaderEpoch(0));
  EXPECT_EQ(ListPartitionReassignments(*image_, std::nullopt),
            (std::vector<OngoingReassignment>{{"t", 0, {2, 3, 1}, {3}, {1}}}));
}

TEST_F(ReassignmentTest, CompletesWhenTheLastAddingReplicaJoinsTheIsrAndMovesTheLeader) {
  ASSERT_TRUE(ReassignOne(0, Ids{2, 3}).ok());
  ASSERT_TRUE(AlterIsr(0, {1, 2, 3}).ok());
  const PartitionState& p = Partition(0);
  EXPECT_EQ(p.replicas, (Ids{2, 3}));
  EXPECT_EQ(p.isr, (Ids{2, 3}));
  EXPECT_TRUE(p.adding_replicas.empty());
  EXPECT_TRUE(p.removing_replicas.empty());
  // The leader was being removed: the first target replica in the ISR takes over.
  EXPECT_EQ(p.leader, NodeId(2));
  EXPECT_EQ(p.leader_epoch, LeaderEpoch(1));
  EXPECT_TRUE(ListPartitionReassignments(*image_, std::nullopt).empty());
}

TEST_F(ReassignmentTest, CompletionKeepsALeaderThatStaysInTheTarget) {
  ASSERT_TRUE(ReassignOne(0, Ids{1, 3}).ok());
  ASSERT_TRUE(AlterIsr(0, {1, 2, 3}).ok());
  const PartitionState& p = Partition(0);
  EXPECT_EQ(p.replicas, (Ids{1, 3}));
  EXPECT_EQ(p.isr, (Ids{1, 3}));
  EXPECT_EQ(p.leader, NodeId(1));
  EXPECT_EQ(p.leader_epoch, LeaderEpoch(0));
}

TEST_F(ReassignmentTest, WaitsForEveryAddingReplica) {
  ASSERT_TRUE(ReassignOne(0, Ids{3, 4}).ok());
  ASSERT_TRUE(AlterIsr(0, {1, 2, 3}).ok());
  EXPECT_EQ(Partition(0).replicas, (Ids{3, 4, 1, 2}));
  EXPECT_EQ(Partition(0).isr, (Ids{1, 2, 3}));
  EXPECT_EQ(Partition(0).adding_replicas, (Ids{3, 4}));
  ASSERT_TRUE(AlterIsr(0, {1, 2, 3, 4}).ok());
  EXPECT_EQ(Partition(0).replicas, (Ids{3, 4}));
  EXPECT_EQ(Partition(0).isr, (Ids{3, 4}));
  EXPECT_EQ(Partition(0).leader, NodeId(3));
}

TEST_F(ReassignmentTest, ShrinkingCompletesAtOnceAndMovesTheLeaderOffARemovedReplica) {
  ASSERT_TRUE(ReassignOne(0, Ids{2}).ok());
  EXPECT_EQ(last_records_, 1u);
  const PartitionState& p = Partition(0);
  EXPECT_EQ(p.replicas, (Ids{2}));
  EXPECT_EQ(p.isr, (Ids{2}));
  EXPECT_TRUE(p.removing_replicas.empty());
  EXPECT_EQ(p.leader, NodeId(2));
  EXPECT_EQ(p.leader_epoch, LeaderEpoch(1));
}

TEST_F(ReassignmentTest, ATargetEqualToTheReplicasChangesNothing) {
  EXPECT_TRUE(ReassignOne(0, Ids{1, 2}).ok());
  EXPECT_EQ(last_records_, 0u);
  EXPECT_EQ(Partition(0).partition_epoch, 0);
}

TEST_F(ReassignmentTest, CancelRevertsToTheOriginalReplicas) {
  ASSERT_TRUE(ReassignOne(0, Ids{2, 3}).ok());
  ASSERT_TRUE(ReassignOne(0, std::nullopt).ok());
  const PartitionState& p = Partition(0);
  // As Kafka's PartitionReassignmentRevert: the originals in their order in the replicas.
  EXPECT_EQ(p.replicas, (Ids{2, 1}));
  EXPECT_EQ(p.isr, (Ids{1, 2}));
  EXPECT_TRUE(p.adding_replicas.empty());
  EXPECT_TRUE(p.removing_replicas.empty());
  EXPECT_EQ(p.leader, NodeId(1));
  EXPECT_TRUE(ListPartitionReassignments(*image_, std::nullopt).empty());
}

TEST_F(ReassignmentTest, CancelReElectsALeaderThatWasAnAddingReplica) {
  ASSERT_TRUE(ReassignOne(0, Ids{3, 4}).ok());
  ASSERT_TRUE(AlterIsr(0, {1, 2, 3}).ok());
  Fence(1);  // Leadership goes to 3, the first in-sync replica: an adding one.
  ASSERT_EQ(Partition(0).leader, NodeId(3));
  const LeaderEpoch epoch = Partition(0).leader_epoch;
  ASSERT_TRUE(ReassignOne(0, std::nullopt).ok());
  const PartitionState& p = Partition(0);
  EXPECT_EQ(p.replicas, (Ids{1, 2}));
  EXPECT_EQ(p.isr, (Ids{2}));
  EXPECT_EQ(p.leader, NodeId(2));
  EXPECT_EQ(p.leader_epoch, epoch.Next());
}

TEST_F(ReassignmentTest, CancelWithNothingInProgressIsAnError) {
  ApiError e = ReassignOne(0, std::nullopt);
  EXPECT_EQ(e.code, ErrorCode::kNoReassignmentInProgress);
  EXPECT_EQ(last_records_, 0u);
  // And after a reassignment completed.
  ASSERT_TRUE(ReassignOne(0, Ids{2}).ok());
  EXPECT_EQ(ReassignOne(0, std::nullopt).code, ErrorCode::kNoReassignmentInProgress);
}

TEST_F(ReassignmentTest, ANewTargetReplacesTheOneInProgressAndKeepsTheOriginals) {
  ASSERT_TRUE(ReassignOne(0, Ids{2, 3}).ok());
  ASSERT_TRUE(ReassignOne(0, Ids{3, 4}).ok());
  const PartitionState& p = Partition(0);
  EXPECT_EQ(p.replicas, (Ids{3, 4, 2, 1}));
  EXPECT_EQ(p.adding_replicas, (Ids{3, 4}));
  EXPECT_EQ(p.removing_replicas, (Ids{2, 1}));
}

TEST_F(ReassignmentTest, LaterEntriesForAPartitionSeeEarlierOnes) {
  auto results = Reassign({{0, Ids{2, 3}}, {0, std::nullopt}, {1, Ids{3, 4}}});
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) EXPECT_TRUE(r.error.ok()) << r.error.message;
  EXPECT_EQ(Partition(0).replicas, (Ids{2, 1}));
  EXPECT_TRUE(Partition(0).adding_replicas.empty());
  EXPECT_EQ(Partition(1).adding_replicas, (Ids{4}));
  EXPECT_EQ(ListPartitionReassignments(*image_, ReassignmentFilter{{"t", {1}}}).size(), 1u);
  EXPECT_TRUE(ListPartitionReassignments(*image_, ReassignmentFilter{{"t", {0}}}).empty());
  EXPECT_TRUE(ListPartitionReassignments(*image_, ReassignmentFilter{{"nope", {0}}}).empty());
}

TEST_F(ReassignmentTest, RejectsUnknownPartitionsAndInvalidTargets) {
  EXPECT_EQ(Reassign({{0, Ids{1}}}, "nope").at(0).error.code, ErrorCode::kUnknownTopicOrPartition);
  EXPECT_EQ(ReassignOne(7, Ids{1}).code, ErrorCode::kUnknownTopicOrPartition);
  ApiError empty = ReassignOne(0, Ids{});
  EXPECT_EQ(empty.code, ErrorCode::kInvalidReplicaAssignment);
  EXPECT_THAT(empty.message, HasSubstr("empty replica list"));
  ApiError duplicate = ReassignOne(0, Ids{2, 3, 2});
  EXPECT_EQ(duplicate.code, ErrorCode::kInvalidReplicaAssignment);
  EXPECT_THAT(duplicate.message, HasSubstr("broker 2 more than once"));
  ApiError unknown = ReassignOne(0, Ids{2, 9});
  EXPECT_EQ(unknown.code, ErrorCode::kInvalidReplicaAssignment);
  EXPECT_THAT(unknown.message, HasSubstr("broker 9, but no such broker is registered"));
  EXPECT_EQ(Partition(0).replicas, (Ids{1, 2}));
  EXPECT_EQ(Partition(0).partition_epoch, 0);
}

TEST_F(ReassignmentTest, AFencedButRegisteredBrokerMayBeATarget) {
  Fence(4);
  ASSERT_TRUE(ReassignOne(0, Ids{1, 4}).ok());
  EXPECT_EQ(Partition(0).adding_replicas, (Ids{4}));
  // It cannot join the ISR while fenced, so the reassignment waits.
  EXPECT_EQ(AlterIsr(0, {1, 2, 4}).code, ErrorCode::kIneligibleReplica);
  EXPECT_EQ(Partition(0).adding_replicas, (Ids{4}));
}

TEST_F(ReassignmentTest, ImageRoundTripsThroughRecordsMidReassignment) {
  ASSERT_TRUE(ReassignOne(0, Ids{3, 4}).ok());
  MetadataDelta rebuilt(nullptr);
  for (const auto& r : image_->ToRecords()) ASSERT_OK(rebuilt.Replay(r, image_->offset));
  EXPECT_TRUE(rebuilt.Apply()->SameContent(*image_));
}

}  // namespace
}  // namespace karst::controller
