// Broker registration, heartbeats, session expiry, controlled shutdown and producer-id blocks,
// as Generate steps replayed through MetadataDelta, without Raft.
#include "controller/cluster_control.h"

#include "common/testing/status_matchers.h"
#include "controller/metadata/metadata_delta.h"
#include "controller/producer_id_control.h"
#include "gtest/gtest.h"

namespace karst::controller {
namespace {

namespace proto = ::karst::metadata::proto;

class ClusterControlTest : public ::testing::Test {
 protected:
  void Replay(const std::vector<proto::MetadataRecord>& records) {
    MetadataDelta delta(image_);
    for (const auto& r : records) ASSERT_OK(delta.Replay(r, ++offset_));
    image_ = delta.Apply();
  }

  int64_t Register(int id, const std::string& incarnation = "a") {
    auto r =
        cluster_.GenerateRegister(*image_, {NodeId(id), incarnation, {}, ""}, offset_ + 1, now_);
    EXPECT_TRUE(r.response.error.ok()) << r.response.error.message;
    Replay(r.records);
    return r.response.broker_epoch;
  }

  BrokerHeartbeatResponse Heartbeat(int id, int64_t epoch, bool want_shutdown = false) {
    auto r = cluster_.GenerateHeartbeat(
        *image_, {NodeId(id), epoch, image_->offset, false, want_shutdown}, now_);
    Replay(r.records);
    return r.response;
  }

  ReplicationControl replication_{{}};
  ClusterControl cluster_{absl::Seconds(9), replication_};
  std::shared_ptr<const MetadataImage> image_ = std::make_shared<const MetadataImage>();
  int64_t offset_ = 0;
  absl::Duration now_ = absl::Seconds(100);
};

TEST_F(ClusterControlTest, RegistersFencedAndUnfencesOnceCaughtUp) {
  const int64_t epoch = Register(1);
  EXPECT_TRUE(image_->brokers.at(NodeId(1)).fenced);
  EXPECT_EQ(image_->brokers.at(NodeId(1)).epoch, epoch);
  // A heartbeat from a broker whose metadata is behind its own registration stays fenced.
  auto behind = cluster_.GenerateHeartbeat(*image_, {NodeId(1), epoch, epoch - 1}, now_);
  EXPECT_TRUE(behind.response.is_fenced);
  EXPECT_TRUE(behind.records.empty());
  EXPECT_FALSE(Heartbeat(1, epoch).is_fenced);
  EXPECT_FALSE(image_->brokers.at(NodeId(1)).fenced);
}

TEST_F(ClusterControlTest, RefusesStaleEpochsUnknownBrokersAndLiveDuplicates) {
  const int64_t epoch = Register(1);
  Heartbeat(1, epoch);
  EXPECT_EQ(Heartbeat(1, epoch + 5).error.code, ErrorCode::kStaleBrokerEpoch);
  EXPECT_EQ(Heartbeat(7, 1).error.code, ErrorCode::kBrokerIdNotRegistered);
  auto duplicate = cluster_.GenerateRegister(*image_, {NodeId(1), "b", {}, ""}, offset_ + 1, now_);
  EXPECT_EQ(duplicate.response.error.code, ErrorCode::kDuplicateBrokerRegistration);
  // The same incarnation retrying is answered with its epoch and no records.
  auto retry = cluster_.GenerateRegister(*image_, {NodeId(1), "a", {}, ""}, offset_ + 1, now_);
  EXPECT_TRUE(retry.records.empty());
  EXPECT_EQ(retry.response.broker_epoch, epoch);
  // Once the old session expired, a new incarnation may take the id.
  now_ += absl::Seconds(10);
  auto fresh = cluster_.GenerateRegister(*image_, {NodeId(1), "b", {}, ""}, offset_ + 1, now_);
  EXPECT_TRUE(fresh.response.error.ok());
}

TEST_F(ClusterControlTest, ExpiredSessionsAreFencedAndTheirLeadershipsMove) {
  std::vector<int64_t> epochs;
  for (int id = 1; id <= 3; ++id) epochs.push_back(Register(id));
  for (int id = 1; id <= 3; ++id) Heartbeat(id, epochs[static_cast<size_t>(id - 1)]);
  auto create =
      replication_.GenerateCreateTopic(*image_, {"orders", 3, 3, {}}, std::string(16, 'o'));
  Replay(create.records);
  now_ += absl::Seconds(5);
  Heartbeat(2, epochs[1]);
  Heartbeat(3, epochs[2]);
  now_ += absl::Seconds(5);  // Broker 1 silent for 10 s > 9 s; the others for 5 s.
  auto expiries = cluster_.GenerateSessionExpiries(*image_, now_);
  Replay(expiries);
  EXPECT_TRUE(image_->brokers.at(NodeId(1)).fenced);
  EXPECT_FALSE(image_->brokers.at(NodeId(2)).fenced);
  for (const auto& [index, p] : image_->FindTopic("orders")->partitions) {
    EXPECT_NE(p.leader, NodeId(1)) << "partition " << index;
    EXPECT_EQ(std::count(p.isr.begin(), p.isr.end(), 1), 0);
  }
}

TEST_F(ClusterControlTest, TwoBrokersExpiringTogetherLeaveNoFencedBrokerInCharge) {
  std::vector<int64_t> epochs;
  for (int id = 1; id <= 3; ++id) epochs.push_back(Register(id));
  for (int id = 1; id <= 3; ++id) Heartbeat(id, epochs[static_cast<size_t>(id - 1)]);
  Replay(replication_.GenerateCreateTopic(*image_, {"orders", 3, 3, {}}, std::string(16, 'o'))
             .records);
  now_ += absl::Seconds(5);
  Heartbeat(3, epochs[2]);
  now_ += absl::Seconds(5);
  Replay(cluster_.GenerateSessionExpiries(*image_, now_));
  for (const auto& [index, p] : image_->FindTopic("orders")->partitions) {
    EXPECT_EQ(p.leader, NodeId(3)) << "partition " << index;
    EXPECT_EQ(p.isr, std::vector<int32_t>{3});
  }
}

TEST_F(ClusterControlTest, ControlledShutdownMovesLeadershipFirst) {
  std::vector<int64_t> epochs;
  for (int id = 1; id <= 2; ++id) epochs.push_back(Register(id));
  for (int id = 1; id <= 2; ++id) Heartbeat(id, epochs[static_cast<size_t>(id - 1)]);
  Replay(replication_.GenerateCreateTopic(*image_, {"orders", 2, 2, {}}, std::string(16, 'o'))
             .records);
  BrokerHeartbeatResponse r = Heartbeat(1, epochs[0], /*want_shutdown=*/true);
  EXPECT_TRUE(r.should_shutdown);
  EXPECT_TRUE(r.is_fenced);
  for (const auto& [index, p] : image_->FindTopic("orders")->partitions) {
    EXPECT_EQ(p.leader, NodeId(2));
  }
}

TEST_F(ClusterControlTest, UnfencedLastInSyncReplicaLeadsItsOfflinePartitionsAgain) {
  std::vector<int64_t> epochs;
  for (int id = 1; id <= 2; ++id) epochs.push_back(Register(id));
  for (int id = 1; id <= 2; ++id) Heartbeat(id, epochs[static_cast<size_t>(id - 1)]);
  Replay(replication_.GenerateCreateTopic(*image_, {"orders", 2, 2, {}}, std::string(16, 'o'))
             .records);
  // Every node stops cleanly, broker 1 last: it stays the only ISR member, with no leader.
  Heartbeat(2, epochs[1], /*want_shutdown=*/true);
  Heartbeat(1, epochs[0], /*want_shutdown=*/true);
  for (const auto& [index, p] : image_->FindTopic("orders")->partitions) {
    EXPECT_EQ(p.leader, NodeId(-1));
    EXPECT_EQ(p.isr, std::vector<int32_t>{1});
  }
  // Broker 1 comes back and catches up: it leads again (broker 2 alone never could).
  EXPECT_FALSE(Heartbeat(2, epochs[1]).is_fenced);
  EXPECT_EQ(image_->FindTopic("orders")->partitions.at(0).leader, NodeId(-1));
  EXPECT_FALSE(Heartbeat(1, epochs[0]).is_fenced);
  for (const auto& [index, p] : image_->FindTopic("orders")->partitions) {
    EXPECT_EQ(p.leader, NodeId(1)) << "partition " << index;
  }
}

TEST_F(ClusterControlTest, ProducerIdBlocksNeverOverlap) {
  const int64_t epoch = Register(1);
  auto first = GenerateAllocateProducerIds(*image_, NodeId(1), epoch);
  Replay(first.records);
  auto second = GenerateAllocateProducerIds(*image_, NodeId(1), epoch);
  Replay(second.records);
  EXPECT_EQ(first.response.first, 0);
  EXPECT_EQ(second.response.first, first.response.first + kProducerIdBlockSize);
  EXPECT_EQ(GenerateAllocateProducerIds(*image_, NodeId(1), epoch + 1).response.error.code,
            ErrorCode::kStaleBrokerEpoch);
}

}  // namespace
}  // namespace karst::controller
