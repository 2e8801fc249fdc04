// Topic configs: validation with Kafka's types, ranges and wording; IncrementalAlterConfigs
// (set, delete, append, subtract; all or nothing) replayed through MetadataDelta; describe
// with defaults; and creation refusing bad configs. Broker configs (KIP-226): the dynamic keys,
// per-broker and cluster-wide values, their precedence, and the defaults the controller reads.
#include "controller/config_control.h"

#include "common/testing/status_matchers.h"
#include "controller/metadata/metadata_delta.h"
#include "gtest/gtest.h"

namespace karst::controller {
namespace {

using ::testing::HasSubstr;
namespace proto = ::karst::metadata::proto;

class ConfigControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proto::MetadataRecord broker;
    broker.mutable_register_broker()->set_broker_id(1);
    Replay({broker});
    Replay(replication_.GenerateCreateTopic(*image_, {"orders", 1, 1, {}}, std::string(16, 'o'))
               .records);
  }

  ApiError AlterBroker(const std::string& broker, std::vector<AlterConfigOp> ops) {
    auto r = GenerateIncrementalAlterBrokerConfigs(*image_, broker, ops);
    if (!r.response.ok()) {
      EXPECT_TRUE(r.records.empty());
    }
    Replay(r.records);
    return r.response;
  }

  void Replay(const std::vector<proto::MetadataRecord>& records) {
    MetadataDelta delta(image_);
    for (const auto& r : records) ASSERT_OK(delta.Replay(r, ++offset_));
    image_ = delta.Apply();
  }

  ApiError Alter(std::vector<AlterConfigOp> ops) {
    auto r = GenerateIncrementalAlterTopicConfigs(*image_, "orders", ops);
    Replay(r.records);
    return r.response;
  }

  std::string Effective(const std::string& name) {
    for (const ConfigEntry& e : *DescribeTopicConfigs(*image_, "orders")) {
      if (e.name == name) return e.value;
    }
    return "(missing)";
  }

  ReplicationControl replication_{{}};
  std::shared_ptr<const MetadataImage> image_ = std::make_shared<const MetadataImage>();
  int64_t offset_ = 0;
};

TEST_F(ConfigControlTest, ValidatesWithKafkasTypesAndWording) {
  EXPECT_TRUE(ValidateTopicConfig("retention.ms", "-1").ok());
  EXPECT_EQ(ValidateTopicConfig("retention.ms", "soon").message,
            "Invalid value soon for configuration retention.ms: Not a number of type LONG");
  EXPECT_THAT(ValidateTopicConfig("retention.ms", "-2").message, HasSubstr("at least -1"));
  EXPECT_THAT(ValidateTopicConfig("segment.bytes", "3000000000").message, HasSubstr("type INT"));
  EXPECT_THAT(ValidateTopicConfig("cleanup.policy", "delete,shred").message,
              HasSubstr("List items must be in: delete, compact"));
  EXPECT_THAT(ValidateTopicConfig("preallocate", "yes").message, HasSubstr("true or false"));
  EXPECT_EQ(ValidateTopicConfig("retention.hours", "1").message,
            "Unknown topic config name: retention.hours");
  EXPECT_EQ(ValidateTopicConfig("retention.hours", "1").code, ErrorCode::kInvalidConfig);
}

TEST_F(ConfigControlTest, SetDeleteAppendSubtractAndDescribe) {
  EXPECT_EQ(Effective("retention.ms"), "604800000");
  ASSERT_TRUE(Alter({{"retention.ms", AlterOp::kSet, "1000"}}).ok());
  EXPECT_EQ(Effective("retention.ms"), "1000");
  ASSERT_TRUE(Alter({{"cleanup.policy", AlterOp::kAppend, "compact"}}).ok());
  EXPECT_EQ(Effective("cleanup.policy"), "delete,compact");
  ASSERT_TRUE(Alter({{"cleanup.policy", AlterOp::kSubtract, "delete"}}).ok());
  EXPECT_EQ(Effective("cleanup.policy"), "compact");
  ASSERT_TRUE(Alter({{"retention.ms", AlterOp::kDelete, ""}}).ok());
  EXPECT_EQ(Effective("retention.ms"), "604800000");
  EXPECT_EQ(DescribeTopicConfigs(*image_, "missing"), std::nullopt);
}

TEST_F(ConfigControlTest, AnInvalidOpChangesNothing) {
  ApiError e = Alter({{"retention.ms", AlterOp::kSet, "5"}, {"segment.ms", AlterOp::kSet, "0"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidConfig);
  EXPECT_EQ(Effective("retention.ms"), "604800000");  // All or nothing.
  EXPECT_THAT(Alter({{"retention.ms", AlterOp::kAppend, "5"}}).message,
              HasSubstr("append/subtract is not allowed"));
  EXPECT_EQ(GenerateIncrementalAlterTopicConfigs(*image_, "nope", {}).response.code,
            ErrorCode::kUnknownTopicOrPartition);
}

TEST_F(ConfigControlTest, CreatingATopicRefusesBadConfigs) {
  auto bad = replication_.GenerateCreateTopic(
      *image_, {"events", 1, 1, {{"min.insync.replicas", "0"}}}, std::string(16, 'e'));
  EXPECT_EQ(bad.response.error.code, ErrorCode::kInvalidConfig);
  EXPECT_TRUE(bad.records.empty());
  auto good = replication_.GenerateCreateTopic(
      *image_, {"events", 1, 1, {{"retention.ms", "60000"}}}, std::string(16, 'e'));
  ASSERT_TRUE(good.response.error.ok());
  Replay(good.records);
  bool found = false;
  for (const ConfigEntry& e : *DescribeTopicConfigs(*image_, "events")) {
    if (e.name == "retention.ms") {
      found = true;
      EXPECT_EQ(e.value, "60000");
      EXPECT_FALSE(e.is_default);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ConfigControlTest, BrokerConfigsAreRecordedPerBrokerAndClusterWide) {
  auto r = GenerateIncrementalAlterBrokerConfigs(*image_, "",
                                                 {{"min.insync.replicas", AlterOp::kSet, "2"}});
  ASSERT_TRUE(r.response.ok()) << r.response.message;
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].config().resource_type(), 4);
  EXPECT_EQ(r.records[0].config().resource_name(), "");
  EXPECT_EQ(r.records[0].config().value(), "2");
  Replay(r.records);
  ASSERT_TRUE(AlterBroker("1", {{"min.insync.replicas", AlterOp::kSet, "3"},
                                {"auto.create.topics.enable", AlterOp::kSet, "FALSE"}})
                  .ok());
  // Per broker > cluster default > static.
  EXPECT_EQ(EffectiveBrokerInt(*image_, NodeId(1), "min.insync.replicas", 1), 3);
  EXPECT_EQ(EffectiveBrokerInt(*image_, NodeId(2), "min.insync.replicas", 1), 2);
  EXPECT_EQ(EffectiveBrokerInt(*image_, kClusterDefault, "min.insync.replicas", 1), 2);
  EXPECT_EQ(EffectiveBrokerInt(*image_, NodeId(1), "message.max.bytes", 77), 77);
  EXPECT_FALSE(EffectiveBrokerBool(*image_, NodeId(1), "auto.create.topics.enable", true));
  EXPECT_EQ(FindDynamicBrokerConfig(*image_, NodeId(1), "min.insync.replicas")->source,
            BrokerConfigSource::kDynamicBroker);
  EXPECT_EQ(FindDynamicBrokerConfig(*image_, NodeId(2), "min.insync.replicas")->source,
            BrokerConfigSource::kDynamicDefault);
  // A broker id not (yet) registered is accepted, as Kafka does.
  EXPECT_TRUE(AlterBroker("7", {{"log.retention.ms", AlterOp::kSet, "1000"}}).ok());
  EXPECT_EQ(EffectiveBrokerInt(*image_, NodeId(7), "log.retention.ms", 5), 1000);
}

TEST_F(ConfigControlTest, DeletingABrokerConfigFallsBack) {
  ASSERT_TRUE(AlterBroker("", {{"message.max.bytes", AlterOp::kSet, "1000"}}).ok());
  ASSERT_TRUE(AlterBroker("1", {{"message.max.bytes", AlterOp::kSet, "2000"}}).ok());
  ASSERT_TRUE(AlterBroker("1", {{"message.max.bytes", AlterOp::kDelete, ""}}).ok());
  EXPECT_EQ(EffectiveBrokerInt(*image_, NodeId(1), "message.max.bytes", 5), 1000);
  ASSERT_TRUE(AlterBroker("", {{"message.max.bytes", AlterOp::kDelete, ""}}).ok());
  EXPECT_EQ(EffectiveBrokerInt(*image_, NodeId(1), "message.max.bytes", 5), 5);
  EXPECT_TRUE(image_->configs.empty());
}

TEST_F(ConfigControlTest, BrokerConfigsRefuseStaticKeysBadValuesAndBadNames) {
  ApiError e = AlterBroker("", {{"min.insync.replicas", AlterOp::kSet, "2"},
                                {"log.dirs", AlterOp::kSet, "/x"},
                                {"node.id", AlterOp::kSet, "3"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e.message, "Cannot update these configs dynamically: [log.dirs, node.id]");
  e = AlterBroker("1", {{"min.insync.replicas", AlterOp::kSet, "0"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidConfig);
  EXPECT_EQ(e.message,
            "Invalid value 0 for configuration min.insync.replicas: expected an integer in [1, "
            "2147483647]");
  e = AlterBroker("1", {{"message.max.bytes", AlterOp::kSet, "big"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidConfig);
  EXPECT_THAT(e.message, HasSubstr("message.max.bytes"));
  e = AlterBroker("", {{"unclean.leader.election.enable", AlterOp::kSet, "maybe"}});
  EXPECT_THAT(e.message, HasSubstr("expected true or false"));
  e = AlterBroker("", {{"num.partitions", AlterOp::kAppend, "1"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidConfig);
  e = AlterBroker("broker-1", {{"num.partitions", AlterOp::kSet, "2"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(e.message, "Unable to parse broker name as a base 10 number.");
  EXPECT_TRUE(image_->configs.empty() ||
              !image_->configs.contains({static_cast<int32_t>(ResourceType::kBroker), ""}));
}

TEST_F(ConfigControlTest, CreateTopicDefaultsFollowTheClusterWideValue) {
  ASSERT_TRUE(AlterBroker("", {{"num.partitions", AlterOp::kSet, "3"}}).ok());
  // A per-broker value is that broker's, not the controller's.
  ASSERT_TRUE(AlterBroker("1", {{"num.partitions", AlterOp::kSet, "5"}}).ok());
  auto created =
      replication_.GenerateCreateTopic(*image_, {"events", -1, -1, {}}, std::string(16, 'e'));
  ASSERT_TRUE(created.response.error.ok()) << created.response.error.message;
  EXPECT_EQ(created.response.partitions, 3);
  ASSERT_TRUE(AlterBroker("", {{"default.replication.factor", AlterOp::kSet, "2"}}).ok());
  auto too_many =
      replication_.GenerateCreateTopic(*image_, {"more", -1, -1, {}}, std::string(16, 'm'));
  EXPECT_EQ(too_many.response.error.code, ErrorCode::kInvalidReplicationFactor);
}

}  // namespace
}  // namespace karst::controller
