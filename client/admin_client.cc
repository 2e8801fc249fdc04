#include "client/admin_client.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/create_partitions.h"
#include "kafka/protocol/messages/create_topics.h"
#include "kafka/protocol/messages/delete_topics.h"
#include "kafka/protocol/messages/describe_configs.h"
#include "kafka/protocol/messages/describe_quorum.h"
#include "kafka/protocol/messages/incremental_alter_configs.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

// The highest version of each API whose fields this client fills and reads.
constexpr int16_t kMetadataMax = 12;
constexpr int16_t kCreateTopicsMax = 7;
constexpr int16_t kDeleteTopicsMax = 6;
constexpr int16_t kCreatePartitionsMax = 3;
constexpr int16_t kDescribeConfigsMax = 4;
constexpr int16_t kIncrementalAlterConfigsMax = 1;
constexpr int16_t kDescribeQuorumMax = 2;
// Metadata carries the cluster id from v2.
constexpr int16_t kMetadataClusterIdVersion = 2;
// DeleteTopics v6 names topics in DeleteTopicState entries instead of topic_names (KIP-516).
constexpr int16_t kDeleteTopicsStateVersion = 6;
constexpr int8_t kTopicResource = 2;
constexpr int8_t kDynamicTopicConfigSource = 1;
constexpr int16_t kNotController = static_cast<int16_t>(kp::ErrorCode::kNotController);

QuorumReplica ToQuorumReplica(const kp::DescribeQuorumResponse::ReplicaState& r) {
  return {.replica_id = r.replica_id,
          .log_end_offset = r.log_end_offset,
          .last_fetch_timestamp = r.last_fetch_timestamp,
          .last_caught_up_timestamp = r.last_caught_up_timestamp};
}

std::string UuidText(const kp::Uuid& id) {
  return absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

// The first non-OK status of `statuses`, else OK.
absl::Status First(const std::vector<absl::Status>& statuses) {
  for (const absl::Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

const char* ConfigSourceName(ConfigSource source) {
  switch (source) {
    case ConfigSource::kDynamicTopicConfig:
      return "DYNAMIC_TOPIC_CONFIG";
    case ConfigSource::kDynamicBrokerConfig:
      return "DYNAMIC_BROKER_CONFIG";
    case ConfigSource::kDynamicDefaultBrokerConfig:
      return "DYNAMIC_DEFAULT_BROKER_CONFIG";
    case ConfigSource::kStaticBrokerConfig:
      return "STATIC_BROKER_CONFIG";
    case ConfigSource::kDefaultConfig:
      return "DEFAULT_CONFIG";
    case ConfigSource::kDynamicBrokerLoggerConfig:
      return "DYNAMIC_BROKER_LOGGER_CONFIG";
    case ConfigSource::kUnknown:
      break;
  }
  return "UNKNOWN";
}

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Create(AdminClientOptions options,
                                                                 Clock& clock) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("bootstrap.servers is empty");
  }
  std::unique_ptr<AdminClient> client(new AdminClient(std::move(options), clock));
  std::vector<std::string> errors;
  for (const BrokerAddress& server : client->options_.bootstrap_servers) {
    absl::StatusOr<std::unique_ptr<Connection>> connection =
        Connection::Open(server.host, server.port, client->ConnectionOptionsFor(), clock);
    if (connection.ok()) {
      client->bootstrap_ = *std::move(connection);
      return client;
    }
    errors.push_back(std::string(connection.status().message()));
  }
  return absl::UnavailableError(
      absl::StrCat("no bootstrap server reachable: ", absl::StrJoin(errors, "; ")));
}

ConnectionOptions AdminClient::ConnectionOptionsFor() const {
  ConnectionOptions connection;
  connection.client_id = options_.client_id;
  connection.connect_timeout = options_.request_timeout;
  connection.request_timeout = options_.request_timeout;
  return connection;
}

absl::StatusOr<kp::MetadataResponse> AdminClient::FetchMetadata(
    const std::optional<std::vector<std::string>>& topics) {
  // Metadata v0 cannot ask for every topic; v1 is the floor.
  ASSIGN_OR_RETURN(const int16_t version,
                   bootstrap_->Version(kp::MetadataRequest::kApiKey, 1, kMetadataMax));
  kp::MetadataRequest request;
  request.allow_auto_topic_creation = false;
  if (topics.has_value()) {
    request.topics.emplace();
    for (const std::string& name : *topics) request.topics->emplace_back().name = name;
  } else {
    request.topics.reset();
  }
  kp::MetadataResponse response;
  RETURN_IF_ERROR(bootstrap_->Call(request, version, &response));
  return response;
}

absl::StatusOr<Connection*> AdminClient::Controller() {
  if (controller_ != nullptr) return controller_.get();
  ASSIGN_OR_RETURN(const kp::MetadataResponse metadata, FetchMetadata(std::vector<std::string>()));
  for (const auto& broker : metadata.brokers) {
    if (broker.node_id != metadata.controller_id) continue;
    if (absl::StrCat(broker.host, ":", broker.port) == bootstrap_->address()) break;
    absl::StatusOr<std::unique_ptr<Connection>> connection =
        Connection::Open(broker.host, broker.port, ConnectionOptionsFor(), clock_);
    // Any broker forwards admin requests to the controller, so an unreachable controller
    // broker is not fatal.
    if (connection.ok()) controller_ = *std::move(connection);
    break;
  }
  return controller_ != nullptr ? controller_.get() : bootstrap_.get();
}

absl::Status AdminClient::CreateTopics(const std::vector<NewTopic>& topics) {
  kp::CreateTopicsRequest request;
  request.timeout_ms = static_cast<int32_t>(absl::ToInt64Milliseconds(options_.request_timeout));
  for (const NewTopic& topic : topics) {
    auto& creatable = request.topics.emplace_back();
    creatable.name = topic.name;
    creatable.num_partitions = topic.partitions;
    creatable.replication_factor = topic.replication_factor;
    for (const auto& [key, value] : topic.configs) {
      auto& config = creatable.configs.emplace_back();
      config.name = key;
      config.value = value;
    }
  }
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(Connection* const controller, Controller());
    ASSIGN_OR_RETURN(const int16_t version,
                     controller->Version<kp::CreateTopicsRequest>(kCreateTopicsMax));
    kp::CreateTopicsResponse response;
    RETURN_IF_ERROR(controller->Call(request, version, &response));
    std::vector<absl::Status> results;
    bool not_controller = false;
    for (const auto& result : response.topics) {
      not_controller |= result.error_code == kNotController;
      results.push_back(KafkaErrorStatus(result.error_code, result.error_message));
    }
    if (!not_controller || attempt > 0) return First(results);
    controller_.reset();
  }
}

absl::Status AdminClient::DeleteTopics(const std::vector<std::string>& names) {
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(Connection* const controller, Controller());
    ASSIGN_OR_RETURN(const int16_t version,
                     controller->Version<kp::DeleteTopicsRequest>(kDeleteTopicsMax));
    kp::DeleteTopicsRequest request;
    request.timeout_ms = static_cast<int32_t>(absl::ToInt64Milliseconds(options_.request_timeout));
    for (const std::string& name : names) {
      if (version >= kDeleteTopicsStateVersion) {
        request.topics.emplace_back().name = name;
      } else {
        request.topic_names.push_back(name);
      }
    }
    kp::DeleteTopicsResponse response;
    RETURN_IF_ERROR(controller->Call(request, version, &response));
    std::vector<absl::Status> results;
    bool not_controller = false;
    for (const auto& result : response.responses) {
      not_controller |= result.error_code == kNotController;
      results.push_back(KafkaErrorStatus(result.error_code, result.error_message));
    }
    if (!not_controller || attempt > 0) return First(results);
    controller_.reset();
  }
}

absl::Status AdminClient::CreatePartitions(const std::map<std::string, int32_t>& counts) {
  kp::CreatePartitionsRequest request;
  request.timeout_ms = static_cast<int32_t>(absl::ToInt64Milliseconds(options_.request_timeout));
  for (const auto& [name, count] : counts) {
    auto& topic = request.topics.emplace_back();
    topic.name = name;
    topic.count = count;
    topic.assignments.reset();  // Null: the controller places the new partitions.
  }
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(Connection* const controller, Controller());
    ASSIGN_OR_RETURN(const int16_t version,
                     controller->Version<kp::CreatePartitionsRequest>(kCreatePartitionsMax));
    kp::CreatePartitionsResponse response;
    RETURN_IF_ERROR(controller->Call(request, version, &response));
    std::vector<absl::Status> results;
    bool not_controller = false;
    for (const auto& result : response.results) {
      not_controller |= result.error_code == kNotController;
      results.push_back(KafkaErrorStatus(result.error_code, result.error_message));
    }
    if (!not_controller || attempt > 0) return First(results);
    controller_.reset();
  }
}

absl::StatusOr<std::vector<std::string>> AdminClient::ListTopics() {
  ASSIGN_OR_RETURN(const kp::MetadataResponse metadata, FetchMetadata(std::nullopt));
  std::vector<std::string> names;
  for (const auto& topic : metadata.topics) {
    if (topic.error_code == 0 && topic.name.has_value()) names.push_back(*topic.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::vector<TopicDescription>> AdminClient::DescribeTopics(
    const std::vector<std::string>& names) {
  ASSIGN_OR_RETURN(
      const kp::MetadataResponse metadata,
      FetchMetadata(names.empty() ? std::nullopt : std::optional<std::vector<std::string>>(names)));
  std::vector<TopicDescription> out;
  for (const auto& topic : metadata.topics) {
    RETURN_IF_ERROR(KafkaErrorStatus(topic.error_code, std::nullopt));
    TopicDescription& d = out.emplace_back();
    d.name = topic.name.value_or("");
    d.topic_id = UuidText(topic.topic_id);
    d.is_internal = topic.is_internal;
    for (const auto& partition : topic.partitions) {
      d.partitions.push_back({.partition = partition.partition_index,
                              .leader = partition.leader_id,
                              .replicas = partition.replica_nodes,
                              .isr = partition.isr_nodes,
                              .offline = partition.offline_replicas});
    }
    std::sort(d.partitions.begin(), d.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
  }
  if (names.empty()) {
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  } else {
    std::vector<TopicDescription> ordered;
    for (const std::string& name : names) {
      auto it = std::find_if(out.begin(), out.end(), [&](const auto& d) { return d.name == name; });
      if (it == out.end()) {
        return KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kUnknownTopicOrPartition),
                                absl::StrCat("Topic '", name, "' does not exist."));
      }
      ordered.push_back(std::move(*it));
    }
    out = std::move(ordered);
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> AdminClient::DescribeTopicConfigs(
    const std::string& name) {
  ASSIGN_OR_RETURN(const int16_t version,
                   bootstrap_->Version<kp::DescribeConfigsRequest>(kDescribeConfigsMax));
  kp::DescribeConfigsRequest request;
  auto& resource = request.resources.emplace_back();
  resource.resource_type = kTopicResource;
  resource.resource_name = name;
  resource.configuration_keys.reset();  // Null: every config.
  kp::DescribeConfigsResponse response;
  RETURN_IF_ERROR(bootstrap_->Call(request, version, &response));
  std::map<std::string, std::string> configs;
  for (const auto& result : response.results) {
    RETURN_IF_ERROR(KafkaErrorStatus(result.error_code, result.error_message));
    for (const auto& config : result.configs) {
      // v0 has no config_source, only is_default.
      const bool overridden =
          version == 0 ? !config.is_default : config.config_source == kDynamicTopicConfigSource;
      if (overridden && !config.is_sensitive) configs[config.name] = config.value.value_or("");
    }
  }
  return configs;
}

absl::StatusOr<Connection*> AdminClient::ConnectionFor(const ConfigResource& resource) {
  int32_t id = 0;
  if (resource.type != ConfigResourceType::kBroker || resource.name.empty() ||
      !absl::SimpleAtoi(resource.name, &id)) {
    return bootstrap_.get();
  }
  if (auto it = brokers_.find(id); it != brokers_.end()) return it->second.get();
  ASSIGN_OR_RETURN(const kp::MetadataResponse metadata, FetchMetadata(std::vector<std::string>()));
  for (const auto& broker : metadata.brokers) {
    if (broker.node_id != id) continue;
    if (absl::StrCat(broker.host, ":", broker.port) == bootstrap_->address()) {
      return bootstrap_.get();
    }
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                     Connection::Open(broker.host, broker.port, ConnectionOptionsFor(), clock_));
    return (brokers_[id] = std::move(connection)).get();
  }
  return absl::NotFoundError(absl::StrCat("broker ", id, ": not in the cluster's metadata"));
}

absl::StatusOr<std::vector<ConfigEntry>> AdminClient::DescribeConfigs(
    const ConfigResource& resource) {
  ASSIGN_OR_RETURN(Connection* const connection, ConnectionFor(resource));
  // v1 is the floor: v0 has no config_source.
  ASSIGN_OR_RETURN(const int16_t version, connection->Version(kp::DescribeConfigsRequest::kApiKey,
                                                              1, kDescribeConfigsMax));
  kp::DescribeConfigsRequest request;
  auto& wanted = request.resources.emplace_back();
  wanted.resource_type = static_cast<int8_t>(resource.type);
  wanted.resource_name = resource.name;
  wanted.configuration_keys.reset();  // Null: every config.
  kp::DescribeConfigsResponse response;
  RETURN_IF_ERROR(connection->Call(request, version, &response));
  std::vector<ConfigEntry> entries;
  for (const auto& result : response.results) {
    RETURN_IF_ERROR(KafkaErrorStatus(result.error_code, result.error_message));
    for (const auto& config : result.configs) {
      entries.push_back({.name = config.name,
                         .value = config.is_sensitive ? std::nullopt : config.value,
                         .source = static_cast<ConfigSource>(config.config_source),
                         .read_only = config.read_only,
                         .sensitive = config.is_sensitive});
    }
  }
  return entries;
}

absl::Status AdminClient::IncrementalAlterConfigs(const ConfigResource& resource,
                                                  const std::vector<AlterConfigOp>& ops) {
  ASSIGN_OR_RETURN(Connection* const connection, ConnectionFor(resource));
  ASSIGN_OR_RETURN(const int16_t version, connection->Version<kp::IncrementalAlterConfigsRequest>(
                                              kIncrementalAlterConfigsMax));
  kp::IncrementalAlterConfigsRequest request;
  auto& target = request.resources.emplace_back();
  target.resource_type = static_cast<int8_t>(resource.type);
  target.resource_name = resource.name;
  for (const AlterConfigOp& op : ops) {
    auto& config = target.configs.emplace_back();
    config.name = op.name;
    config.config_operation = static_cast<int8_t>(op.op);
    if (op.op == AlterConfigOpType::kDelete) {
      config.value.reset();
    } else {
      config.value = op.value;
    }
  }
  kp::IncrementalAlterConfigsResponse response;
  RETURN_IF_ERROR(connection->Call(request, version, &response));
  std::vector<absl::Status> results;
  for (const auto& result : response.responses) {
    results.push_back(KafkaErrorStatus(result.error_code, result.error_message));
  }
  return First(results);
}

absl::StatusOr<QuorumInfo> AdminClient::DescribeQuorum() {
  QuorumInfo info;
  if (bootstrap_->Version(kp::MetadataRequest::kApiKey, kMetadataClusterIdVersion, kMetadataMax)
          .ok()) {
    ASSIGN_OR_RETURN(const kp::MetadataResponse metadata,
                     FetchMetadata(std::vector<std::string>()));
    info.cluster_id = metadata.cluster_id.value_or("");
  }
  ASSIGN_OR_RETURN(const int16_t version,
                   bootstrap_->Version<kp::DescribeQuorumRequest>(kDescribeQuorumMax));
  kp::DescribeQuorumRequest request;
  // KRaft's one Raft partition, as Kafka's admin client asks for it.
  auto& topic = request.topics.emplace_back();
  topic.topic_name = "__cluster_metadata";
  topic.partitions.emplace_back().partition_index = 0;
  kp::DescribeQuorumResponse response;
  RETURN_IF_ERROR(bootstrap_->Call(request, version, &response));
  RETURN_IF_ERROR(KafkaErrorStatus(response.error_code, response.error_message));
  if (response.topics.size() != 1 || response.topics[0].partitions.size() != 1) {
    return absl::InternalError(absl::StrCat("DescribeQuorum from ", bootstrap_->address(),
                                            ": expected one partition of __cluster_metadata"));
  }
  const auto& partition = response.topics[0].partitions[0];
  RETURN_IF_ERROR(KafkaErrorStatus(partition.error_code, partition.error_message));
  info.leader_id = partition.leader_id;
  info.leader_epoch = partition.leader_epoch;
  info.high_watermark = partition.high_watermark;
  for (const auto& v : partition.current_voters) info.voters.push_back(ToQuorumReplica(v));
  for (const auto& o : partition.observers) info.observers.push_back(ToQuorumReplica(o));
  return info;
}

}  // namespace karst::client
