// AdminClient: Kafka's admin operations on topics, for `karst topics` and tests. Bootstraps
// from any broker in bootstrap.servers, learns the brokers and the controller from Metadata,
// and sends admin requests to the broker Metadata names as controller (any broker forwards
// them, so the bootstrap broker stands in when none is named). Kafka errors come back as
// statuses made by KafkaErrorStatus ("TOPIC_ALREADY_EXISTS: Topic 'x' already exists.").
//
// Thread-safety: none; one thread drives a client. Calls block up to request.timeout.ms each.
#ifndef KARST_CLIENT_ADMIN_CLIENT_H_
#define KARST_CLIENT_ADMIN_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client_properties.h"
#include "client/connection.h"
#include "common/clock.h"
#include "kafka/protocol/messages/metadata.h"

namespace karst::client {

struct NewTopic {
  std::string name;
  // -1: the broker's num.partitions / default.replication.factor (KIP-464).
  int32_t partitions = -1;
  int16_t replication_factor = -1;
  std::map<std::string, std::string> configs;
};

struct PartitionDescription {
  int32_t partition = 0;
  int32_t leader = -1;  // -1: no leader.
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  std::vector<int32_t> offline;
};

struct TopicDescription {
  std::string name;
  // Kafka's Uuid text form: URL-safe base64 without padding.
  std::string topic_id;
  bool is_internal = false;
  std::vector<PartitionDescription> partitions;  // By partition index.
};

class AdminClient {
 public:
  // Connects to the first reachable bootstrap server. `clock` must outlive the client.
  // Errors: kUnavailable or kDeadlineExceeded naming every address tried.
  static absl::StatusOr<std::unique_ptr<AdminClient>> Create(AdminClientOptions options,
                                                             Clock& clock);

  // Each topic's result in order; the first failure is returned (later topics were still sent).
  absl::Status CreateTopics(const std::vector<NewTopic>& topics);
  absl::Status DeleteTopics(const std::vector<std::string>& names);
  // Raises each named topic's partition count to the given total.
  absl::Status CreatePartitions(const std::map<std::string, int32_t>& counts);

  // Every topic's name, sorted (internal topics included).
  absl::StatusOr<std::vector<std::string>> ListTopics();
  // The named topics in the given order, or every topic sorted by name when `names` is empty.
  // Errors: the first topic-level Kafka error (UNKNOWN_TOPIC_OR_PARTITION for a missing one).
  absl::StatusOr<std::vector<TopicDescription>> DescribeTopics(
      const std::vector<std::string>& names);
  // The topic's dynamic (overridden) configs, by name.
  absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfigs(const std::string& name);

 private:
  AdminClient(AdminClientOptions options, Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  ConnectionOptions ConnectionOptionsFor() const;
  absl::StatusOr<::karst::kafka::protocol::MetadataResponse> FetchMetadata(
      const std::optional<std::vector<std::string>>& topics);
  // The controller's connection (the bootstrap one when Metadata names no reachable one).
  absl::StatusOr<Connection*> Controller();

  const AdminClientOptions options_;
  Clock& clock_;
  std::unique_ptr<Connection> bootstrap_;
  std::unique_ptr<Connection> controller_;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_ADMIN_CLIENT_H_
