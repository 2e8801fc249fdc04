// Topic configs: validation with Kafka's types, ranges and wording; IncrementalAlterConfigs
// (set, delete, append, subtract; all or nothing) replayed through MetadataDelta; describe
// with defaults; and creation refusing bad configs.
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

}  // namespace
}  // namespace karst::controller
