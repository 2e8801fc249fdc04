#include "controller/replication_control.h"

#include <algorithm>
#include <set>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/config_control.h"
#include "controller/metadata/broker_configs.h"

namespace karst::controller {
namespace {

namespace proto = ::karst::metadata::proto;

constexpr int kMaxTopicNameLength = 249;  // Kafka's Topic.MAX_NAME_LENGTH.

ApiError Error(ErrorCode code, std::string message) { return {code, std::move(message)}; }

// Unfenced brokers, grouped by rack and interleaved (rack a, rack b, rack a, ...), so that
// consecutive replicas land on different racks where there are racks to spread over.
std::vector<int32_t> RackInterleaved(const MetadataImage& image) {
  std::map<std::string, std::vector<int32_t>> by_rack;
  for (const auto& [id, broker] : image.brokers) {
    if (!broker.fenced) by_rack[broker.rack].push_back(id.value());
  }
  std::vector<int32_t> out;
  for (size_t i = 0;; ++i) {
    bool any = false;
    for (const auto& [rack, ids] : by_rack) {
      if (i < ids.size()) {
        out.push_back(ids[i]);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

bool Contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool Fenced(const MetadataImage& image, int32_t id) {
  auto it = image.brokers.find(NodeId(id));
  return it == image.brokers.end() || it->second.fenced;
}

proto::MetadataRecord PartitionRecordFor(const std::string& topic_id, int32_t partition,
                                         const std::vector<int32_t>& replicas) {
  proto::MetadataRecord r;
  proto::PartitionRecord* p = r.mutable_partition();
  p->set_topic_id(topic_id);
  p->set_partition_id(partition);
  p->mutable_replicas()->Add(replicas.begin(), replicas.end());
  p->mutable_isr()->Add(replicas.begin(), replicas.end());
  p->set_leader(replicas.front());
  return r;
}

}  // namespace

ApiError ReplicationControl::ValidateTopicName(const std::string& name) {
  if (name.empty())
    return Error(ErrorCode::kInvalidTopicException, "Topic name is illegal, it can't be empty");
  if (name == "." || name == "..") {
    return Error(ErrorCode::kInvalidTopicException, "Topic name cannot be \".\" or \"..\"");
  }
  if (name.size() > kMaxTopicNameLength) {
    return Error(ErrorCode::kInvalidTopicException,
                 absl::StrCat("Topic name is illegal, it can't be longer than ",
                              kMaxTopicNameLength, " characters, topic name: ", name));
  }
  for (char c : name) {
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!legal) {
      return Error(ErrorCode::kInvalidTopicException,
                   absl::StrCat("Topic name \"", name,
                                "\" is illegal, it contains a character other than ASCII "
                                "alphanumerics, '.', '_' and '-'"));
    }
  }
  return {};
}

std::vector<std::vector<int32_t>> ReplicationControl::Place(const MetadataImage& image,
                                                            const std::string& name,
                                                            int32_t first_partition,
                                                            int32_t partitions,
                                                            int16_t replication_factor) const {
  // Round-robin from a start chosen by the topic name, so leaders of different topics spread
  // over different brokers; replica r of partition p sits r places after its leader.
  const std::vector<int32_t> brokers = RackInterleaved(image);
  const size_t n = brokers.size();
  const size_t start = absl::Hash<std::string>{}(name) % n;
  std::vector<std::vector<int32_t>> out;
  for (int32_t p = first_partition; p < first_partition + partitions; ++p) {
    std::vector<int32_t> replicas;
    for (int16_t r = 0; r < replication_factor; ++r) {
      replicas.push_back(brokers[(start + static_cast<size_t>(p) + static_cast<size_t>(r)) % n]);
    }
    out.push_back(std::move(replicas));
  }
  return out;
}

ControllerResult<CreateTopicResponse> ReplicationControl::GenerateCreateTopic(
    const MetadataImage& image, const CreateTopicRequest& request,
    const std::string& topic_id) const {
  ControllerResult<CreateTopicResponse> result;
  CreateTopicResponse& response = result.response;
  if (ApiError e = ValidateTopicName(request.name); !e.ok()) {
    response.error = e;
    return result;
  }
  if (image.FindTopic(request.name) != nullptr) {
    response.error = Error(ErrorCode::kTopicAlreadyExists,
                           absl::StrCat("Topic '", request.name, "' already exists."));
    return result;
  }
  // The cluster-wide dynamic default (KIP-226) wins over this controller's static one.
  const int32_t partitions =
      request.partitions == -1
          ? static_cast<int32_t>(EffectiveBrokerInt(image, kClusterDefault, "num.partitions",
                                                    options_.num_partitions))
          : request.partitions;
  const int16_t rf = request.replication_factor == -1
                         ? static_cast<int16_t>(EffectiveBrokerInt(
                               image, kClusterDefault, "default.replication.factor",
                               options_.default_replication_factor))
                         : request.replication_factor;
  if (partitions <= 0) {
    response.error = Error(ErrorCode::kInvalidPartitions,
                           "Number of partitions was set to an invalid non-positive value.");
    return result;
  }
  const size_t live = RackInterleaved(image).size();
  if (rf <= 0 || static_cast<size_t>(rf) > live) {
    response.error = Error(ErrorCode::kInvalidReplicationFactor,
                           rf <= 0 ? "Replication factor must be larger than 0."
                                   : absl::StrCat("Unable to replicate the partition ", rf,
                                                  " time(s): The target replication factor of ", rf,
                                                  " cannot be reached because only ", live,
                                                  " broker(s) are registered."));
    return result;
  }
  for (const auto& [key, value] : request.configs) {
    if (ApiError e = ValidateTopicConfig(key, value); !e.ok()) {
      response.error = e;
      return result;
    }
  }
  proto::MetadataRecord topic;
  topic.mutable_topic()->set_name(request.name);
  topic.mutable_topic()->set_topic_id(topic_id);
  result.records.push_back(std::move(topic));
  const auto placement = Place(image, request.name, 0, partitions, rf);
  for (int32_t p = 0; p < partitions; ++p) {
    result.records.push_back(PartitionRecordFor(topic_id, p, placement[static_cast<size_t>(p)]));
  }
  for (const auto& [key, value] : request.configs) {
    proto::MetadataRecord c;
    c.mutable_config()->set_resource_type(static_cast<int32_t>(ResourceType::kTopic));
    c.mutable_config()->set_resource_name(request.name);
    c.mutable_config()->set_name(key);
    c.mutable_config()->set_value(value);
    result.records.push_back(std::move(c));
  }
  response.topic_id = topic_id;
  response.partitions = partitions;
  response.replication_factor = rf;
  return result;
}

ControllerResult<ApiError> ReplicationControl::GenerateDeleteTopic(const MetadataImage& image,
                                                                   const std::string& name) const {
  ControllerResult<ApiError> result;
  const TopicImage* topic = image.FindTopic(name);
  if (topic == nullptr) {
    result.response = Error(ErrorCode::kUnknownTopicOrPartition,
                            "This server does not host this topic-partition.");
    return result;
  }
  result.records.emplace_back().mutable_remove_topic()->set_topic_id(topic->id);
  return result;
}

ControllerResult<ApiError> ReplicationControl::GenerateCreatePartitions(const MetadataImage& image,
                                                                        const std::string& name,
                                                                        int32_t count) const {
  ControllerResult<ApiError> result;
  const TopicImage* topic = image.FindTopic(name);
  if (topic == nullptr) {
    result.response = Error(ErrorCode::kUnknownTopicOrPartition,
                            "This server does not host this topic-partition.");
    return result;
  }
  const auto current = static_cast<int32_t>(topic->partitions.size());
  if (count == current) {
    result.response = Error(ErrorCode::kInvalidPartitions,
                            absl::StrCat("Topic already has ", current, " partitions."));
    return result;
  }
  if (count < current) {
    result.response =
        Error(ErrorCode::kInvalidPartitions,
              absl::StrCat("Topic currently has ", current,
                           " partitions, which is higher than the requested ", count, "."));
    return result;
  }
  const auto rf = static_cast<int16_t>(topic->partitions.begin()->second.replicas.size());
  if (static_cast<size_t>(rf) > RackInterleaved(image).size()) {
    result.response = Error(ErrorCode::kInvalidReplicationFactor,
                            "Not enough live brokers for the topic's replication factor.");
    return result;
  }
  const auto placement = Place(image, name, current, count - current, rf);
  for (int32_t p = current; p < count; ++p) {
    result.records.push_back(
        PartitionRecordFor(topic->id, p, placement[static_cast<size_t>(p - current)]));
  }
  return result;
}

ControllerResult<ApiError> ReplicationControl::GenerateAlterPartition(
    const MetadataImage& image, const AlterPartitionRequest& request) const {
  ControllerResult<ApiError> result;
  auto topic = image.topics.find(request.topic_id);
  if (topic == image.topics.end() || topic->second.partitions.count(request.partition) == 0) {
    result.response = Error(ErrorCode::kUnknownTopicOrPartition,
                            "This server does not host this topic-partition.");
    return result;
  }
  const PartitionState& p = topic->second.partitions.at(request.partition);
  if (p.leader != request.broker) {
    result.response = Error(ErrorCode::kNotLeaderOrFollower,
                            absl::StrCat("Broker ", request.broker.value(),
                                         " is not the leader; the leader is ", p.leader.value()));
    return result;
  }
  if (request.leader_epoch != p.leader_epoch) {
    result.response = Error(ErrorCode::kFencedLeaderEpoch,
                            absl::StrCat("Leader epoch ", request.leader_epoch.value(),
                                         " is not the current ", p.leader_epoch.value()));
    return result;
  }
  if (request.partition_epoch != p.partition_epoch) {
    result.response = Error(ErrorCode::kInvalidUpdateVersion,
                            absl::StrCat("Partition epoch ", request.partition_epoch,
                                         " is not the current ", p.partition_epoch));
    return result;
  }
  if (request.new_isr.empty() || !Contains(request.new_isr, request.broker.value())) {
    result.response =
        Error(ErrorCode::kInvalidRequest, "The ISR must contain the leader and cannot be empty.");
    return result;
  }
  for (int32_t id : request.new_isr) {
    if (!Contains(p.replicas, id)) {
      result.response =
          Error(ErrorCode::kInvalidRequest, absl::StrCat("Broker ", id, " is not a replica."));
      return result;
    }
    if (Fenced(image, id)) {
      result.response = Error(ErrorCode::kIneligibleReplica,
                              absl::StrCat("Broker ", id, " is fenced and cannot join the ISR."));
      return result;
    }
  }
  PartitionState next = p;
  next.isr = request.new_isr;
  if (MaybeCompleteReassignment(image, next)) {
    // KIP-455: the last adding replica caught up, so the reassignment completes now.
    result.records.push_back(ChangeRecord(request.topic_id, request.partition, p, next));
    return result;
  }
  proto::PartitionChangeRecord* change = result.records.emplace_back().mutable_partition_change();
  change->set_topic_id(request.topic_id);
  change->set_partition_id(request.partition);
  change->mutable_isr()->mutable_values()->Add(request.new_isr.begin(), request.new_isr.end());
  return result;
}

std::vector<proto::MetadataRecord> ReplicationControl::GenerateLeadershipMoves(
    const MetadataImage& image, NodeId broker) const {
  std::vector<proto::MetadataRecord> out;
  for (const auto& [id, topic] : image.topics) {
    // The topic's value, else the cluster-wide dynamic default (KIP-226), else the static one.
    auto unclean_it = image.configs.find({static_cast<int32_t>(ResourceType::kTopic), topic.name});
    const bool unclean =
        unclean_it != image.configs.end() &&
                unclean_it->second.count("unclean.leader.election.enable") > 0
            ? unclean_it->second.at("unclean.leader.election.enable") == "true"
            : EffectiveBrokerBool(image, kClusterDefault, "unclean.leader.election.enable",
                                  options_.unclean_leader_election_enable);
    for (const auto& [index, p] : topic.partitions) {
      const bool in_isr = Contains(p.isr, broker.value());
      if (!in_isr && p.leader != broker) continue;
      std::vector<int32_t> isr = p.isr;
      // The last in-sync replica stays in the ISR: it holds every committed record.
      if (in_isr && isr.size() > 1) isr.erase(std::find(isr.begin(), isr.end(), broker.value()));
      int32_t leader = p.leader.value();
      if (p.leader == broker) {
        leader = -1;
        for (int32_t r : p.replicas) {
          if (r != broker.value() && Contains(isr, r) && !Fenced(image, r)) {
            leader = r;
            break;
          }
        }
        if (leader == -1 && unclean) {
          for (int32_t r : p.replicas) {
            if (r != broker.value() && !Fenced(image, r)) {
              leader = r;
              isr = {r};
              break;
            }
          }
        }
      }
      proto::PartitionChangeRecord* c = out.emplace_back().mutable_partition_change();
      c->set_topic_id(id);
      c->set_partition_id(index);
      c->mutable_isr()->mutable_values()->Add(isr.begin(), isr.end());
      if (leader != p.leader.value()) c->set_leader(leader);
    }
  }
  return out;
}

std::vector<proto::MetadataRecord> ReplicationControl::GenerateElectionsOnUnfence(
    const MetadataImage& image, NodeId broker) const {
  std::vector<proto::MetadataRecord> out;
  for (const auto& [id, topic] : image.topics) {
    for (const auto& [index, p] : topic.partitions) {
      if (p.leader.value() >= 0 || !Contains(p.isr, broker.value())) continue;
      proto::PartitionChangeRecord* c = out.emplace_back().mutable_partition_change();
      c->set_topic_id(id);
      c->set_partition_id(index);
      c->set_leader(broker.value());
    }
  }
  return out;
}

ControllerResult<std::vector<ReplicationControl::ElectionResult>>
ReplicationControl::GeneratePreferredLeaderElection(
    const MetadataImage& image,
    const std::vector<std::pair<std::string, int32_t>>& partitions) const {
  ControllerResult<std::vector<ElectionResult>> result;
  std::vector<std::pair<std::string, int32_t>> wanted = partitions;
  if (wanted.empty()) {
    for (const auto& [id, topic] : image.topics) {
      for (const auto& [index, p] : topic.partitions) wanted.emplace_back(topic.name, index);
    }
  }
  for (const auto& [name, index] : wanted) {
    ElectionResult& r = result.response.emplace_back();
    r.topic = name;
    r.partition = index;
    const TopicImage* topic = image.FindTopic(name);
    if (topic == nullptr || topic->partitions.count(index) == 0) {
      r.error = Error(ErrorCode::kUnknownTopicOrPartition,
                      "This server does not host this topic-partition.");
      continue;
    }
    const PartitionState& p = topic->partitions.at(index);
    const int32_t preferred = p.replicas.front();
    if (p.leader.value() == preferred) {
      r.error =
          Error(ErrorCode::kElectionNotNeeded, "Leader election not needed for topic partition.");
      continue;
    }
    if (!Contains(p.isr, preferred) || Fenced(image, preferred)) {
      r.error =
          Error(ErrorCode::kPreferredLeaderNotAvailable,
                absl::StrCat("Failed to elect leader for partition ", name, "-", index,
                             " under strategy PreferredReplicaPartitionLeaderElectionStrategy"));
      continue;
    }
    proto::PartitionChangeRecord* c = result.records.emplace_back().mutable_partition_change();
    c->set_topic_id(topic->id);
    c->set_partition_id(index);
    c->set_leader(preferred);
  }
  return result;
}

}  // namespace karst::controller
