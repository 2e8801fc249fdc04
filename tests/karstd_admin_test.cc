// Kafka's admin APIs against one real karstd (process.roles=broker,controller, one voter),
// spoken to over raw TCP with the generated codecs: DescribeConfigs of a topic (defaults
// derived from the broker's settings, then dynamic values) and of the broker,
// IncrementalAlterConfigs set/delete, AlterConfigs replacing the whole dynamic set, invalid
// values and validate_only, dynamic broker configs (KIP-226: min.insync.replicas and
// message.max.bytes applied to Produce, their sources, refused keys and values),
// DescribeCluster, and DescribeLogDirs sizes growing with produce.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/codec.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/messages/all.h"
#include "kafka/protocol/wire.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"
#include "tests/harness/cluster.h"
#include "tests/harness/kafka_connection.h"
#include "tests/harness/tcp.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace kp = ::karst::kafka::protocol;
namespace rec = ::karst::kafka::record;

constexpr char kTopic[] = "admin";
constexpr int8_t kTopicResource = 2;
constexpr int8_t kBrokerResource = 4;
constexpr int8_t kTopicConfigSource = 1;
constexpr int8_t kDynamicBrokerConfigSource = 2;  // DYNAMIC_BROKER_CONFIG (1 is a topic's)
constexpr int8_t kDynamicDefaultBrokerConfigSource = 3;
constexpr int8_t kStaticBrokerConfigSource = 4;
constexpr int8_t kDefaultConfigSource = 5;
constexpr int16_t kNoError = 0;
constexpr int16_t kUnknownTopic = static_cast<int16_t>(kp::ErrorCode::kUnknownTopicOrPartition);
constexpr int16_t kInvalidConfig = static_cast<int16_t>(kp::ErrorCode::kInvalidConfig);
constexpr int16_t kInvalidRequest = static_cast<int16_t>(kp::ErrorCode::kInvalidRequest);
constexpr int16_t kTopicAlreadyExists = static_cast<int16_t>(kp::ErrorCode::kTopicAlreadyExists);
constexpr int16_t kNotEnoughReplicas = static_cast<int16_t>(kp::ErrorCode::kNotEnoughReplicas);
constexpr int16_t kMessageTooLarge = static_cast<int16_t>(kp::ErrorCode::kMessageTooLarge);
constexpr absl::Duration kTimeout = absl::Seconds(10);
// The broker's log.retention.ms in this test, not Kafka's default: topics inherit it.
constexpr char kBrokerRetentionMs[] = "3600000";

using ConfigResult = kp::DescribeConfigsResponse::DescribeConfigsResult;
using ConfigEntry = kp::DescribeConfigsResponse::DescribeConfigsResourceResult;

std::map<std::string, ConfigEntry> ByName(const ConfigResult& result) {
  std::map<std::string, ConfigEntry> out;
  for (const ConfigEntry& e : result.configs) out[e.name] = e;
  return out;
}

class KarstdAdmin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.karstd_path = std::getenv("KARSTD");
    options.num_nodes = 1;
    options.logger_level = "info";
    options.properties = {{"default.replication.factor", "1"},
                          {"min.insync.replicas", "1"},
                          {"num.partitions", "1"},
                          {"log.retention.ms", kBrokerRetentionMs}};
    absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Create(std::move(options));
    ASSERT_OK(cluster.status());
    cluster_ = cluster->release();
    ASSERT_OK(cluster_->StartAll());
    ASSERT_OK(CreateTopic());
    ready_ = true;
  }

  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(ready_) << "the broker did not start";
    ASSERT_OK_AND_ASSIGN(c_, KafkaConnection::Open(cluster_->node(0)));
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) cluster_->MarkFailed();
  }

  // CreateTopics v4 (two partitions) until the broker is registered, then until both
  // partitions answer ListOffsets.
  static absl::Status CreateTopic() {
    std::unique_ptr<KafkaConnection> c;
    absl::Status connected = WaitForOk(
        [&]() -> absl::Status {
          absl::StatusOr<std::unique_ptr<KafkaConnection>> opened =
              KafkaConnection::Open(cluster_->node(0));
          if (!opened.ok()) return opened.status();
          c = *std::move(opened);
          return absl::OkStatus();
        },
        absl::Seconds(30), "the Kafka listener");
    if (!connected.ok()) return connected;
    absl::Status created = WaitForOk(
        [&]() -> absl::Status {
          kp::CreateTopicsRequest request;
          request.timeout_ms = 5000;
          request.topics.push_back({.name = kTopic, .num_partitions = 2, .replication_factor = 1});
          kp::CreateTopicsResponse response;
          if (absl::Status s = c->Call(request, 4, &response); !s.ok()) return s;
          const int16_t error = response.topics.at(0).error_code;
          if (error == kNoError || error == kTopicAlreadyExists) return absl::OkStatus();
          return absl::UnavailableError(absl::StrCat("CreateTopics error ", error));
        },
        absl::Seconds(30), "CreateTopics");
    if (!created.ok()) return created;
    return WaitForOk(
        [&]() -> absl::Status {
          kp::ListOffsetsRequest request;
          request.replica_id = -1;
          auto& topic = request.topics.emplace_back();
          topic.name = kTopic;
          topic.partitions.push_back({.partition_index = 0, .timestamp = -1});
          topic.partitions.push_back({.partition_index = 1, .timestamp = -1});
          kp::ListOffsetsResponse response;
          if (absl::Status s = c->Call(request, 1, &response); !s.ok()) return s;
          for (const auto& p : response.topics.at(0).partitions) {
            if (p.error_code != kNoError) return absl::UnavailableError("no leader yet");
          }
          return absl::OkStatus();
        },
        absl::Seconds(30), "the partitions' leader");
  }

  absl::StatusOr<ConfigResult> Describe(int8_t type, const std::string& name, int16_t version,
                                        std::optional<std::vector<std::string>> keys = {}) {
    kp::DescribeConfigsRequest request;
    request.resources.push_back(
        {.resource_type = type, .resource_name = name, .configuration_keys = keys});
    kp::DescribeConfigsResponse response;
    if (absl::Status s = c_->Call(request, version, &response); !s.ok()) return s;
    if (response.results.size() != 1) return absl::DataLossError("not one result");
    return response.results[0];
  }

  // The topic's configs by name once `ready` holds for them (the broker's image follows
  // the controller's).
  std::map<std::string, ConfigEntry> TopicConfigsOnce(
      const std::function<bool(const std::map<std::string, ConfigEntry>&)>& ready) {
    std::map<std::string, ConfigEntry> configs;
    EXPECT_OK(WaitFor(
        [&] {
          absl::StatusOr<ConfigResult> result = Describe(kTopicResource, kTopic, 1);
          if (!result.ok() || result->error_code != kNoError) return false;
          configs = ByName(*result);
          return ready(configs);
        },
        kTimeout, "the described configs"));
    return configs;
  }

  using Op = std::tuple<std::string, int8_t, std::optional<std::string>>;
  kp::IncrementalAlterConfigsResponse::AlterConfigsResourceResponse IncrementalAlter(
      int8_t type, const std::string& name, const std::vector<Op>& ops, int16_t version,
      bool validate_only = false) {
    kp::IncrementalAlterConfigsRequest request;
    request.validate_only = validate_only;
    auto& resource = request.resources.emplace_back();
    resource.resource_type = type;
    resource.resource_name = name;
    for (const auto& [key, op, value] : ops) {
      resource.configs.push_back({.name = key, .config_operation = op, .value = value});
    }
    kp::IncrementalAlterConfigsResponse response;
    EXPECT_OK(c_->Call(request, version, &response));
    if (response.responses.size() != 1) return {.error_code = -1};
    return response.responses[0];
  }

  kp::AlterConfigsResponse::AlterConfigsResourceResponse Alter(
      int8_t type, const std::string& name,
      const std::vector<std::pair<std::string, std::string>>& configs, int16_t version,
      bool validate_only = false) {
    kp::AlterConfigsRequest request;
    request.validate_only = validate_only;
    auto& resource = request.resources.emplace_back();
    resource.resource_type = type;
    resource.resource_name = name;
    for (const auto& [key, value] : configs)
      resource.configs.push_back({.name = key, .value = value});
    kp::AlterConfigsResponse response;
    EXPECT_OK(c_->Call(request, version, &response));
    if (response.responses.size() != 1) return {.error_code = -1};
    return response.responses[0];
  }

  std::string Self() const { return absl::StrCat(cluster_->node(0).node_id()); }

  // This broker's configs by name once `ready` holds for them.
  std::map<std::string, ConfigEntry> BrokerConfigsOnce(
      const std::function<bool(const std::map<std::string, ConfigEntry>&)>& ready) {
    std::map<std::string, ConfigEntry> configs;
    EXPECT_OK(WaitFor(
        [&] {
          absl::StatusOr<ConfigResult> result = Describe(kBrokerResource, Self(), 2);
          if (!result.ok() || result->error_code != kNoError) return false;
          configs = ByName(*result);
          return ready(configs);
        },
        kTimeout, "the described broker configs"));
    return configs;
  }

  // Removes every dynamic broker config (AlterConfigs replaces the whole set) and waits until
  // this broker's image has none, so other tests see the static settings.
  void ResetBrokerConfigs() {
    EXPECT_EQ(Alter(kBrokerResource, "", {}, 1).error_code, kNoError);
    EXPECT_EQ(Alter(kBrokerResource, Self(), {}, 1).error_code, kNoError);
    BrokerConfigsOnce([](const auto& c) {
      for (const auto& [name, e] : c) {
        if (e.config_source == kDynamicBrokerConfigSource ||
            e.config_source == kDynamicDefaultBrokerConfigSource) {
          return false;
        }
      }
      return true;
    });
  }

  // Produce v7 of one batch whose record value has `value_bytes` bytes to partition 0.
  int16_t Produce(int16_t acks, size_t value_bytes) {
    rec::BatchBuilder builder({});
    builder.Add(0, 1'700'000'000'000, "k", std::string(value_bytes, 'v'));
    absl::StatusOr<std::string> built = builder.Build();
    EXPECT_OK(built.status());
    const std::string batch = built.value_or("");  // Outlives the request, which views it.
    kp::ProduceRequest produce;
    produce.acks = acks;
    produce.timeout_ms = 5000;
    auto& topic = produce.topic_data.emplace_back();
    topic.name = kTopic;
    topic.partition_data.push_back({.index = 0, .records = batch});
    kp::ProduceResponse produced;
    EXPECT_OK(c_->Call(produce, 7, &produced));
    if (produced.responses.empty() || produced.responses[0].partition_responses.empty()) return -1;
    return produced.responses[0].partition_responses[0].error_code;
  }

  static Cluster* cluster_;
  static bool ready_;
  std::unique_ptr<KafkaConnection> c_;
};

Cluster* KarstdAdmin::cluster_ = nullptr;
bool KarstdAdmin::ready_ = false;

TEST_F(KarstdAdmin, ApiVersionsAdvertisesTheAdminApis) {
  kp::ApiVersionsResponse response;
  ASSERT_OK(c_->Call(kp::ApiVersionsRequest{}, 3, &response));
  std::map<int16_t, std::pair<int16_t, int16_t>> ranges;
  for (const auto& api : response.api_keys)
    ranges[api.api_key] = {api.min_version, api.max_version};
  EXPECT_EQ(ranges[32], std::make_pair(int16_t{0}, int16_t{4}));  // DescribeConfigs.
  EXPECT_EQ(ranges[33], std::make_pair(int16_t{0}, int16_t{2}));  // AlterConfigs.
  EXPECT_EQ(ranges[35], std::make_pair(int16_t{0}, int16_t{4}));  // DescribeLogDirs.
  EXPECT_EQ(ranges[44], std::make_pair(int16_t{0}, int16_t{1}));  // IncrementalAlterConfigs.
  EXPECT_EQ(ranges[60], std::make_pair(int16_t{0}, int16_t{1}));  // DescribeCluster.
}

TEST_F(KarstdAdmin, DescribesTopicDefaultsFromTheBrokersSettings) {
  for (int16_t version : {0, 1, 2, 3, 4}) {
    SCOPED_TRACE(absl::StrCat("DescribeConfigs v", version));
    ASSERT_OK_AND_ASSIGN(ConfigResult result, Describe(kTopicResource, kTopic, version));
    ASSERT_EQ(result.error_code, kNoError);
    std::map<std::string, ConfigEntry> configs = ByName(result);
    EXPECT_GE(configs.size(), 20u);
    ASSERT_EQ(configs.count("retention.ms"), 1u);
    EXPECT_EQ(configs["retention.ms"].value, kBrokerRetentionMs);
    EXPECT_EQ(configs["cleanup.policy"].value, "delete");
    EXPECT_FALSE(configs["retention.ms"].read_only);
    EXPECT_FALSE(configs["retention.ms"].is_sensitive);
    if (version == 0) {
      EXPECT_TRUE(configs["retention.ms"].is_default);
    } else {
      EXPECT_EQ(configs["retention.ms"].config_source, kDefaultConfigSource);
    }
  }
  ASSERT_OK_AND_ASSIGN(
      ConfigResult some,
      Describe(kTopicResource, kTopic, 1, std::vector<std::string>{"segment.bytes", "flush.ms"}));
  ASSERT_EQ(some.configs.size(), 2u);
  EXPECT_EQ(some.configs[0].name, "flush.ms");
  EXPECT_EQ(some.configs[1].name, "segment.bytes");

  ASSERT_OK_AND_ASSIGN(ConfigResult missing, Describe(kTopicResource, "no-such-topic", 1));
  EXPECT_EQ(missing.error_code, kUnknownTopic);
  EXPECT_TRUE(missing.configs.empty());
}

TEST_F(KarstdAdmin, IncrementalAlterSetsAndDeletes) {
  for (int16_t version : {0, 1}) {
    SCOPED_TRACE(absl::StrCat("IncrementalAlterConfigs v", version));
    auto set =
        IncrementalAlter(kTopicResource, kTopic,
                         {{"retention.ms", 0, "1000"}, {"cleanup.policy", 0, "compact"}}, version);
    ASSERT_EQ(set.error_code, kNoError) << set.error_message.value_or("");
    EXPECT_EQ(set.resource_name, kTopic);
    auto configs =
        TopicConfigsOnce([](const auto& c) { return c.at("retention.ms").value == "1000"; });
    EXPECT_EQ(configs["retention.ms"].config_source, kTopicConfigSource);
    EXPECT_EQ(configs["cleanup.policy"].value, "compact");
    ASSERT_OK_AND_ASSIGN(ConfigResult v0, Describe(kTopicResource, kTopic, 0));
    EXPECT_FALSE(ByName(v0)["retention.ms"].is_default);

    auto appended =
        IncrementalAlter(kTopicResource, kTopic, {{"cleanup.policy", 2, "delete"}}, version);
    ASSERT_EQ(appended.error_code, kNoError) << appended.error_message.value_or("");
    TopicConfigsOnce(
        [](const auto& c) { return c.at("cleanup.policy").value == "compact,delete"; });

    auto deleted =
        IncrementalAlter(kTopicResource, kTopic,
                         {{"retention.ms", 1, std::nullopt}, {"cleanup.policy", 1, ""}}, version);
    ASSERT_EQ(deleted.error_code, kNoError) << deleted.error_message.value_or("");
    configs = TopicConfigsOnce(
        [](const auto& c) { return c.at("retention.ms").value == kBrokerRetentionMs; });
    EXPECT_EQ(configs["retention.ms"].config_source, kDefaultConfigSource);
    EXPECT_EQ(configs["cleanup.policy"].value, "delete");
  }
}

TEST_F(KarstdAdmin, AlterConfigsReplacesTheDynamicSet) {
  auto set = IncrementalAlter(kTopicResource, kTopic,
                              {{"segment.ms", 0, "60000"}, {"retention.bytes", 0, "1048576"}}, 1);
  ASSERT_EQ(set.error_code, kNoError) << set.error_message.value_or("");
  TopicConfigsOnce([](const auto& c) {
    return c.at("segment.ms").value == "60000" && c.at("retention.bytes").value == "1048576";
  });
  for (int16_t version : {0, 1, 2}) {
    SCOPED_TRACE(absl::StrCat("AlterConfigs v", version));
    const std::string max = absl::StrCat(2000 + version);
    auto replaced = Alter(kTopicResource, kTopic,
                          {{"max.message.bytes", max}, {"retention.bytes", "2097152"}}, version);
    ASSERT_EQ(replaced.error_code, kNoError) << replaced.error_message.value_or("");
    auto configs =
        TopicConfigsOnce([&](const auto& c) { return c.at("max.message.bytes").value == max; });
    EXPECT_EQ(configs["max.message.bytes"].config_source, kTopicConfigSource);
    EXPECT_EQ(configs["retention.bytes"].value, "2097152");
    // Not given: back to the default.
    EXPECT_EQ(configs["segment.ms"].config_source, kDefaultConfigSource);
    EXPECT_NE(configs["segment.ms"].value, "60000");
  }
  // An empty set removes every dynamic config.
  ASSERT_EQ(Alter(kTopicResource, kTopic, {}, 1).error_code, kNoError);
  auto configs = TopicConfigsOnce([](const auto& c) {
    for (const auto& [name, e] : c) {
      if (e.config_source != kDefaultConfigSource) return false;
    }
    return true;
  });
  EXPECT_EQ(configs["max.message.bytes"].config_source, kDefaultConfigSource);
}

TEST_F(KarstdAdmin, InvalidValuesAreInvalidConfigWithKafkasMessage) {
  const std::string message =
      "Invalid value soon for configuration retention.ms: Not a number of type LONG";
  auto incremental = IncrementalAlter(kTopicResource, kTopic, {{"retention.ms", 0, "soon"}}, 1);
  EXPECT_EQ(incremental.error_code, kInvalidConfig);
  EXPECT_EQ(incremental.error_message, message);
  auto replace = Alter(kTopicResource, kTopic, {{"retention.ms", "soon"}}, 1);
  EXPECT_EQ(replace.error_code, kInvalidConfig);
  EXPECT_EQ(replace.error_message, message);
  auto unknown = IncrementalAlter(kTopicResource, kTopic, {{"retention.hours", 0, "1"}}, 0);
  EXPECT_EQ(unknown.error_code, kInvalidConfig);
  EXPECT_EQ(unknown.error_message, "Unknown topic config name: retention.hours");

  // validate_only checks without changing anything.
  auto checked = Alter(kTopicResource, kTopic, {{"retention.ms", "soon"}}, 0, true);
  EXPECT_EQ(checked.error_code, kInvalidConfig);
  EXPECT_EQ(checked.error_message, message);
  auto valid = IncrementalAlter(kTopicResource, kTopic, {{"retention.ms", 0, "5000"}}, 1, true);
  EXPECT_EQ(valid.error_code, kNoError);
  auto on_missing =
      IncrementalAlter(kTopicResource, "no-such-topic", {{"retention.ms", 0, "5"}}, 1);
  EXPECT_EQ(on_missing.error_code, kUnknownTopic);
  ASSERT_OK_AND_ASSIGN(ConfigResult after, Describe(kTopicResource, kTopic, 1));
  EXPECT_EQ(ByName(after)["retention.ms"].value, kBrokerRetentionMs);
}

TEST_F(KarstdAdmin, DescribesTheBrokersStaticConfigs) {
  const std::string self = absl::StrCat(cluster_->node(0).node_id());
  ASSERT_OK_AND_ASSIGN(ConfigResult result, Describe(kBrokerResource, self, 2));
  ASSERT_EQ(result.error_code, kNoError) << result.error_message.value_or("");
  std::map<std::string, ConfigEntry> configs = ByName(result);
  for (const char* key : {"num.partitions", "default.replication.factor", "min.insync.replicas",
                          "auto.create.topics.enable", "log.retention.ms", "log.segment.bytes",
                          "message.max.bytes", "unclean.leader.election.enable"}) {
    ASSERT_EQ(configs.count(key), 1u) << key;
    EXPECT_FALSE(configs[key].read_only) << key;  // Dynamic (KIP-226).
  }
  EXPECT_TRUE(configs["node.id"].read_only);
  EXPECT_TRUE(configs["log.dirs"].read_only);
  EXPECT_EQ(configs["num.partitions"].value, "1");
  EXPECT_EQ(configs["num.partitions"].config_source, kStaticBrokerConfigSource);
  EXPECT_EQ(configs["log.retention.ms"].value, kBrokerRetentionMs);
  EXPECT_EQ(configs["log.retention.ms"].config_source, kStaticBrokerConfigSource);
  EXPECT_EQ(configs["message.max.bytes"].value, "1048588");
  EXPECT_EQ(configs["message.max.bytes"].config_source, kDefaultConfigSource);
  EXPECT_EQ(configs["unclean.leader.election.enable"].value, "false");

  // "" is the cluster-wide default: only dynamic values, none here.
  ASSERT_OK_AND_ASSIGN(ConfigResult cluster, Describe(kBrokerResource, "", 2));
  EXPECT_EQ(cluster.error_code, kNoError);
  EXPECT_TRUE(cluster.configs.empty());
  ASSERT_OK_AND_ASSIGN(ConfigResult other, Describe(kBrokerResource, "99", 1));
  EXPECT_EQ(other.error_code, kInvalidRequest);
}

// Dynamic broker configs (KIP-226): the cluster-wide min.insync.replicas applies to an RF-1
// topic that does not set its own; a per-broker value wins over it; deleting them restores the
// static setting.
TEST_F(KarstdAdmin, DynamicMinInsyncReplicasGovernsAcksAll) {
  ResetBrokerConfigs();
  ASSERT_EQ(Produce(-1, 10), kNoError);
  auto set = IncrementalAlter(kBrokerResource, "", {{"min.insync.replicas", 0, "2"}}, 1);
  ASSERT_EQ(set.error_code, kNoError) << set.error_message.value_or("");
  auto configs =
      BrokerConfigsOnce([](const auto& c) { return c.at("min.insync.replicas").value == "2"; });
  EXPECT_EQ(configs["min.insync.replicas"].config_source, kDynamicDefaultBrokerConfigSource);
  EXPECT_FALSE(configs["min.insync.replicas"].is_default);
  ASSERT_OK_AND_ASSIGN(ConfigResult cluster, Describe(kBrokerResource, "", 2));
  ASSERT_EQ(cluster.configs.size(), 1u);
  EXPECT_EQ(cluster.configs[0].name, "min.insync.replicas");
  EXPECT_EQ(cluster.configs[0].value, "2");
  EXPECT_EQ(cluster.configs[0].config_source, kDynamicDefaultBrokerConfigSource);
  // The topic's default follows it.
  ASSERT_OK_AND_ASSIGN(ConfigResult topic, Describe(kTopicResource, kTopic, 1));
  EXPECT_EQ(ByName(topic)["min.insync.replicas"].value, "2");

  EXPECT_EQ(Produce(-1, 10), kNotEnoughReplicas);
  EXPECT_EQ(Produce(1, 10), kNoError);  // acks=1 does not need the ISR.

  // Per broker > cluster-wide default.
  set = IncrementalAlter(kBrokerResource, Self(), {{"min.insync.replicas", 0, "1"}}, 0);
  ASSERT_EQ(set.error_code, kNoError) << set.error_message.value_or("");
  configs = BrokerConfigsOnce([](const auto& c) {
    return c.at("min.insync.replicas").config_source == kDynamicBrokerConfigSource;
  });
  EXPECT_EQ(configs["min.insync.replicas"].value, "1");
  EXPECT_EQ(Produce(-1, 10), kNoError);

  auto deleted =
      IncrementalAlter(kBrokerResource, Self(), {{"min.insync.replicas", 1, std::nullopt}}, 1);
  ASSERT_EQ(deleted.error_code, kNoError) << deleted.error_message.value_or("");
  BrokerConfigsOnce([](const auto& c) { return c.at("min.insync.replicas").value == "2"; });
  EXPECT_EQ(Produce(-1, 10), kNotEnoughReplicas);
  deleted = IncrementalAlter(kBrokerResource, "", {{"min.insync.replicas", 1, std::nullopt}}, 1);
  ASSERT_EQ(deleted.error_code, kNoError) << deleted.error_message.value_or("");
  configs = BrokerConfigsOnce([](const auto& c) {
    return c.at("min.insync.replicas").config_source == kStaticBrokerConfigSource;
  });
  EXPECT_EQ(configs["min.insync.replicas"].value, "1");
  EXPECT_EQ(Produce(-1, 10), kNoError);
  ResetBrokerConfigs();
}

TEST_F(KarstdAdmin, DynamicMessageMaxBytesRefusesLargerBatches) {
  ResetBrokerConfigs();
  ASSERT_EQ(Produce(-1, 2000), kNoError);
  auto set = Alter(kBrokerResource, Self(), {{"message.max.bytes", "1000"}}, 1);
  ASSERT_EQ(set.error_code, kNoError) << set.error_message.value_or("");
  auto configs =
      BrokerConfigsOnce([](const auto& c) { return c.at("message.max.bytes").value == "1000"; });
  EXPECT_EQ(configs["message.max.bytes"].config_source, kDynamicBrokerConfigSource);
  EXPECT_EQ(Produce(-1, 2000), kMessageTooLarge);
  EXPECT_EQ(Produce(-1, 10), kNoError);
  // AlterConfigs replaces the set: the key not given goes back to the static value.
  ASSERT_EQ(Alter(kBrokerResource, Self(), {{"log.retention.bytes", "1073741824"}}, 1).error_code,
            kNoError);
  configs =
      BrokerConfigsOnce([](const auto& c) { return c.at("message.max.bytes").value == "1048588"; });
  EXPECT_EQ(configs["message.max.bytes"].config_source, kDefaultConfigSource);
  EXPECT_EQ(configs["log.retention.bytes"].config_source, kDynamicBrokerConfigSource);
  EXPECT_EQ(Produce(-1, 2000), kNoError);
  ResetBrokerConfigs();
}

TEST_F(KarstdAdmin, DynamicBrokerConfigsRefuseStaticKeysAndBadValues) {
  for (const std::string& name : {std::string(), Self()}) {
    SCOPED_TRACE(absl::StrCat("broker '", name, "'"));
    auto fixed = IncrementalAlter(kBrokerResource, name, {{"log.dirs", 0, "/tmp/x"}}, 1);
    EXPECT_EQ(fixed.error_code, kInvalidRequest);
    EXPECT_EQ(fixed.error_message, "Cannot update these configs dynamically: [log.dirs]");
    auto replaced = Alter(kBrokerResource, name, {{"node.id", "3"}}, 0);
    EXPECT_EQ(replaced.error_code, kInvalidRequest);
    EXPECT_EQ(replaced.error_message, "Cannot update these configs dynamically: [node.id]");
    const std::string message =
        "Invalid value 0 for configuration min.insync.replicas: expected an integer in [1, "
        "2147483647]";
    auto bad = IncrementalAlter(kBrokerResource, name, {{"min.insync.replicas", 0, "0"}}, 1);
    EXPECT_EQ(bad.error_code, kInvalidConfig);
    EXPECT_EQ(bad.error_message, message);
    auto checked = IncrementalAlter(kBrokerResource, name, {{"min.insync.replicas", 0, "0"}}, 1,
                                    /*validate_only=*/true);
    EXPECT_EQ(checked.error_code, kInvalidConfig);
    EXPECT_EQ(checked.error_message, message);
    auto valid = IncrementalAlter(kBrokerResource, name, {{"num.partitions", 0, "4"}}, 1,
                                  /*validate_only=*/true);
    EXPECT_EQ(valid.error_code, kNoError);
    auto flag =
        IncrementalAlter(kBrokerResource, name, {{"auto.create.topics.enable", 0, "maybe"}}, 1);
    EXPECT_EQ(flag.error_code, kInvalidConfig);
  }
  auto not_an_id = IncrementalAlter(kBrokerResource, "broker-1", {{"num.partitions", 0, "2"}}, 1);
  EXPECT_EQ(not_an_id.error_code, kInvalidRequest);
  // Nothing changed.
  ASSERT_OK_AND_ASSIGN(ConfigResult cluster, Describe(kBrokerResource, "", 2));
  EXPECT_TRUE(cluster.configs.empty());
  ASSERT_OK_AND_ASSIGN(ConfigResult self, Describe(kBrokerResource, Self(), 2));
  EXPECT_EQ(ByName(self)["num.partitions"].config_source, kStaticBrokerConfigSource);
}

TEST_F(KarstdAdmin, DescribeClusterListsTheLiveBroker) {
  for (int16_t version : {0, 1}) {
    SCOPED_TRACE(absl::StrCat("DescribeCluster v", version));
    kp::DescribeClusterResponse response;
    ASSERT_OK(c_->Call(kp::DescribeClusterRequest{}, version, &response));
    EXPECT_EQ(response.error_code, kNoError);
    EXPECT_FALSE(response.cluster_id.empty());
    EXPECT_EQ(response.controller_id, cluster_->node(0).node_id());
    ASSERT_EQ(response.brokers.size(), 1u);
    EXPECT_EQ(response.brokers[0].broker_id, cluster_->node(0).node_id());
    EXPECT_EQ(response.brokers[0].host, cluster_->node(0).address());
    EXPECT_EQ(response.brokers[0].port, 9092);
    if (version >= 1) {
      EXPECT_EQ(response.endpoint_type, 1);
    }
  }
}

TEST_F(KarstdAdmin, DescribeLogDirsSizesGrowWithProduce) {
  auto size_of = [&](int16_t version, int32_t partition) -> absl::StatusOr<int64_t> {
    kp::DescribeLogDirsRequest request;
    request.topics = std::nullopt;  // All.
    kp::DescribeLogDirsResponse response;
    if (absl::Status s = c_->Call(request, version, &response); !s.ok()) return s;
    if (response.results.size() != 1) return absl::DataLossError("not one log dir");
    const auto& dir = response.results[0];
    EXPECT_EQ(dir.error_code, kNoError);
    EXPECT_FALSE(dir.log_dir.empty());
    if (version >= 4) {
      EXPECT_GT(dir.total_bytes, 0);
      EXPECT_GE(dir.usable_bytes, 0);
    }
    for (const auto& topic : dir.topics) {
      if (topic.name != kTopic) continue;
      for (const auto& p : topic.partitions) {
        EXPECT_EQ(p.offset_lag, 0);
        EXPECT_FALSE(p.is_future_key);
        if (p.partition_index == partition) return p.partition_size;
      }
    }
    return absl::NotFoundError("partition not listed");
  };
  ASSERT_OK_AND_ASSIGN(int64_t before, size_of(4, 0));
  ASSERT_OK_AND_ASSIGN(int64_t other_before, size_of(0, 1));

  rec::BatchBuilder builder({});
  builder.Add(0, 1'700'000'000'000, "key", std::string(1000, 'v'));
  ASSERT_OK_AND_ASSIGN(std::string batch, builder.Build());
  kp::ProduceRequest produce;
  produce.acks = -1;
  produce.timeout_ms = 5000;
  auto& topic = produce.topic_data.emplace_back();
  topic.name = kTopic;
  topic.partition_data.push_back({.index = 0, .records = batch});
  kp::ProduceResponse produced;
  ASSERT_OK(c_->Call(produce, 7, &produced));
  ASSERT_EQ(produced.responses.at(0).partition_responses.at(0).error_code, kNoError);

  for (int16_t version : {0, 1, 2, 3, 4}) {
    SCOPED_TRACE(absl::StrCat("DescribeLogDirs v", version));
    ASSERT_OK_AND_ASSIGN(int64_t after, size_of(version, 0));
    EXPECT_GE(after, before + static_cast<int64_t>(batch.size()));
    ASSERT_OK_AND_ASSIGN(int64_t other_after, size_of(version, 1));
    EXPECT_EQ(other_after, other_before);
  }

  // A filter lists only what it names.
  kp::DescribeLogDirsRequest filtered;
  filtered.topics = std::vector<kp::DescribeLogDirsRequest::DescribableLogDirTopic>{
      {.topic = kTopic, .partitions = {1}}};
  kp::DescribeLogDirsResponse response;
  ASSERT_OK(c_->Call(filtered, 2, &response));
  ASSERT_EQ(response.results.size(), 1u);
  ASSERT_EQ(response.results[0].topics.size(), 1u);
  ASSERT_EQ(response.results[0].topics[0].partitions.size(), 1u);
  EXPECT_EQ(response.results[0].topics[0].partitions[0].partition_index, 1);
}

// DeleteRecords moves the leader's log start (never past the high watermark; -1 means the
// high watermark), and ListOffsets earliest follows it.
TEST_F(KarstdAdmin, DeleteRecordsMovesTheLogStartUpToTheHighWatermark) {
  for (int i = 0; i < 3; ++i) {
    rec::BatchBuilder builder({});
    builder.Add(0, 1'700'000'000'000, "k", "v1");
    builder.Add(1, 1'700'000'000'001, "k", "v2");
    ASSERT_OK_AND_ASSIGN(std::string batch, builder.Build());
    kp::ProduceRequest produce;
    produce.acks = -1;
    produce.timeout_ms = 5000;
    auto& topic = produce.topic_data.emplace_back();
    topic.name = kTopic;
    topic.partition_data.push_back({.index = 1, .records = batch});
    kp::ProduceResponse produced;
    ASSERT_OK(c_->Call(produce, 7, &produced));
    ASSERT_EQ(produced.responses.at(0).partition_responses.at(0).error_code, kNoError);
  }
  auto list = [&](int64_t timestamp) -> int64_t {
    kp::ListOffsetsRequest request;
    request.replica_id = -1;
    auto& topic = request.topics.emplace_back();
    topic.name = kTopic;
    topic.partitions.push_back({.partition_index = 1, .timestamp = timestamp});
    kp::ListOffsetsResponse response;
    EXPECT_OK(c_->Call(request, 1, &response));
    return response.topics.at(0).partitions.at(0).offset;
  };
  auto remove = [&](const std::string& name, int64_t offset) {
    kp::DeleteRecordsRequest request;
    request.timeout_ms = 5000;
    auto& topic = request.topics.emplace_back();
    topic.name = name;
    topic.partitions.push_back({.partition_index = 1, .offset = offset});
    kp::DeleteRecordsResponse response;
    EXPECT_OK(c_->Call(request, 1, &response));
    return response.topics.at(0).partitions.at(0);
  };
  const int64_t latest = list(-1);
  ASSERT_GE(latest, 6);
  auto moved = remove(kTopic, latest - 2);
  EXPECT_EQ(moved.error_code, kNoError);
  EXPECT_EQ(moved.low_watermark, latest - 2);
  EXPECT_EQ(list(-2), latest - 2);
  EXPECT_EQ(remove(kTopic, latest + 10).error_code, 1);  // OFFSET_OUT_OF_RANGE
  EXPECT_EQ(list(-2), latest - 2);
  auto to_high_watermark = remove(kTopic, -1);
  EXPECT_EQ(to_high_watermark.error_code, kNoError);
  EXPECT_EQ(to_high_watermark.low_watermark, latest);
  EXPECT_EQ(remove("no-such-topic", 0).error_code, 3);  // UNKNOWN_TOPIC_OR_PARTITION
}

// ElectLeaders is forwarded to the controller: a partition led by its preferred replica
// answers ELECTION_NOT_NEEDED, an unknown one UNKNOWN_TOPIC_OR_PARTITION.
TEST_F(KarstdAdmin, ElectLeadersAnswersPerPartition) {
  for (int16_t version : {0, 1, 2}) {
    SCOPED_TRACE(absl::StrCat("ElectLeaders v", version));
    kp::ElectLeadersRequest request;
    request.topic_partitions = std::vector<kp::ElectLeadersRequest::TopicPartitions>{
        {.topic = kTopic, .partitions = {0, 7}}};
    kp::ElectLeadersResponse response;
    ASSERT_OK(c_->Call(request, version, &response));
    EXPECT_EQ(response.error_code, kNoError);
    std::map<int32_t, int16_t> errors;
    for (const auto& topic : response.replica_election_results) {
      EXPECT_EQ(topic.topic, kTopic);
      for (const auto& p : topic.partition_result) errors[p.partition_id] = p.error_code;
    }
    EXPECT_EQ(errors, (std::map<int32_t, int16_t>{{0, 84}, {7, 3}}));
  }
}

}  // namespace
}  // namespace karst::testing
