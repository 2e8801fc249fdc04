// ReplicationControl: the controller's rules for topics and partitions, as pure functions of
// a MetadataImage that generate metadata records (KRaft's ReplicationControlManager):
// creating and deleting topics, adding partitions, AlterPartition from partition leaders,
// and leader election when a broker is fenced. Errors are Kafka error codes with Kafka's
// messages. Single-threaded (the controller's event loop).
#ifndef KARST_CONTROLLER_REPLICATION_CONTROL_H_
#define KARST_CONTROLLER_REPLICATION_CONTROL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/strong_id.h"
#include "controller/controller_result.h"
#include "controller/metadata/metadata_image.h"

namespace karst::controller {

// The Kafka error codes the controller answers with, by their values in Kafka's table (the
// controller may not depend on kafka/; brokers pass these codes to clients as they are).
enum class ErrorCode : int16_t {
  kNone = 0,
  kUnknownTopicOrPartition = 3,
  kNotLeaderOrFollower = 6,
  kInvalidTopicException = 17,
  kTopicAlreadyExists = 36,
  kInvalidPartitions = 37,
  kInvalidReplicationFactor = 38,
  kInvalidReplicaAssignment = 39,
  kInvalidConfig = 40,
  kInvalidRequest = 42,
  kPreferredLeaderNotAvailable = 80,
  kElectionNotNeeded = 84,
  kNoReassignmentInProgress = 85,
  kStaleBrokerEpoch = 77,
  kFencedLeaderEpoch = 74,
  kInvalidUpdateVersion = 95,
  kDuplicateBrokerRegistration = 101,
  kBrokerIdNotRegistered = 102,
  kIneligibleReplica = 107,
};

struct ApiError {
  ErrorCode code = ErrorCode::kNone;
  std::string message;
  bool ok() const { return code == ErrorCode::kNone; }
};

struct CreateTopicRequest {
  std::string name;
  int32_t partitions = -1;          // -1: num.partitions.
  int16_t replication_factor = -1;  // -1: default.replication.factor.
  std::vector<std::pair<std::string, std::string>> configs;
};

struct CreateTopicResponse {
  ApiError error;
  std::string topic_id;
  int32_t partitions = 0;
  int16_t replication_factor = 0;
};

struct AlterPartitionRequest {
  NodeId broker;  // The leader asking.
  std::string topic_id;
  int32_t partition = 0;
  LeaderEpoch leader_epoch{0};
  int32_t partition_epoch = 0;
  std::vector<int32_t> new_isr;
};

// One partition of AlterPartitionReassignments (KIP-455).
struct ReassignmentRequest {
  std::string topic;
  int32_t partition = 0;
  std::optional<std::vector<int32_t>> replicas;  // The target; nullopt cancels.
};

struct ReassignmentResult {
  std::string topic;
  int32_t partition = 0;
  ApiError error;
};

struct ReplicationOptions {
  int32_t num_partitions = 1;
  int16_t default_replication_factor = 1;
  bool unclean_leader_election_enable = false;  // For topics that do not set it.
};

class ReplicationControl {
 public:
  explicit ReplicationControl(ReplicationOptions options) : options_(options) {}

  // `topic_id` is the new topic's 16-byte id (chosen by the caller: random in production).
  ControllerResult<CreateTopicResponse> GenerateCreateTopic(const MetadataImage& image,
                                                            const CreateTopicRequest& request,
                                                            const std::string& topic_id) const;
  ControllerResult<ApiError> GenerateDeleteTopic(const MetadataImage& image,
                                                 const std::string& name) const;
  ControllerResult<ApiError> GenerateCreatePartitions(const MetadataImage& image,
                                                      const std::string& name, int32_t count) const;
  // An accepted ISR change that puts every adding replica of a reassignment in the ISR also
  // completes the reassignment, in the same record.
  ControllerResult<ApiError> GenerateAlterPartition(const MetadataImage& image,
                                                    const AlterPartitionRequest& request) const;
  // Every partition change that fencing `broker` requires: it leaves the ISR (unless it is
  // the last member) and loses leadership to the next in-sync, unfenced replica in replica
  // order; with none, the partition goes offline (leader -1) unless the topic allows
  // unclean leader election, which takes the first unfenced replica.
  std::vector<metadata::proto::MetadataRecord> GenerateLeadershipMoves(const MetadataImage& image,
                                                                       NodeId broker) const;

  // Every election that unfencing `broker` allows (Kafka's handleBrokerUnfenced): offline
  // partitions (leader -1) whose ISR holds it get it as leader, so a cluster whose last
  // in-sync replica stopped comes back once that replica does.
  std::vector<metadata::proto::MetadataRecord> GenerateElectionsOnUnfence(
      const MetadataImage& image, NodeId broker) const;

  // Preferred-leader election (ElectLeaders, and auto.leader.rebalance.enable): every given
  // partition whose first replica is in the ISR, unfenced and not the leader gets it back as
  // leader. Partitions already led by it answer ELECTION_NOT_NEEDED; ones where it cannot
  // lead, PREFERRED_LEADER_NOT_AVAILABLE. An empty list means every partition.
  struct ElectionResult {
    std::string topic;
    int32_t partition;
    ApiError error;
  };
  ControllerResult<std::vector<ElectionResult>> GeneratePreferredLeaderElection(
      const MetadataImage& image,
      const std::vector<std::pair<std::string, int32_t>>& partitions) const;

  // Partition reassignment (KIP-455; replication_control_reassignment.cc). A target T starts
  // moving the partition from its original replicas O (its replicas less any adding ones):
  // replicas = T then O - T, adding = T - O, removing = O - T. The reassignment completes
  // (replicas = T, ISR = ISR n T, adding and removing cleared, a leader outside T replaced by
  // the first of T in the ISR and unfenced) once every adding replica is in the ISR: at once
  // when there is none, else from GenerateAlterPartition. A cancel (nullopt) reverts to O.
  // Per partition: UNKNOWN_TOPIC_OR_PARTITION; INVALID_REPLICA_ASSIGNMENT for an empty
  // target, a duplicate or unregistered broker, or a change that would leave no in-sync
  // replica; NO_REASSIGNMENT_IN_PROGRESS for a cancel with none. A target equal to the
  // replicas with nothing in progress changes nothing. Later entries for the same partition
  // see the earlier ones.
  ControllerResult<std::vector<ReassignmentResult>> GenerateAlterPartitionReassignments(
      const MetadataImage& image, const std::vector<ReassignmentRequest>& requests) const;

  // Kafka's topic name rules; ok or INVALID_TOPIC_EXCEPTION with Kafka's message.
  static ApiError ValidateTopicName(const std::string& name);

 private:
  std::vector<std::vector<int32_t>> Place(const MetadataImage& image, const std::string& name,
                                          int32_t first_partition, int32_t partitions,
                                          int16_t replication_factor) const;

  // Completes the reassignment in progress in `next` if every adding replica is in its ISR
  // and some replica of the target is; false (and `next` unchanged) otherwise.
  static bool MaybeCompleteReassignment(const MetadataImage& image, PartitionState& next);
  // The PartitionChangeRecord taking a partition from `from` to `to` (fields that differ).
  static metadata::proto::MetadataRecord ChangeRecord(const std::string& topic_id,
                                                      int32_t partition, const PartitionState& from,
                                                      const PartitionState& to);

  ReplicationOptions options_;
};

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_REPLICATION_CONTROL_H_
