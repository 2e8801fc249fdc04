// AdminClient: Kafka's admin operations on topics, configs, partitions and the metadata
// quorum, for `karst topics`, `karst configs`, `karst offsets`, `karst delete-records`,
// `karst leader-election`, `karst reassign`, `karst quorum` and tests. Bootstraps
// from any broker in bootstrap.servers, learns the brokers and the controller from Metadata,
// and sends admin requests to the broker Metadata names as controller (any broker forwards
// them, so the bootstrap broker stands in when none is named). Kafka errors come back as
// statuses made by KafkaErrorStatus ("TOPIC_ALREADY_EXISTS: Topic 'x' already exists.").
// ListOffsets and DeleteRecords go to each partition's leader, as Metadata names it; consumer
// group calls go to each group's coordinator, as FindCoordinator names it.
//
// Thread-safety: none; one thread drives a client. Calls block up to request.timeout.ms each.
#ifndef KARST_CLIENT_ADMIN_CLIENT_H_
#define KARST_CLIENT_ADMIN_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/client_properties.h"
#include "client/connection.h"
#include "client/consumer_group_description.h"
#include "client/topic_partition.h"
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

// Kafka's ConfigResource.Type, as its wire value.
enum class ConfigResourceType : int8_t { kTopic = 2, kBroker = 4 };

struct ConfigResource {
  ConfigResourceType type = ConfigResourceType::kTopic;
  // A topic name; for a broker its id in decimal, or "" for the cluster-wide default (KIP-226).
  std::string name;
};

// Kafka's DescribeConfigsResponse ConfigSource, as its wire value.
enum class ConfigSource : int8_t {
  kUnknown = 0,
  kDynamicTopicConfig = 1,
  kDynamicBrokerConfig = 2,
  kDynamicDefaultBrokerConfig = 3,
  kStaticBrokerConfig = 4,
  kDefaultConfig = 5,
  kDynamicBrokerLoggerConfig = 6,
};

// Kafka's name for a source: "DYNAMIC_TOPIC_CONFIG", ..., "UNKNOWN".
const char* ConfigSourceName(ConfigSource source);

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;  // Null for sensitive entries.
  ConfigSource source = ConfigSource::kUnknown;
  bool read_only = false;
  bool sensitive = false;
};

// IncrementalAlterConfigs' operation, as its wire value (KIP-339). APPEND and SUBTRACT are
// not offered.
enum class AlterConfigOpType : int8_t { kSet = 0, kDelete = 1 };

struct AlterConfigOp {
  std::string name;
  AlterConfigOpType op = AlterConfigOpType::kSet;
  std::string value;  // Ignored for kDelete.
};

struct ClusterBroker {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};

struct ClusterDescription {
  std::string cluster_id;
  int32_t controller_id = -1;          // -1: none known.
  std::vector<ClusterBroker> brokers;  // By id.
};

// Which offset ListOffsets looks up: Kafka's OffsetSpec, as its wire timestamp.
struct OffsetSpec {
  static constexpr int64_t kLatest = -1;        // The high watermark.
  static constexpr int64_t kEarliest = -2;      // The log start offset.
  static constexpr int64_t kMaxTimestamp = -3;  // The record with the largest timestamp.
  // One of the above, or a timestamp in ms: the first offset whose timestamp is >= it.
  int64_t timestamp = kLatest;
};

// One partition's ListOffsets answer. `status` is the partition's error; the rest is valid
// only when it is OK. offset -1 means no such record (a timestamp after every record).
struct ListedOffset {
  absl::Status status;
  int64_t offset = -1;
  int64_t timestamp = -1;
  int32_t leader_epoch = -1;
};

// One partition's DeleteRecords answer: its new log start offset, or its error.
struct DeletedRecords {
  absl::Status status;
  int64_t low_watermark = -1;
};

// ElectLeaders' election type, as its wire value (KIP-460).
enum class ElectionType : int8_t { kPreferred = 0, kUnclean = 1 };

// A reassignment in progress (KIP-455): `replicas` holds the target and the original replicas.
struct PartitionReassignment {
  std::vector<int32_t> replicas;
  std::vector<int32_t> adding_replicas;
  std::vector<int32_t> removing_replicas;
};

// One member of the metadata quorum (Kafka's QuorumInfo.ReplicaState). -1: unknown.
struct QuorumReplica {
  int32_t replica_id = -1;
  int64_t log_end_offset = -1;
  int64_t last_fetch_timestamp = -1;      // The leader's wall clock, ms since the Unix epoch.
  int64_t last_caught_up_timestamp = -1;  // The leader's wall clock, ms since the Unix epoch.
};

// The metadata quorum (Kafka's QuorumInfo, from DescribeQuorum on __cluster_metadata-0).
struct QuorumInfo {
  std::string cluster_id;  // From Metadata; "" if the broker names none.
  int32_t leader_id = -1;
  int32_t leader_epoch = -1;
  int64_t high_watermark = -1;
  std::vector<QuorumReplica> voters;
  std::vector<QuorumReplica> observers;
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

  // Every config of `resource` in the broker's order. A broker id is asked of that broker (it
  // answers only for itself); topics and the cluster default of any broker. Errors: the
  // resource's Kafka error (UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST for a bad broker id),
  // kNotFound for a broker id Metadata does not list.
  absl::StatusOr<std::vector<ConfigEntry>> DescribeConfigs(const ConfigResource& resource);
  // Applies `ops` to `resource` atomically. Errors: the resource's Kafka error, e.g.
  // "INVALID_CONFIG: ..." for a value the broker refuses.
  absl::Status IncrementalAlterConfigs(const ConfigResource& resource,
                                       const std::vector<AlterConfigOp>& ops);

  // The cluster id, the controller and every live broker (DescribeCluster). Errors: the
  // response's Kafka error.
  absl::StatusOr<ClusterDescription> DescribeCluster();

  // Looks up each partition's offset at its leader. A partition's own error (an unknown topic
  // or partition, no leader) is in its entry; leader changes are retried within
  // request.timeout.ms. Errors: only a failure to read Metadata at all.
  absl::StatusOr<std::map<TopicPartition, ListedOffset>> ListOffsets(
      const std::map<TopicPartition, OffsetSpec>& specs);
  // Deletes the records before each offset (-1: the high watermark) at each leader. As
  // ListOffsets, a partition's error (OFFSET_OUT_OF_RANGE past the high watermark) is in its
  // entry.
  absl::StatusOr<std::map<TopicPartition, DeletedRecords>> DeleteRecords(
      const std::map<TopicPartition, int64_t>& offsets);

  // Elects leaders of `partitions` (nullopt: every partition) and returns each partition's
  // result: OK when elected, ELECTION_NOT_NEEDED when the wanted leader already leads, else its
  // error. Errors: the response's top-level error (INVALID_REQUEST for an unclean election
  // the broker does not offer).
  absl::StatusOr<std::map<TopicPartition, absl::Status>> ElectLeaders(
      ElectionType type, const std::optional<std::set<TopicPartition>>& partitions);

  // Starts (target replicas) or cancels (nullopt) each partition's reassignment, returning each
  // partition's result (INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS, ...).
  // Errors: the response's top-level error.
  absl::StatusOr<std::map<TopicPartition, absl::Status>> AlterPartitionReassignments(
      const std::map<TopicPartition, std::optional<std::vector<int32_t>>>& reassignments);
  // The reassignments in progress among `partitions` (nullopt: all of them).
  absl::StatusOr<std::map<TopicPartition, PartitionReassignment>> ListPartitionReassignments(
      const std::optional<std::set<TopicPartition>>& partitions);

  // The metadata Raft quorum, asked of the bootstrap broker (which asks the active
  // controller). Errors: the top-level or partition Kafka error, e.g. "NOT_CONTROLLER: ..."
  // while no controller is active; a transport error naming the broker.
  absl::StatusOr<QuorumInfo> DescribeQuorum();

  // Consumer groups (issue #9; admin_client_groups.cc). Each call asks the group's
  // coordinator and, on NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
  // COORDINATOR_LOAD_IN_PROGRESS or a transport error, finds it again and retries until
  // request.timeout.ms passes; then the last error is returned.

  // Every consumer group (protocol type "consumer" or "") of every broker (ListGroups), sorted
  // by id; only those in `states` (kGroupStates names) unless it is empty. Errors: a broker's
  // Kafka or transport error; kFailedPrecondition for a state filter before ListGroups v4.
  absl::StatusOr<std::vector<ConsumerGroupListing>> ListConsumerGroups(
      const std::set<std::string>& states = {});
  // The groups in the given order (an unknown one is "Dead"). Errors: the first group's error.
  absl::StatusOr<std::vector<ConsumerGroupDescription>> DescribeConsumerGroups(
      const std::vector<std::string>& group_ids);
  // The group's committed offsets of `partitions` (nullopt: every partition it committed);
  // partitions without one are left out. Errors: the group's or a partition's Kafka error.
  absl::StatusOr<std::map<TopicPartition, CommittedOffset>> ListConsumerGroupOffsets(
      const std::string& group_id,
      const std::optional<std::set<TopicPartition>>& partitions = std::nullopt);
  // Each group's result: OK, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, ...
  absl::StatusOr<std::map<std::string, absl::Status>> DeleteConsumerGroups(
      const std::vector<std::string>& group_ids);
  // OffsetDelete: each partition's result (GROUP_SUBSCRIBED_TO_TOPIC while members consume
  // it). Errors: the group's error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, ...).
  absl::StatusOr<std::map<TopicPartition, absl::Status>> DeleteConsumerGroupOffsets(
      const std::string& group_id, const std::set<TopicPartition>& partitions);
  // Commits `offsets` for the group as Kafka's admin does (OffsetCommit, generation -1, no
  // member id), creating it if needed. Errors: kFailedPrecondition "group ... is not empty"
  // while it has members (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS);
  // else the first partition's Kafka error.
  absl::Status AlterConsumerGroupOffsets(const std::string& group_id,
                                         const std::map<TopicPartition, int64_t>& offsets);

 private:
  AdminClient(AdminClientOptions options, Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  ConnectionOptions ConnectionOptionsFor() const;
  absl::StatusOr<::karst::kafka::protocol::MetadataResponse> FetchMetadata(
      const std::optional<std::vector<std::string>>& topics);
  // The controller's connection (the bootstrap one when Metadata names no reachable one).
  absl::StatusOr<Connection*> Controller();
  // The connection that serves `resource`: the named broker's for a broker id, else bootstrap.
  absl::StatusOr<Connection*> ConnectionFor(const ConfigResource& resource);
  // The connection to broker `id` at `host`:`port`, opened on demand (bootstrap when it is
  // that broker).
  absl::StatusOr<Connection*> BrokerConnection(int32_t id, const std::string& host, int32_t port);
  // Each partition's leader from Metadata; a partition without one gets its error in
  // `errors` instead.
  absl::StatusOr<std::map<TopicPartition, int32_t>> Leaders(
      const std::set<TopicPartition>& partitions, std::map<TopicPartition, absl::Status>& errors);
  // Sends `call(leader connection, that leader's partitions)` to each leader; a partition
  // whose result is retriable (kUnavailable) is sent again, after new Metadata, until
  // request.timeout.ms passes. `call` stores results and returns the partitions to retry.
  using LeaderCall = std::function<absl::StatusOr<std::set<TopicPartition>>(
      Connection&, const std::set<TopicPartition>&)>;
  absl::Status ForEachLeader(const std::set<TopicPartition>& partitions,
                             std::map<TopicPartition, absl::Status>& errors,
                             const LeaderCall& call);
  // Looks up the coordinator of each of `groups` (FindCoordinator, batched from v4) into
  // coordinators_; a group's lookup error goes into `errors`.
  absl::Status FindCoordinators(const std::set<std::string>& groups,
                                std::map<std::string, absl::Status>& errors);
  // As ForEachLeader, for groups and their coordinators: `call(coordinator, its groups)`
  // stores results and returns the groups to retry (a coordinator error, also stored in
  // `errors`, which keeps each group's last lookup, transport or retried error).
  using CoordinatorCall = std::function<absl::StatusOr<std::set<std::string>>(
      Connection&, const std::set<std::string>&)>;
  absl::Status ForEachCoordinator(const std::set<std::string>& groups,
                                  std::map<std::string, absl::Status>& errors,
                                  const CoordinatorCall& call);

  const AdminClientOptions options_;
  Clock& clock_;
  std::unique_ptr<Connection> bootstrap_;
  std::unique_ptr<Connection> controller_;
  std::map<int32_t, std::unique_ptr<Connection>> brokers_;  // By node id, opened on demand.
  // Each broker's address, from the last Metadata that Leaders() read.
  std::map<int32_t, BrokerAddress> broker_addresses_;
  // Each group's coordinator, from FindCoordinator; forgotten on a coordinator error.
  std::map<std::string, GroupCoordinatorNode> coordinators_;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_ADMIN_CLIENT_H_
