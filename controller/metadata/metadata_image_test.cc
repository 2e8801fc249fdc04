// Image tests: a random stream of metadata records folded into an image, and the image
// written back out as records and folded again from nothing, give the same image at every
// step; and records that do not fit the image are refused with the offset named.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/random.h"
#include "common/testing/status_matchers.h"
#include "controller/metadata/metadata_delta.h"
#include "gtest/gtest.h"

namespace karst::controller {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

std::string TopicId(int n) {
  std::string id(16, '\0');
  id[15] = static_cast<char>(n);
  id[0] = 'T';
  return id;
}

proto::MetadataRecord Topic(const std::string& name, int n) {
  proto::MetadataRecord r;
  r.mutable_topic()->set_name(name);
  r.mutable_topic()->set_topic_id(TopicId(n));
  return r;
}

proto::MetadataRecord Partition(int topic, int partition, std::vector<int32_t> replicas) {
  proto::MetadataRecord r;
  proto::PartitionRecord* p = r.mutable_partition();
  p->set_topic_id(TopicId(topic));
  p->set_partition_id(partition);
  p->mutable_replicas()->Add(replicas.begin(), replicas.end());
  p->mutable_isr()->Add(replicas.begin(), replicas.end());
  p->set_leader(replicas.front());
  return r;
}

// A random record that fits `image` (so replay accepts it).
proto::MetadataRecord RandomRecord(const MetadataImage& image, SeededRandom& rnd, int& next_topic) {
  proto::MetadataRecord r;
  const int64_t dice = rnd.Uniform(0, 9);
  if (dice == 0 || image.brokers.empty()) {
    proto::RegisterBrokerRecord* b = r.mutable_register_broker();
    b->set_broker_id(static_cast<int32_t>(rnd.Uniform(1, 5)));
    b->set_incarnation_id(absl::StrCat("inc-", rnd.Next() % 1000));
    b->set_broker_epoch(static_cast<int64_t>(rnd.Next() % 1000));
    b->set_rack(rnd.Uniform(0, 1) == 0 ? "" : "rack-a");
    b->set_fenced(rnd.Uniform(0, 1) == 0);
    proto::BrokerEndpoint* e = b->add_endpoints();
    e->set_name("PLAINTEXT");
    e->set_host(absl::StrCat("127.0.0.", b->broker_id() + 1));
    e->set_port(9092);
    e->set_security_protocol("PLAINTEXT");
  } else if (dice == 1) {
    const NodeId id = std::next(image.brokers.begin(),
                                rnd.Uniform(0, static_cast<int64_t>(image.brokers.size()) - 1))
                          ->first;
    if (rnd.Uniform(0, 1) == 0) {
      r.mutable_fence_broker()->set_broker_id(id.value());
    } else {
      r.mutable_unfence_broker()->set_broker_id(id.value());
    }
  } else if (dice == 2 || image.topics.empty()) {
    ++next_topic;
    return Topic(absl::StrCat("topic-", next_topic), next_topic);
  } else if (dice <= 5) {
    const auto& [id, topic] = *std::next(
        image.topics.begin(), rnd.Uniform(0, static_cast<int64_t>(image.topics.size()) - 1));
    if (topic.partitions.empty() || dice == 3) {
      proto::PartitionRecord* p = r.mutable_partition();
      p->set_topic_id(id);
      p->set_partition_id(static_cast<int32_t>(topic.partitions.size()));
      for (int i = 0; i < 3; ++i) p->add_replicas(static_cast<int32_t>(rnd.Uniform(1, 5)));
      p->add_isr(p->replicas(0));
      p->set_leader(p->replicas(0));
    } else {
      proto::PartitionChangeRecord* c = r.mutable_partition_change();
      c->set_topic_id(id);
      c->set_partition_id(
          static_cast<int32_t>(rnd.Uniform(0, static_cast<int64_t>(topic.partitions.size()) - 1)));
      if (rnd.Uniform(0, 1) == 0) c->set_leader(static_cast<int32_t>(rnd.Uniform(-1, 5)));
      if (rnd.Uniform(0, 1) == 0)
        c->mutable_isr()->add_values(static_cast<int32_t>(rnd.Uniform(1, 5)));
    }
  } else if (dice == 6) {
    const auto& [id, topic] = *std::next(
        image.topics.begin(), rnd.Uniform(0, static_cast<int64_t>(image.topics.size()) - 1));
    r.mutable_remove_topic()->set_topic_id(id);
  } else if (dice == 7) {
    proto::ConfigRecord* c = r.mutable_config();
    c->set_resource_type(rnd.Uniform(0, 1) == 0 ? 2 : 4);
    c->set_resource_name(absl::StrCat("res-", rnd.Uniform(0, 3)));
    c->set_name(rnd.Uniform(0, 1) == 0 ? "retention.ms" : "cleanup.policy");
    if (rnd.Uniform(0, 3) != 0) c->set_value(absl::StrCat(rnd.Uniform(0, 100)));
  } else if (dice == 8) {
    r.mutable_producer_ids()->set_next_producer_id(image.next_producer_id + 1000);
  } else {
    r.mutable_feature_level()->set_name("metadata.version");
    r.mutable_feature_level()->set_feature_level(static_cast<int32_t>(rnd.Uniform(1, 20)));
  }
  return r;
}

MetadataImage Rebuild(const std::vector<proto::MetadataRecord>& records) {
  MetadataDelta delta(nullptr);
  int64_t offset = 0;
  for (const proto::MetadataRecord& r : records) {
    absl::Status s = delta.Replay(r, offset++);
    EXPECT_TRUE(s.ok()) << s;
  }
  return *delta.Apply();
}

TEST(MetadataImage, RecordsOutAndBackGiveTheSameImageAtEveryStep) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    SeededRandom rnd(seed);
    int next_topic = 0;
    auto image = std::make_shared<const MetadataImage>();
    for (int64_t offset = 0; offset < 300; ++offset) {
      MetadataDelta delta(image);
      const proto::MetadataRecord record = RandomRecord(*image, rnd, next_topic);
      ASSERT_OK(delta.Replay(record, offset)) << "seed " << seed << ": " << record.DebugString();
      image = delta.Apply();
      ASSERT_EQ(image->offset, offset);
      const MetadataImage rebuilt = Rebuild(image->ToRecords());
      ASSERT_TRUE(rebuilt.SameContent(*image)) << "seed " << seed << " offset " << offset;
    }
  }
}

TEST(MetadataDelta, LeaderChangesBumpTheLeaderEpochAndEveryChangeThePartitionEpoch) {
  MetadataDelta delta(nullptr);
  ASSERT_OK(delta.Replay(Topic("orders", 1), 0));
  ASSERT_OK(delta.Replay(Partition(1, 0, {1, 2, 3}), 1));
  proto::MetadataRecord change;
  change.mutable_partition_change()->set_topic_id(TopicId(1));
  change.mutable_partition_change()->set_partition_id(0);
  change.mutable_partition_change()->mutable_isr()->add_values(1);
  ASSERT_OK(delta.Replay(change, 2));
  change.mutable_partition_change()->set_leader(2);
  ASSERT_OK(delta.Replay(change, 3));
  const auto image = delta.Apply();
  const PartitionState& p = image->FindTopic("orders")->partitions.at(0);
  EXPECT_EQ(p.leader, NodeId(2));
  EXPECT_EQ(p.leader_epoch, LeaderEpoch(1));
  EXPECT_EQ(p.partition_epoch, 2);
  EXPECT_EQ(p.isr, std::vector<int32_t>{1});
}

TEST(MetadataDelta, RefusesRecordsThatDoNotFitAndStaysUnchanged) {
  MetadataDelta delta(nullptr);
  EXPECT_THAT(delta.Replay(Partition(7, 0, {1}), 5),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("offset 5: partition of unknown topic")));
  ASSERT_OK(delta.Replay(Topic("orders", 1), 6));
  EXPECT_THAT(delta.Replay(Topic("orders", 2), 7),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already exists")));
  proto::MetadataRecord fence;
  fence.mutable_fence_broker()->set_broker_id(9);
  EXPECT_THAT(delta.Replay(fence, 8),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("unknown broker 9")));
  proto::MetadataRecord future = Topic("later", 3);
  future.mutable_topic()->set_version(kMetadataRecordVersion + 1);
  EXPECT_THAT(delta.Replay(future, 9),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("newer than this build")));
  EXPECT_THAT(delta.Replay(proto::MetadataRecord(), 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty record")));
  const auto image = delta.Apply();
  EXPECT_EQ(image->offset, 6);
  EXPECT_EQ(image->topics.size(), 1u);
}

TEST(MetadataDelta, RemovingATopicDropsItsNameAndConfigs) {
  MetadataDelta delta(nullptr);
  ASSERT_OK(delta.Replay(Topic("orders", 1), 0));
  proto::MetadataRecord config;
  config.mutable_config()->set_resource_type(2);
  config.mutable_config()->set_resource_name("orders");
  config.mutable_config()->set_name("retention.ms");
  config.mutable_config()->set_value("1000");
  ASSERT_OK(delta.Replay(config, 1));
  proto::MetadataRecord remove;
  remove.mutable_remove_topic()->set_topic_id(TopicId(1));
  ASSERT_OK(delta.Replay(remove, 2));
  const auto image = delta.Apply();
  EXPECT_EQ(image->FindTopic("orders"), nullptr);
  EXPECT_TRUE(image->configs.empty());
  ASSERT_OK(delta.Replay(Topic("orders", 2), 3));  // The name is free again.
}

}  // namespace
}  // namespace karst::controller
