// ReplicationControl's partition reassignment (KIP-455), kept apart from the topic rules in
// replication_control.cc. The replica arithmetic follows Kafka's PartitionReassignmentReplicas
// and PartitionReassignmentRevert; completion follows PartitionChangeBuilder.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "controller/replication_control.h"

namespace karst::controller {
namespace {

namespace proto = ::karst::metadata::proto;

bool Contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The members of `a` not in `b`, in `a`'s order.
std::vector<int32_t> Minus(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  std::vector<int32_t> out;
  for (int32_t x : a) {
    if (!Contains(b, x)) out.push_back(x);
  }
  return out;
}

// The members of `a` also in `b`, in `a`'s order.
std::vector<int32_t> Intersect(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  std::vector<int32_t> out;
  for (int32_t x : a) {
    if (Contains(b, x)) out.push_back(x);
  }
  return out;
}

bool InProgress(const PartitionState& p) {
  return !p.adding_replicas.empty() || !p.removing_replicas.empty();
}

// A leader no longer among the replicas gives way to the first replica in the ISR that is
// unfenced; with none, the partition goes offline (leader -1) until one is unfenced.
void ElectIfLeaderRemoved(const MetadataImage& image, PartitionState& p) {
  if (p.leader.value() < 0 || Contains(p.replicas, p.leader.value())) return;
  p.leader = NodeId(-1);
  for (int32_t r : p.replicas) {
    auto broker = image.brokers.find(NodeId(r));
    if (Contains(p.isr, r) && broker != image.brokers.end() && !broker->second.fenced) {
      p.leader = NodeId(r);
      return;
    }
  }
}

ApiError InvalidAssignment(std::string message) {
  return {ErrorCode::kInvalidReplicaAssignment, std::move(message)};
}

// Kafka's validateManualPartitionAssignment messages.
ApiError ValidateTarget(const MetadataImage& image, const std::vector<int32_t>& target) {
  if (target.empty()) {
    return InvalidAssignment("The manual partition assignment includes an empty replica list.");
  }
  std::set<int32_t> seen;
  for (int32_t r : target) {
    if (!seen.insert(r).second) {
      return InvalidAssignment(absl::StrCat("The manual partition assignment includes the broker ",
                                            r, " more than once."));
    }
    if (image.brokers.count(NodeId(r)) == 0) {
      return InvalidAssignment(absl::StrCat("The manual partition assignment includes broker ", r,
                                            ", but no such broker is registered."));
    }
  }
  return {};
}

ApiError Unclean(const std::string& topic, int32_t partition) {
  return InvalidAssignment(absl::StrCat("Unable to change the partition assignment for ", topic,
                                        ":", partition,
                                        " because it would leave no in-sync replica."));
}

}  // namespace

bool ReplicationControl::MaybeCompleteReassignment(const MetadataImage& image,
                                                   PartitionState& next) {
  if (!InProgress(next)) return false;
  for (int32_t r : next.adding_replicas) {
    if (!Contains(next.isr, r)) return false;
  }
  const std::vector<int32_t> target = Minus(next.replicas, next.removing_replicas);
  std::vector<int32_t> isr = Intersect(next.isr, target);
  // Kafka's maybeCompleteReassignment: never complete into an empty ISR.
  if (isr.empty()) return false;
  next.replicas = target;
  next.isr = std::move(isr);
  next.adding_replicas.clear();
  next.removing_replicas.clear();
  ElectIfLeaderRemoved(image, next);
  return true;
}

proto::MetadataRecord ReplicationControl::ChangeRecord(const std::string& topic_id,
                                                       int32_t partition,
                                                       const PartitionState& from,
                                                       const PartitionState& to) {
  proto::MetadataRecord record;
  proto::PartitionChangeRecord* c = record.mutable_partition_change();
  c->set_topic_id(topic_id);
  c->set_partition_id(partition);
  // mutable_*() marks a list as set, so an empty list clears the field.
  auto set = [](const std::vector<int32_t>& v, proto::IntList* out) {
    out->mutable_values()->Add(v.begin(), v.end());
  };
  if (from.isr != to.isr) set(to.isr, c->mutable_isr());
  if (from.replicas != to.replicas) set(to.replicas, c->mutable_replicas());
  if (from.adding_replicas != to.adding_replicas) {
    set(to.adding_replicas, c->mutable_adding_replicas());
  }
  if (from.removing_replicas != to.removing_replicas) {
    set(to.removing_replicas, c->mutable_removing_replicas());
  }
  // Replay bumps the leader epoch when the leader changes.
  if (from.leader != to.leader) c->set_leader(to.leader.value());
  return record;
}

ControllerResult<std::vector<ReassignmentResult>>
ReplicationControl::GenerateAlterPartitionReassignments(
    const MetadataImage& image, const std::vector<ReassignmentRequest>& requests) const {
  ControllerResult<std::vector<ReassignmentResult>> result;
  // Partitions changed by earlier entries of this request, as those entries left them.
  std::map<std::pair<std::string, int32_t>, PartitionState> changed;
  for (const ReassignmentRequest& request : requests) {
    ReassignmentResult& out = result.response.emplace_back();
    out.topic = request.topic;
    out.partition = request.partition;
    const TopicImage* topic = image.FindTopic(request.topic);
    if (topic == nullptr || topic->partitions.count(request.partition) == 0) {
      out.error = {ErrorCode::kUnknownTopicOrPartition,
                   "This server does not host this topic-partition."};
      continue;
    }
    const auto key = std::make_pair(topic->id, request.partition);
    auto earlier = changed.find(key);
    const PartitionState current =
        earlier != changed.end() ? earlier->second : topic->partitions.at(request.partition);
    // KIP-455: the original replicas survive a reassignment that replaces another.
    const std::vector<int32_t> original = Minus(current.replicas, current.adding_replicas);
    PartitionState next = current;
    if (!request.replicas.has_value()) {
      if (!InProgress(current)) {
        out.error = {ErrorCode::kNoReassignmentInProgress,
                     absl::StrCat("No reassignment is in progress for topic ", request.topic,
                                  " partition ", request.partition, ".")};
        continue;
      }
      next.replicas = original;
      next.adding_replicas.clear();
      next.removing_replicas.clear();
    } else {
      const std::vector<int32_t>& target = *request.replicas;
      if (ApiError e = ValidateTarget(image, target); !e.ok()) {
        out.error = std::move(e);
        continue;
      }
      if (!InProgress(current) && target == current.replicas) continue;  // Nothing to do.
      next.replicas = target;
      for (int32_t r : Minus(original, target)) next.replicas.push_back(r);
      next.adding_replicas = Minus(target, original);
      next.removing_replicas = Minus(original, target);
    }
    next.isr = Intersect(current.isr, next.replicas);
    if (next.isr.empty()) {
      out.error = Unclean(request.topic, request.partition);
      continue;
    }
    // No adding replica (a shrink, or a return to the original replicas) completes at once.
    if (!MaybeCompleteReassignment(image, next)) ElectIfLeaderRemoved(image, next);
    if (next == current) continue;
    result.records.push_back(ChangeRecord(topic->id, request.partition, current, next));
    changed[key] = next;
  }
  return result;
}

}  // namespace karst::controller
