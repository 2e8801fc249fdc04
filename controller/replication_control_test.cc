// Controller logic without Raft: Generate* steps on an image, their records replayed through
// MetadataDelta, for every rule of topic creation, deletion, partition growth, AlterPartition
// and leader election on fencing, including each error.
#include "controller/replication_control.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "controller/metadata/metadata_delta.h"
#include "gtest/gtest.h"

namespace karst::controller {
namespace {

using ::testing::HasSubstr;
namespace proto = ::karst::metadata::proto;

std::string Id(int n) { return std::string(15, 'i') + static_cast<char>(n); }

class ReplicationControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int id = 1; id <= 3; ++id) Register(id, id == 3 ? "rack-b" : "rack-a");
  }

  void Register(int id, const std::string& rack, bool fenced = false) {
    proto::MetadataRecord r;
    r.mutable_register_broker()->set_broker_id(id);
    r.mutable_register_broker()->set_rack(rack);
    r.mutable_register_broker()->set_fenced(fenced);
    Replay({r});
  }

  void Replay(const std::vector<proto::MetadataRecord>& records) {
    MetadataDelta delta(image_);
    for (const auto& r : records) ASSERT_OK(delta.Replay(r, offset_++));
    image_ = delta.Apply();
  }

  CreateTopicResponse Create(const std::string& name, int32_t partitions, int16_t rf, int id = 1) {
    auto result = control_.GenerateCreateTopic(*image_, {name, partitions, rf, {}}, Id(id));
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

  const PartitionState& Partition(const std::string& topic, int p) {
    return image_->FindTopic(topic)->partitions.at(p);
  }

  ReplicationControl control_{{.num_partitions = 2, .default_replication_factor = 1}};
  std::shared_ptr<const MetadataImage> image_ = std::make_shared<const MetadataImage>();
  int64_t offset_ = 0;
};

TEST_F(ReplicationControlTest, CreatesATopicWithSpreadLeadersAndRackAwareReplicas) {
  CreateTopicResponse r = Create("orders", 3, 2);
  ASSERT_TRUE(r.error.ok()) << r.error.message;
  const TopicImage* topic = image_->FindTopic("orders");
  ASSERT_NE(topic, nullptr);
  ASSERT_EQ(topic->partitions.size(), 3u);
  std::set<int32_t> leaders;
  int spanning_racks = 0;
  for (const auto& [index, p] : topic->partitions) {
    leaders.insert(p.leader.value());
    ASSERT_EQ(p.replicas.size(), 2u);
    EXPECT_NE(p.replicas[0], p.replicas[1]);
    EXPECT_EQ(p.isr, p.replicas);
    EXPECT_EQ(p.leader.value(), p.replicas.front());
    spanning_racks += (p.replicas[0] == 3 || p.replicas[1] == 3) ? 1 : 0;
  }
  EXPECT_EQ(leaders.size(), 3u);  // One leader per broker.
  // Racks a = {1, 2} and b = {3}: two of the three replica pairs must span both racks (the
  // third cannot: only one broker is on rack b).
  EXPECT_EQ(spanning_racks, 2);
}

TEST_F(ReplicationControlTest, DefaultsComeFromTheOptions) {
  CreateTopicResponse r = Create("defaults", -1, -1);
  ASSERT_TRUE(r.error.ok());
  EXPECT_EQ(r.partitions, 2);
  EXPECT_EQ(r.replication_factor, 1);
}

TEST_F(ReplicationControlTest, RefusesBadNamesDuplicatesAndImpossibleShapes) {
  EXPECT_EQ(Create("bad name", 1, 1).error.code, ErrorCode::kInvalidTopicException);
  EXPECT_THAT(Create("bad/name", 1, 1).error.message, HasSubstr("ASCII alphanumerics"));
  EXPECT_EQ(Create("..", 1, 1).error.code, ErrorCode::kInvalidTopicException);
  EXPECT_EQ(Create(std::string(250, 'x'), 1, 1).error.code, ErrorCode::kInvalidTopicException);
  ASSERT_TRUE(Create("orders", 1, 1).error.ok());
  CreateTopicResponse dup = Create("orders", 1, 1, 2);
  EXPECT_EQ(dup.error.code, ErrorCode::kTopicAlreadyExists);
  EXPECT_EQ(dup.error.message, "Topic 'orders' already exists.");
  EXPECT_EQ(Create("zero", 0, 1, 3).error.code, ErrorCode::kInvalidPartitions);
  CreateTopicResponse too_many = Create("wide", 1, 4, 4);
  EXPECT_EQ(too_many.error.code, ErrorCode::kInvalidReplicationFactor);
  EXPECT_THAT(too_many.error.message, HasSubstr("only 3 broker(s) are registered"));
  Fence(3);
  EXPECT_EQ(Create("wide", 1, 3, 5).error.code, ErrorCode::kInvalidReplicationFactor);
}

TEST_F(ReplicationControlTest, DeletesTopicsAndNamesUnknownOnes) {
  ASSERT_TRUE(Create("orders", 2, 1).error.ok());
  auto unknown = control_.GenerateDeleteTopic(*image_, "nope");
  EXPECT_EQ(unknown.response.code, ErrorCode::kUnknownTopicOrPartition);
  EXPECT_TRUE(unknown.records.empty());
  auto del = control_.GenerateDeleteTopic(*image_, "orders");
  ASSERT_TRUE(del.response.ok());
  Replay(del.records);
  EXPECT_EQ(image_->FindTopic("orders"), nullptr);
}

TEST_F(ReplicationControlTest, PartitionsOnlyGrowWithKafkasMessages) {
  ASSERT_TRUE(Create("orders", 3, 2).error.ok());
  auto fewer = control_.GenerateCreatePartitions(*image_, "orders", 2);
  EXPECT_EQ(fewer.response.code, ErrorCode::kInvalidPartitions);
  EXPECT_EQ(fewer.response.message,
            "Topic currently has 3 partitions, which is higher than the requested 2.");
  auto same = control_.GenerateCreatePartitions(*image_, "orders", 3);
  EXPECT_EQ(same.response.message, "Topic already has 3 partitions.");
  auto more = control_.GenerateCreatePartitions(*image_, "orders", 5);
  ASSERT_TRUE(more.response.ok());
  Replay(more.records);
  EXPECT_EQ(image_->FindTopic("orders")->partitions.size(), 5u);
  EXPECT_EQ(Partition("orders", 4).replicas.size(), 2u);
}

TEST_F(ReplicationControlTest, AlterPartitionIsFencedByEpochsAndEligibility) {
  ASSERT_TRUE(Create("orders", 1, 3).error.ok());
  const PartitionState p = Partition("orders", 0);
  const std::string topic_id = image_->FindTopic("orders")->id;
  AlterPartitionRequest request{p.leader,       topic_id,          0,
                                p.leader_epoch, p.partition_epoch, {p.leader.value()}};
  AlterPartitionRequest stale_leader = request;
  stale_leader.leader_epoch = p.leader_epoch.Plus(-1);
  EXPECT_EQ(control_.GenerateAlterPartition(*image_, stale_leader).response.code,
            ErrorCode::kFencedLeaderEpoch);
  AlterPartitionRequest stale_partition = request;
  stale_partition.partition_epoch = p.partition_epoch + 1;
  EXPECT_EQ(control_.GenerateAlterPartition(*image_, stale_partition).response.code,
            ErrorCode::kInvalidUpdateVersion);
  AlterPartitionRequest not_leader = request;
  not_leader.broker = NodeId(p.replicas[1]);
  EXPECT_EQ(control_.GenerateAlterPartition(*image_, not_leader).response.code,
            ErrorCode::kNotLeaderOrFollower);
  AlterPartitionRequest empty = request;
  empty.new_isr = {};
  EXPECT_EQ(control_.GenerateAlterPartition(*image_, empty).response.code,
            ErrorCode::kInvalidRequest);
  // A fenced broker may not be proposed for the ISR.
  const int other = p.replicas[1];
  proto::MetadataRecord fence;
  fence.mutable_fence_broker()->set_broker_id(other);
  Replay({fence});
  AlterPartitionRequest fenced = request;
  fenced.new_isr = {p.leader.value(), other};
  auto refused = control_.GenerateAlterPartition(*image_, fenced);
  EXPECT_EQ(refused.response.code, ErrorCode::kIneligibleReplica);
  EXPECT_TRUE(refused.records.empty());
  // Shrinking to the leader alone is accepted and bumps the partition epoch.
  auto shrink = control_.GenerateAlterPartition(*image_, request);
  ASSERT_TRUE(shrink.response.ok()) << shrink.response.message;
  Replay(shrink.records);
  EXPECT_EQ(Partition("orders", 0).isr, std::vector<int32_t>{p.leader.value()});
  EXPECT_EQ(Partition("orders", 0).partition_epoch, p.partition_epoch + 1);
  EXPECT_EQ(Partition("orders", 0).leader_epoch, p.leader_epoch);
}

TEST_F(ReplicationControlTest, FencingMovesLeadershipToTheNextInSyncReplica) {
  ASSERT_TRUE(Create("orders", 1, 3).error.ok());
  const PartitionState before = Partition("orders", 0);
  Fence(before.leader.value());
  const PartitionState& after = Partition("orders", 0);
  EXPECT_EQ(after.leader.value(), before.replicas[1]);  // Replica order.
  EXPECT_EQ(after.leader_epoch, before.leader_epoch.Next());
  EXPECT_EQ(after.isr.size(), 2u);
  EXPECT_FALSE(std::count(after.isr.begin(), after.isr.end(), before.leader.value()));
}

TEST_F(ReplicationControlTest, TheLastInSyncReplicaFencedLeavesThePartitionOffline) {
  ASSERT_TRUE(Create("orders", 1, 2).error.ok());
  const PartitionState p = Partition("orders", 0);
  const std::string topic_id = image_->FindTopic("orders")->id;
  auto shrink = control_.GenerateAlterPartition(
      *image_, {p.leader, topic_id, 0, p.leader_epoch, p.partition_epoch, {p.leader.value()}});
  Replay(shrink.records);
  Fence(p.leader.value());
  EXPECT_EQ(Partition("orders", 0).leader, NodeId(-1));
  EXPECT_EQ(Partition("orders", 0).isr, std::vector<int32_t>{p.leader.value()});
}

TEST_F(ReplicationControlTest, UncleanElectionTakesAnOutOfSyncReplicaWhenAllowed) {
  ASSERT_TRUE(Create("orders", 1, 2).error.ok());
  proto::MetadataRecord unclean;
  unclean.mutable_config()->set_resource_type(2);
  unclean.mutable_config()->set_resource_name("orders");
  unclean.mutable_config()->set_name("unclean.leader.election.enable");
  unclean.mutable_config()->set_value("true");
  Replay({unclean});
  const PartitionState p = Partition("orders", 0);
  const std::string topic_id = image_->FindTopic("orders")->id;
  Replay(control_
             .GenerateAlterPartition(
                 *image_,
                 {p.leader, topic_id, 0, p.leader_epoch, p.partition_epoch, {p.leader.value()}})
             .records);
  Fence(p.leader.value());
  EXPECT_EQ(Partition("orders", 0).leader.value(), p.replicas[1]);
  EXPECT_EQ(Partition("orders", 0).isr, std::vector<int32_t>{p.replicas[1]});
}

TEST_F(ReplicationControlTest, PreferredLeaderElectionReturnsLeadershipToTheFirstReplica) {
  ASSERT_TRUE(Create("orders", 2, 3).error.ok());
  const PartitionState p0 = Partition("orders", 0);
  const int preferred = p0.replicas.front();
  Fence(preferred);  // Leadership moves away from the preferred replica.
  ASSERT_NE(Partition("orders", 0).leader.value(), preferred);
  // Still fenced and out of the ISR: it cannot lead yet.
  auto early = control_.GeneratePreferredLeaderElection(*image_, {{"orders", 0}});
  EXPECT_EQ(early.response[0].error.code, ErrorCode::kPreferredLeaderNotAvailable);
  EXPECT_TRUE(early.records.empty());
  // Back, unfenced, and in the ISR again (the leader's AlterPartition).
  proto::MetadataRecord unfence;
  unfence.mutable_unfence_broker()->set_broker_id(preferred);
  Replay({unfence});
  const PartitionState now = Partition("orders", 0);
  std::vector<int32_t> isr = now.isr;
  isr.push_back(preferred);
  Replay(control_
             .GenerateAlterPartition(*image_, {now.leader, image_->FindTopic("orders")->id, 0,
                                               now.leader_epoch, now.partition_epoch, isr})
             .records);
  auto elect = control_.GeneratePreferredLeaderElection(*image_, {});
  Replay(elect.records);
  EXPECT_EQ(Partition("orders", 0).leader.value(), preferred);
  EXPECT_GT(Partition("orders", 0).leader_epoch, now.leader_epoch);
  // Partition 1's first replica is another broker, which never lost its leadership.
  ASSERT_EQ(elect.response.size(), 2u);
  EXPECT_EQ(elect.response[1].partition, 1);
  EXPECT_EQ(elect.response[1].error.code, ErrorCode::kElectionNotNeeded);
  auto unknown = control_.GeneratePreferredLeaderElection(*image_, {{"nope", 0}});
  EXPECT_EQ(unknown.response[0].error.code, ErrorCode::kUnknownTopicOrPartition);
}

}  // namespace
}  // namespace karst::controller
