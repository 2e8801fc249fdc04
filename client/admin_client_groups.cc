// AdminClient's consumer group calls (issue #9): ListGroups to every broker, and
// DescribeGroups, OffsetFetch, OffsetCommit, OffsetDelete and DeleteGroups to each group's
// coordinator, found with FindCoordinator, as Kafka's admin client does
// (KafkaAdminClient.listConsumerGroups, describeConsumerGroups, ...).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/admin_client.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/delete_groups.h"
#include "kafka/protocol/messages/describe_groups.h"
#include "kafka/protocol/messages/find_coordinator.h"
#include "kafka/protocol/messages/list_groups.h"
#include "kafka/protocol/messages/offset_commit.h"
#include "kafka/protocol/messages/offset_delete.h"
#include "kafka/protocol/messages/offset_fetch.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

constexpr int16_t kFindCoordinatorMax = 6;
// FindCoordinator v4 looks up many keys at once (KIP-699).
constexpr int16_t kFindCoordinatorBatchVersion = 4;
constexpr int8_t kGroupKeyType = 0;
// ListGroups v4 filters by state (KIP-518); v5 adds group types (KIP-848), left empty.
constexpr int16_t kListGroupsMax = 5;
constexpr int16_t kListGroupsStatesVersion = 4;
constexpr int16_t kDescribeGroupsMax = 5;
constexpr int16_t kDeleteGroupsMax = 2;
// OffsetFetch v2 is the floor: it asks for every partition with null topics and has the
// group-level error; v8 batches groups (KIP-709).
constexpr int16_t kOffsetFetchMin = 2;
constexpr int16_t kOffsetFetchMax = 9;
constexpr int16_t kOffsetFetchGroupsVersion = 8;
// OffsetCommit v1 is the first with a generation and a member id.
constexpr int16_t kOffsetCommitMin = 1;
constexpr int16_t kOffsetCommitMax = 9;
constexpr absl::Duration kRetryBackoff = absl::Milliseconds(100);

int16_t Code(kp::ErrorCode code) { return static_cast<int16_t>(code); }

// Groups `partitions` by topic, in order.
std::map<std::string, std::vector<int32_t>> ByTopic(const std::set<TopicPartition>& partitions) {
  std::map<std::string, std::vector<int32_t>> out;
  for (const TopicPartition& tp : partitions) out[tp.topic].push_back(tp.partition);
  return out;
}

// What OffsetCommit answers a commit with generation -1 while the group has members.
bool MeansGroupNotEmpty(int16_t error_code) {
  return error_code == Code(kp::ErrorCode::kUnknownMemberId) ||
         error_code == Code(kp::ErrorCode::kIllegalGeneration) ||
         error_code == Code(kp::ErrorCode::kRebalanceInProgress);
}

// OffsetFetch's answer for one group, whichever layout its version used.
struct FetchedOffsets {
  int16_t error_code = 0;
  std::map<TopicPartition, CommittedOffset> offsets;
  std::vector<int16_t> partition_errors;
  bool coordinator_error = false;
};

template <typename Topics>
void CollectOffsets(const Topics& topics, FetchedOffsets& out) {
  for (const auto& t : topics) {
    for (const auto& p : t.partitions) {
      if (IsCoordinatorError(p.error_code)) out.coordinator_error = true;
      // A partition the group never committed: UNKNOWN_TOPIC_OR_PARTITION or offset -1.
      if (p.error_code == Code(kp::ErrorCode::kUnknownTopicOrPartition)) continue;
      if (p.error_code != 0) {
        out.partition_errors.push_back(p.error_code);
        continue;
      }
      if (p.committed_offset < 0) continue;
      out.offsets[{t.name, p.partition_index}] = {.offset = p.committed_offset,
                                                  .leader_epoch = p.committed_leader_epoch,
                                                  .metadata = p.metadata.value_or("")};
    }
  }
}

}  // namespace

absl::Status AdminClient::FindCoordinators(const std::set<std::string>& groups,
                                           std::map<std::string, absl::Status>& errors) {
  ASSIGN_OR_RETURN(const int16_t version,
                   bootstrap_->Version<kp::FindCoordinatorRequest>(kFindCoordinatorMax));
  std::vector<std::vector<std::string>> batches;
  if (version >= kFindCoordinatorBatchVersion) {
    batches.emplace_back(groups.begin(), groups.end());
  } else {
    for (const std::string& group : groups) batches.push_back({group});
  }
  for (const std::vector<std::string>& batch : batches) {
    kp::FindCoordinatorRequest request;
    request.key_type = kGroupKeyType;
    if (version >= kFindCoordinatorBatchVersion) {
      request.coordinator_keys = batch;
    } else {
      request.key = batch.front();
    }
    kp::FindCoordinatorResponse response;
    RETURN_IF_ERROR(bootstrap_->Call(request, version, &response));
    if (version < kFindCoordinatorBatchVersion) {
      response.coordinators.push_back({.key = batch.front(),
                                       .node_id = response.node_id,
                                       .host = response.host,
                                       .port = response.port,
                                       .error_code = response.error_code,
                                       .error_message = response.error_message,
                                       .unknown_tagged_fields = {}});
    }
    for (const auto& c : response.coordinators) {
      if (!groups.contains(c.key)) continue;
      if (c.error_code != 0) {
        errors[c.key] = KafkaErrorStatus(c.error_code, c.error_message);
      } else {
        coordinators_[c.key] = {.id = c.node_id, .host = c.host, .port = c.port};
        errors.erase(c.key);
      }
    }
  }
  for (const std::string& group : groups) {
    if (!coordinators_.contains(group) && !errors.contains(group)) {
      errors[group] = absl::UnavailableError(absl::StrCat(
          "FindCoordinator from ", bootstrap_->address(), ": no answer for group ", group));
    }
  }
  return absl::OkStatus();
}

absl::Status AdminClient::ForEachCoordinator(const std::set<std::string>& groups,
                                             std::map<std::string, absl::Status>& errors,
                                             const CoordinatorCall& call) {
  const absl::Duration deadline = clock_.Monotonic() + options_.request_timeout;
  std::set<std::string> pending = groups;
  while (true) {
    std::set<std::string> retry;
    std::set<std::string> unknown;
    for (const std::string& group : pending) {
      if (!coordinators_.contains(group)) unknown.insert(group);
    }
    if (!unknown.empty()) {
      std::map<std::string, absl::Status> lookup;
      RETURN_IF_ERROR(FindCoordinators(unknown, lookup));
      for (const auto& [group, status] : lookup) {
        errors[group] = status;
        if (absl::IsUnavailable(status)) retry.insert(group);
      }
    }
    std::map<int32_t, std::set<std::string>> by_coordinator;
    for (const std::string& group : pending) {
      if (auto it = coordinators_.find(group); it != coordinators_.end()) {
        by_coordinator[it->second.id].insert(group);
      }
    }
    for (const auto& [id, led] : by_coordinator) {
      const GroupCoordinatorNode node = coordinators_.at(*led.begin());
      absl::StatusOr<std::set<std::string>> again = [&]() -> absl::StatusOr<std::set<std::string>> {
        ASSIGN_OR_RETURN(Connection* const c, BrokerConnection(id, node.host, node.port));
        return call(*c, led);
      }();
      if (!again.ok()) {
        // A transport error: reconnect to the coordinator FindCoordinator names next time.
        brokers_.erase(id);
        for (const std::string& group : led) {
          errors[group] = again.status();
          coordinators_.erase(group);
        }
        retry.insert(led.begin(), led.end());
        continue;
      }
      for (const std::string& group : led) {
        if (again->contains(group)) {
          coordinators_.erase(group);
        } else {
          errors.erase(group);
        }
      }
      retry.insert(again->begin(), again->end());
    }
    if (retry.empty() || clock_.Monotonic() + kRetryBackoff >= deadline) return absl::OkStatus();
    clock_.SleepFor(kRetryBackoff);
    pending = std::move(retry);
  }
}

absl::StatusOr<std::vector<ConsumerGroupListing>> AdminClient::ListConsumerGroups(
    const std::set<std::string>& states) {
  ASSIGN_OR_RETURN(const kp::MetadataResponse metadata, FetchMetadata(std::vector<std::string>()));
  std::map<std::string, ConsumerGroupListing> merged;
  for (const auto& broker : metadata.brokers) {
    const absl::Duration deadline = clock_.Monotonic() + options_.request_timeout;
    while (true) {
      ASSIGN_OR_RETURN(Connection* const c,
                       BrokerConnection(broker.node_id, broker.host, broker.port));
      ASSIGN_OR_RETURN(const int16_t version, c->Version<kp::ListGroupsRequest>(kListGroupsMax));
      if (!states.empty() && version < kListGroupsStatesVersion) {
        return absl::FailedPreconditionError(
            absl::StrCat("broker ", broker.node_id, " answers ListGroups v", version,
                         ", which cannot filter groups by state (v4+)"));
      }
      kp::ListGroupsRequest request;
      request.states_filter.assign(states.begin(), states.end());
      kp::ListGroupsResponse response;
      if (absl::Status s = c->Call(request, version, &response); !s.ok()) {
        brokers_.erase(broker.node_id);
        return absl::Status(s.code(), absl::StrCat("ListGroups: ", s.message()));
      }
      // COORDINATOR_LOAD_IN_PROGRESS while the broker loads its offsets partitions.
      if (IsCoordinatorError(response.error_code) &&
          clock_.Monotonic() + kRetryBackoff < deadline) {
        clock_.SleepFor(kRetryBackoff);
        continue;
      }
      if (response.error_code != 0) {
        const absl::Status s = KafkaErrorStatus(response.error_code);
        return absl::Status(
            s.code(), absl::StrCat("ListGroups from broker ", broker.node_id, ": ", s.message()));
      }
      for (const auto& g : response.groups) {
        if (g.protocol_type != kp::kConsumerProtocolType && !g.protocol_type.empty()) continue;
        if (!states.empty() && !states.contains(g.group_state)) continue;
        merged[g.group_id] = {g.group_id, g.protocol_type, g.group_state};
      }
      break;
    }
  }
  std::vector<ConsumerGroupListing> out;
  for (auto& [id, listing] : merged) out.push_back(std::move(listing));
  return out;
}

absl::StatusOr<std::vector<ConsumerGroupDescription>> AdminClient::DescribeConsumerGroups(
    const std::vector<std::string>& group_ids) {
  const std::set<std::string> groups(group_ids.begin(), group_ids.end());
  std::map<std::string, absl::StatusOr<ConsumerGroupDescription>> described;
  std::map<std::string, absl::Status> errors;
  RETURN_IF_ERROR(ForEachCoordinator(
      groups, errors,
      [&](Connection& c,
          const std::set<std::string>& led) -> absl::StatusOr<std::set<std::string>> {
        ASSIGN_OR_RETURN(const int16_t version,
                         c.Version<kp::DescribeGroupsRequest>(kDescribeGroupsMax));
        kp::DescribeGroupsRequest request;
        request.groups.assign(led.begin(), led.end());
        kp::DescribeGroupsResponse response;
        RETURN_IF_ERROR(c.Call(request, version, &response));
        std::set<std::string> retry;
        for (const auto& g : response.groups) {
          if (!led.contains(g.group_id)) continue;
          if (IsCoordinatorError(g.error_code)) {
            errors[g.group_id] = KafkaErrorStatus(g.error_code);
            retry.insert(g.group_id);
            continue;
          }
          absl::StatusOr<ConsumerGroupDescription> d = ToConsumerGroupDescription(g);
          if (d.ok()) d->coordinator = coordinators_.at(g.group_id);
          described.insert_or_assign(g.group_id, std::move(d));
        }
        return retry;
      }));
  std::vector<ConsumerGroupDescription> out;
  for (const std::string& id : group_ids) {
    if (auto e = errors.find(id); e != errors.end()) {
      return absl::Status(e->second.code(), absl::StrCat("group ", id, ": ", e->second.message()));
    }
    auto it = described.find(id);
    if (it == described.end()) {
      return absl::InternalError(absl::StrCat("DescribeGroups: no answer for group ", id));
    }
    if (!it->second.ok()) return it->second.status();
    out.push_back(*it->second);
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, CommittedOffset>> AdminClient::ListConsumerGroupOffsets(
    const std::string& group_id, const std::optional<std::set<TopicPartition>>& partitions) {
  FetchedOffsets fetched;
  std::map<std::string, absl::Status> errors;
  RETURN_IF_ERROR(ForEachCoordinator(
      {group_id}, errors,
      [&](Connection& c, const std::set<std::string>&) -> absl::StatusOr<std::set<std::string>> {
        ASSIGN_OR_RETURN(const int16_t version, c.Version(kp::OffsetFetchRequest::kApiKey,
                                                          kOffsetFetchMin, kOffsetFetchMax));
        kp::OffsetFetchRequest request;
        std::optional<std::vector<kp::OffsetFetchRequest::OffsetFetchRequestTopics>> topics;
        if (partitions.has_value()) {
          topics.emplace();
          for (const auto& [topic, indexes] : ByTopic(*partitions)) {
            topics->push_back({.name = topic, .partition_indexes = indexes});
          }
        }
        if (version >= kOffsetFetchGroupsVersion) {
          auto& g = request.groups.emplace_back();
          g.group_id = group_id;
          g.topics = std::move(topics);
        } else {
          request.group_id = group_id;
          request.topics.reset();
          if (topics.has_value()) {
            request.topics.emplace();
            for (auto& t : *topics) request.topics->push_back({t.name, t.partition_indexes, {}});
          }
        }
        kp::OffsetFetchResponse response;
        RETURN_IF_ERROR(c.Call(request, version, &response));
        fetched = FetchedOffsets();
        if (version >= kOffsetFetchGroupsVersion) {
          for (const auto& g : response.groups) {
            if (g.group_id != group_id) continue;
            fetched.error_code = g.error_code;
            CollectOffsets(g.topics, fetched);
          }
        } else {
          fetched.error_code = response.error_code;
          CollectOffsets(response.topics, fetched);
        }
        if (IsCoordinatorError(fetched.error_code) || fetched.coordinator_error) {
          errors[group_id] = KafkaErrorStatus(
              fetched.error_code != 0 ? fetched.error_code : Code(kp::ErrorCode::kNotCoordinator));
          return std::set<std::string>{group_id};
        }
        return std::set<std::string>();
      }));
  if (auto e = errors.find(group_id); e != errors.end()) return e->second;
  RETURN_IF_ERROR(KafkaErrorStatus(fetched.error_code));
  if (!fetched.partition_errors.empty()) {
    return KafkaErrorStatus(fetched.partition_errors.front());
  }
  return std::move(fetched.offsets);
}

absl::StatusOr<std::map<std::string, absl::Status>> AdminClient::DeleteConsumerGroups(
    const std::vector<std::string>& group_ids) {
  std::map<std::string, absl::Status> out;
  std::map<std::string, absl::Status> errors;
  RETURN_IF_ERROR(ForEachCoordinator(
      std::set<std::string>(group_ids.begin(), group_ids.end()), errors,
      [&](Connection& c,
          const std::set<std::string>& led) -> absl::StatusOr<std::set<std::string>> {
        ASSIGN_OR_RETURN(const int16_t version,
                         c.Version<kp::DeleteGroupsRequest>(kDeleteGroupsMax));
        kp::DeleteGroupsRequest request;
        request.groups_names.assign(led.begin(), led.end());
        kp::DeleteGroupsResponse response;
        RETURN_IF_ERROR(c.Call(request, version, &response));
        std::set<std::string> retry;
        for (const auto& r : response.results) {
          if (!led.contains(r.group_id)) continue;
          if (IsCoordinatorError(r.error_code)) {
            errors[r.group_id] = KafkaErrorStatus(r.error_code);
            retry.insert(r.group_id);
          } else {
            out[r.group_id] = KafkaErrorStatus(r.error_code);
          }
        }
        return retry;
      }));
  for (const std::string& id : group_ids) {
    if (auto e = errors.find(id); e != errors.end()) {
      out[id] = e->second;
    } else if (!out.contains(id)) {
      out[id] = absl::InternalError(absl::StrCat("DeleteGroups: no answer for group ", id));
    }
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, absl::Status>> AdminClient::DeleteConsumerGroupOffsets(
    const std::string& group_id, const std::set<TopicPartition>& partitions) {
  std::map<TopicPartition, absl::Status> out;
  absl::Status group_error;
  std::map<std::string, absl::Status> errors;
  RETURN_IF_ERROR(ForEachCoordinator(
      {group_id}, errors,
      [&](Connection& c, const std::set<std::string>&) -> absl::StatusOr<std::set<std::string>> {
        ASSIGN_OR_RETURN(const int16_t version, c.Version<kp::OffsetDeleteRequest>());
        kp::OffsetDeleteRequest request;
        request.group_id = group_id;
        for (const auto& [topic, indexes] : ByTopic(partitions)) {
          auto& t = request.topics.emplace_back();
          t.name = topic;
          for (int32_t index : indexes) t.partitions.emplace_back().partition_index = index;
        }
        kp::OffsetDeleteResponse response;
        RETURN_IF_ERROR(c.Call(request, version, &response));
        if (IsCoordinatorError(response.error_code)) {
          errors[group_id] = KafkaErrorStatus(response.error_code);
          return std::set<std::string>{group_id};
        }
        group_error = KafkaErrorStatus(response.error_code);
        out.clear();
        for (const auto& t : response.topics) {
          for (const auto& p : t.partitions) {
            out[{t.name, p.partition_index}] = KafkaErrorStatus(p.error_code);
          }
        }
        return std::set<std::string>();
      }));
  if (auto e = errors.find(group_id); e != errors.end()) return e->second;
  RETURN_IF_ERROR(group_error);
  return out;
}

absl::Status AdminClient::AlterConsumerGroupOffsets(
    const std::string& group_id, const std::map<TopicPartition, int64_t>& offsets) {
  std::vector<int16_t> partition_errors;
  std::map<std::string, absl::Status> errors;
  RETURN_IF_ERROR(ForEachCoordinator(
      {group_id}, errors,
      [&](Connection& c, const std::set<std::string>&) -> absl::StatusOr<std::set<std::string>> {
        ASSIGN_OR_RETURN(const int16_t version, c.Version(kp::OffsetCommitRequest::kApiKey,
                                                          kOffsetCommitMin, kOffsetCommitMax));
        // As Kafka's AlterConsumerGroupOffsetsHandler: no generation, no member; the
        // coordinator accepts it only while the group has no members.
        kp::OffsetCommitRequest request;
        request.group_id = group_id;
        request.generation_id_or_member_epoch = -1;
        request.member_id = "";
        for (const auto& [tp, offset] : offsets) {
          if (request.topics.empty() || request.topics.back().name != tp.topic) {
            request.topics.emplace_back().name = tp.topic;
          }
          auto& p = request.topics.back().partitions.emplace_back();
          p.partition_index = tp.partition;
          p.committed_offset = offset;
        }
        kp::OffsetCommitResponse response;
        RETURN_IF_ERROR(c.Call(request, version, &response));
        partition_errors.clear();
        for (const auto& t : response.topics) {
          for (const auto& p : t.partitions) {
            if (IsCoordinatorError(p.error_code)) {
              errors[group_id] = KafkaErrorStatus(p.error_code);
              return std::set<std::string>{group_id};
            }
            if (p.error_code != 0) partition_errors.push_back(p.error_code);
          }
        }
        return std::set<std::string>();
      }));
  if (auto e = errors.find(group_id); e != errors.end()) return e->second;
  if (partition_errors.empty()) return absl::OkStatus();
  const absl::Status first = KafkaErrorStatus(partition_errors.front());
  if (MeansGroupNotEmpty(partition_errors.front())) {
    return absl::FailedPreconditionError(
        absl::StrCat("group ", group_id,
                     " is not empty: its offsets can be changed only while it has no active "
                     "members (",
                     first.message(), ")"));
  }
  return first;
}

}  // namespace karst::client
