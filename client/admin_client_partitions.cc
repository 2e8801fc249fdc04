// AdminClient's cluster and partition calls: DescribeCluster, ListOffsets and DeleteRecords
// (to each partition's leader), ElectLeaders and the KIP-455 reassignment calls (to the
// controller). Kept apart from the topic and config calls in admin_client.cc.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/admin_client.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/alter_partition_reassignments.h"
#include "kafka/protocol/messages/delete_records.h"
#include "kafka/protocol/messages/describe_cluster.h"
#include "kafka/protocol/messages/elect_leaders.h"
#include "kafka/protocol/messages/list_offsets.h"
#include "kafka/protocol/messages/list_partition_reassignments.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

// ListOffsets v1 is the floor (v0 answers offset arrays); v7 adds max-timestamp (KIP-734).
constexpr int16_t kListOffsetsMin = 1;
constexpr int16_t kListOffsetsMax = 9;
constexpr int16_t kMaxTimestampVersion = 7;
constexpr int16_t kDeleteRecordsMax = 2;
// ElectLeaders v1 adds the election type and the top-level error.
constexpr int16_t kElectLeadersMin = 1;
constexpr int16_t kElectLeadersMax = 2;
constexpr int32_t kConsumerReplicaId = -1;
constexpr absl::Duration kRetryBackoff = absl::Milliseconds(100);
constexpr int16_t kNotController = static_cast<int16_t>(kp::ErrorCode::kNotController);

absl::Status UnknownPartition(const TopicPartition& tp) {
  return KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kUnknownTopicOrPartition),
                          absl::StrCat("partition ", ToString(tp), " does not exist."));
}

int32_t TimeoutMs(absl::Duration timeout) {
  return static_cast<int32_t>(absl::ToInt64Milliseconds(timeout));
}

// Groups `partitions` by topic, in order, for requests that list topics then partitions.
std::map<std::string, std::vector<int32_t>> ByTopic(const std::set<TopicPartition>& partitions) {
  std::map<std::string, std::vector<int32_t>> out;
  for (const TopicPartition& tp : partitions) out[tp.topic].push_back(tp.partition);
  return out;
}

}  // namespace

absl::StatusOr<ClusterDescription> AdminClient::DescribeCluster() {
  ASSIGN_OR_RETURN(const int16_t version, bootstrap_->Version<kp::DescribeClusterRequest>());
  kp::DescribeClusterRequest request;
  kp::DescribeClusterResponse response;
  RETURN_IF_ERROR(bootstrap_->Call(request, version, &response));
  RETURN_IF_ERROR(KafkaErrorStatus(response.error_code, response.error_message));
  ClusterDescription out{
      .cluster_id = response.cluster_id, .controller_id = response.controller_id, .brokers = {}};
  for (const auto& b : response.brokers) {
    out.brokers.push_back({.id = b.broker_id, .host = b.host, .port = b.port, .rack = b.rack});
  }
  std::sort(out.brokers.begin(), out.brokers.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<Connection*> AdminClient::BrokerConnection(int32_t id, const std::string& host,
                                                          int32_t port) {
  if (auto it = brokers_.find(id); it != brokers_.end()) return it->second.get();
  if (absl::StrCat(host, ":", port) == bootstrap_->address()) return bootstrap_.get();
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                   Connection::Open(host, port, ConnectionOptionsFor(), clock_));
  return (brokers_[id] = std::move(connection)).get();
}

absl::StatusOr<std::map<TopicPartition, int32_t>> AdminClient::Leaders(
    const std::set<TopicPartition>& partitions, std::map<TopicPartition, absl::Status>& errors) {
  std::vector<std::string> topics;
  for (const auto& [topic, unused] : ByTopic(partitions)) topics.push_back(topic);
  ASSIGN_OR_RETURN(const kp::MetadataResponse metadata, FetchMetadata(topics));
  std::map<TopicPartition, int32_t> leaders;
  for (const TopicPartition& tp : partitions) {
    absl::Status error = UnknownPartition(tp);
    for (const auto& topic : metadata.topics) {
      if (topic.name != tp.topic) continue;
      if (topic.error_code != 0) {
        error = KafkaErrorStatus(topic.error_code,
                                 absl::StrCat("topic ", tp.topic, ": cannot find its leaders"));
        break;
      }
      for (const auto& p : topic.partitions) {
        if (p.partition_index != tp.partition) continue;
        if (p.leader_id >= 0) {
          leaders[tp] = p.leader_id;
          error = absl::OkStatus();
        } else {
          error = KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kLeaderNotAvailable),
                                   absl::StrCat(ToString(tp), " has no leader"));
        }
      }
    }
    if (!error.ok()) errors[tp] = error;
  }
  broker_addresses_.clear();
  for (const auto& b : metadata.brokers) broker_addresses_[b.node_id] = {b.host, b.port};
  return leaders;
}

absl::Status AdminClient::ForEachLeader(const std::set<TopicPartition>& partitions,
                                        std::map<TopicPartition, absl::Status>& errors,
                                        const LeaderCall& call) {
  const absl::Duration deadline = clock_.Monotonic() + options_.request_timeout;
  std::set<TopicPartition> pending = partitions;
  while (true) {
    std::map<TopicPartition, absl::Status> lookup;
    ASSIGN_OR_RETURN(const auto leaders, Leaders(pending, lookup));
    std::set<TopicPartition> retry;
    for (const auto& [tp, status] : lookup) {
      errors[tp] = status;
      if (absl::IsUnavailable(status)) retry.insert(tp);
    }
    std::map<int32_t, std::set<TopicPartition>> by_leader;
    for (const auto& [tp, leader] : leaders) by_leader[leader].insert(tp);
    for (const auto& [leader, led] : by_leader) {
      absl::StatusOr<std::set<TopicPartition>> again =
          [&]() -> absl::StatusOr<std::set<TopicPartition>> {
        auto address = broker_addresses_.find(leader);
        if (address == broker_addresses_.end()) {
          return absl::UnavailableError(absl::StrCat("broker ", leader, ": not in metadata"));
        }
        ASSIGN_OR_RETURN(Connection* const c,
                         BrokerConnection(leader, address->second.host, address->second.port));
        return call(*c, led);
      }();
      if (!again.ok()) {
        // A transport error: reconnect to the leader Metadata names next time.
        brokers_.erase(leader);
        for (const TopicPartition& tp : led) errors[tp] = again.status();
        retry.insert(led.begin(), led.end());
      } else {
        for (const TopicPartition& tp : led) {
          if (again->count(tp) == 0) errors.erase(tp);
        }
        retry.insert(again->begin(), again->end());
      }
    }
    if (retry.empty() || clock_.Monotonic() + kRetryBackoff >= deadline) return absl::OkStatus();
    clock_.SleepFor(kRetryBackoff);
    pending = std::move(retry);
  }
}

absl::StatusOr<std::map<TopicPartition, ListedOffset>> AdminClient::ListOffsets(
    const std::map<TopicPartition, OffsetSpec>& specs) {
  std::set<TopicPartition> partitions;
  bool max_timestamp = false;
  for (const auto& [tp, spec] : specs) {
    partitions.insert(tp);
    max_timestamp |= spec.timestamp == OffsetSpec::kMaxTimestamp;
  }
  std::map<TopicPartition, ListedOffset> out;
  std::map<TopicPartition, absl::Status> errors;
  RETURN_IF_ERROR(ForEachLeader(
      partitions, errors,
      [&](Connection& c,
          const std::set<TopicPartition>& led) -> absl::StatusOr<std::set<TopicPartition>> {
        ASSIGN_OR_RETURN(
            const int16_t version,
            c.Version(kp::ListOffsetsRequest::kApiKey,
                      max_timestamp ? kMaxTimestampVersion : kListOffsetsMin, kListOffsetsMax));
        kp::ListOffsetsRequest request;
        request.replica_id = kConsumerReplicaId;
        request.timeout_ms = TimeoutMs(options_.request_timeout);
        for (const auto& [topic, indexes] : ByTopic(led)) {
          auto& t = request.topics.emplace_back();
          t.name = topic;
          for (int32_t index : indexes) {
            auto& p = t.partitions.emplace_back();
            p.partition_index = index;
            p.timestamp = specs.at({topic, index}).timestamp;
          }
        }
        kp::ListOffsetsResponse response;
        RETURN_IF_ERROR(c.Call(request, version, &response));
        std::set<TopicPartition> retry = led;
        for (const auto& t : response.topics) {
          for (const auto& p : t.partitions) {
            const TopicPartition tp{t.name, p.partition_index};
            if (!led.contains(tp)) continue;
            ListedOffset& listed = out[tp];
            listed = {.status = KafkaErrorStatus(p.error_code),
                      .offset = p.offset,
                      .timestamp = p.timestamp,
                      .leader_epoch = p.leader_epoch};
            if (absl::IsUnavailable(listed.status)) {
              errors[tp] = listed.status;
            } else {
              retry.erase(tp);
            }
          }
        }
        return retry;
      }));
  for (const auto& [tp, status] : errors) out[tp] = {.status = status};
  return out;
}

absl::StatusOr<std::map<TopicPartition, DeletedRecords>> AdminClient::DeleteRecords(
    const std::map<TopicPartition, int64_t>& offsets) {
  std::set<TopicPartition> partitions;
  for (const auto& [tp, offset] : offsets) partitions.insert(tp);
  std::map<TopicPartition, DeletedRecords> out;
  std::map<TopicPartition, absl::Status> errors;
  RETURN_IF_ERROR(ForEachLeader(
      partitions, errors,
      [&](Connection& c,
          const std::set<TopicPartition>& led) -> absl::StatusOr<std::set<TopicPartition>> {
        ASSIGN_OR_RETURN(const int16_t version,
                         c.Version<kp::DeleteRecordsRequest>(kDeleteRecordsMax));
        kp::DeleteRecordsRequest request;
        request.timeout_ms = TimeoutMs(options_.request_timeout);
        for (const auto& [topic, indexes] : ByTopic(led)) {
          auto& t = request.topics.emplace_back();
          t.name = topic;
          for (int32_t index : indexes) {
            auto& p = t.partitions.emplace_back();
            p.partition_index = index;
            p.offset = offsets.at({topic, index});
          }
        }
        kp::DeleteRecordsResponse response;
        RETURN_IF_ERROR(c.Call(request, version, &response));
        std::set<TopicPartition> retry = led;
        for (const auto& t : response.topics) {
          for (const auto& p : t.partitions) {
            const TopicPartition tp{t.name, p.partition_index};
            if (!led.contains(tp)) continue;
            out[tp] = {.status = KafkaErrorStatus(p.error_code), .low_watermark = p.low_watermark};
            if (absl::IsUnavailable(out[tp].status)) {
              errors[tp] = out[tp].status;
            } else {
              retry.erase(tp);
            }
          }
        }
        return retry;
      }));
  for (const auto& [tp, status] : errors) out[tp] = {.status = status};
  return out;
}

absl::StatusOr<std::map<TopicPartition, absl::Status>> AdminClient::ElectLeaders(
    ElectionType type, const std::optional<std::set<TopicPartition>>& partitions) {
  kp::ElectLeadersRequest request;
  request.election_type = static_cast<int8_t>(type);
  request.timeout_ms = TimeoutMs(options_.request_timeout);
  if (partitions.has_value()) {
    request.topic_partitions.emplace();
    for (const auto& [topic, indexes] : ByTopic(*partitions)) {
      auto& t = request.topic_partitions->emplace_back();
      t.topic = topic;
      t.partitions = indexes;
    }
  } else {
    request.topic_partitions.reset();
  }
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(Connection* const controller, Controller());
    ASSIGN_OR_RETURN(
        const int16_t version,
        controller->Version(kp::ElectLeadersRequest::kApiKey, kElectLeadersMin, kElectLeadersMax));
    kp::ElectLeadersResponse response;
    RETURN_IF_ERROR(controller->Call(request, version, &response));
    if (response.error_code == kNotController && attempt == 0) {
      controller_.reset();
      continue;
    }
    RETURN_IF_ERROR(KafkaErrorStatus(response.error_code));
    std::map<TopicPartition, absl::Status> out;
    for (const auto& t : response.replica_election_results) {
      for (const auto& p : t.partition_result) {
        out[{t.topic, p.partition_id}] = KafkaErrorStatus(p.error_code, p.error_message);
      }
    }
    return out;
  }
}

absl::StatusOr<std::map<TopicPartition, absl::Status>> AdminClient::AlterPartitionReassignments(
    const std::map<TopicPartition, std::optional<std::vector<int32_t>>>& reassignments) {
  kp::AlterPartitionReassignmentsRequest request;
  request.timeout_ms = TimeoutMs(options_.request_timeout);
  for (const auto& [tp, replicas] : reassignments) {
    if (request.topics.empty() || request.topics.back().name != tp.topic) {
      request.topics.emplace_back().name = tp.topic;
    }
    auto& p = request.topics.back().partitions.emplace_back();
    p.partition_index = tp.partition;
    p.replicas = replicas;
  }
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(Connection* const controller, Controller());
    ASSIGN_OR_RETURN(const int16_t version,
                     controller->Version<kp::AlterPartitionReassignmentsRequest>());
    kp::AlterPartitionReassignmentsResponse response;
    RETURN_IF_ERROR(controller->Call(request, version, &response));
    if (response.error_code == kNotController && attempt == 0) {
      controller_.reset();
      continue;
    }
    RETURN_IF_ERROR(KafkaErrorStatus(response.error_code, response.error_message));
    std::map<TopicPartition, absl::Status> out;
    for (const auto& t : response.responses) {
      for (const auto& p : t.partitions) {
        out[{t.name, p.partition_index}] = KafkaErrorStatus(p.error_code, p.error_message);
      }
    }
    return out;
  }
}

absl::StatusOr<std::map<TopicPartition, PartitionReassignment>>
AdminClient::ListPartitionReassignments(const std::optional<std::set<TopicPartition>>& partitions) {
  kp::ListPartitionReassignmentsRequest request;
  request.timeout_ms = TimeoutMs(options_.request_timeout);
  if (partitions.has_value()) {
    request.topics.emplace();
    for (const auto& [topic, indexes] : ByTopic(*partitions)) {
      auto& t = request.topics->emplace_back();
      t.name = topic;
      t.partition_indexes = indexes;
    }
  } else {
    request.topics.reset();
  }
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(Connection* const controller, Controller());
    ASSIGN_OR_RETURN(const int16_t version,
                     controller->Version<kp::ListPartitionReassignmentsRequest>());
    kp::ListPartitionReassignmentsResponse response;
    RETURN_IF_ERROR(controller->Call(request, version, &response));
    if (response.error_code == kNotController && attempt == 0) {
      controller_.reset();
      continue;
    }
    RETURN_IF_ERROR(KafkaErrorStatus(response.error_code, response.error_message));
    std::map<TopicPartition, PartitionReassignment> out;
    for (const auto& t : response.topics) {
      for (const auto& p : t.partitions) {
        out[{t.name, p.partition_index}] = {.replicas = p.replicas,
                                            .adding_replicas = p.adding_replicas,
                                            .removing_replicas = p.removing_replicas};
      }
    }
    return out;
  }
}

}  // namespace karst::client
