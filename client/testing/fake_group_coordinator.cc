#include "client/testing/fake_group_coordinator.h"

#include "absl/strings/str_cat.h"
#include "kafka/protocol/errors.h"

namespace karst::client::testing {
namespace {

namespace kp = ::karst::kafka::protocol;

int16_t Code(kp::ErrorCode code) { return static_cast<int16_t>(code); }

// Decodes `request` as Message, records it in `log` and answers with `answer(message)`.
template <typename Message, typename Answer>
std::optional<std::string> Serve(const kp::Request& request, std::vector<Message>& log,
                                 std::mutex& mu, Answer answer) {
  Message message;
  if (!kp::DecodeBody(request, &message).ok()) return std::nullopt;
  auto response = [&] {
    std::unique_lock<std::mutex> lock(mu);
    log.push_back(message);
    return answer(message);
  }();
  return kp::EncodeResponse(*request.api, request.header.api_version, request.header.correlation_id,
                            response);
}

}  // namespace

void FakeGroupCoordinator::SetCoordinator(int32_t node_id, int port) {
  std::unique_lock<std::mutex> lock(mu_);
  coordinator_node_ = node_id;
  coordinator_port_ = port;
}

void FakeGroupCoordinator::AddOtherMember(const std::string& member_id,
                                          const kp::Subscription& subscription) {
  std::unique_lock<std::mutex> lock(mu_);
  others_.push_back({member_id, subscription});
}

void FakeGroupCoordinator::SetFollower(std::optional<kp::Assignment> assignment) {
  std::unique_lock<std::mutex> lock(mu_);
  follower_assignment_ = std::move(assignment);
}

void FakeGroupCoordinator::SetProtocols(std::set<std::string> names) {
  std::unique_lock<std::mutex> lock(mu_);
  protocols_ = std::move(names);
}

void FakeGroupCoordinator::InjectError(int16_t api_key, int16_t error_code, int count) {
  std::unique_lock<std::mutex> lock(mu_);
  errors_[api_key] = {error_code, count};
}

void FakeGroupCoordinator::SetCommitted(const TopicPartition& tp, int64_t offset) {
  std::unique_lock<std::mutex> lock(mu_);
  committed_[tp] = offset;
}

std::optional<int64_t> FakeGroupCoordinator::Committed(const TopicPartition& tp) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = committed_.find(tp);
  if (it == committed_.end()) return std::nullopt;
  return it->second;
}

int32_t FakeGroupCoordinator::generation_id() const {
  std::unique_lock<std::mutex> lock(mu_);
  return generation_id_;
}

std::string FakeGroupCoordinator::member_id() const {
  std::unique_lock<std::mutex> lock(mu_);
  return member_id_;
}

std::vector<kp::FindCoordinatorRequest> FakeGroupCoordinator::FindCoordinatorRequests() const {
  std::unique_lock<std::mutex> lock(mu_);
  return find_coordinator_;
}

std::vector<kp::JoinGroupRequest> FakeGroupCoordinator::JoinGroupRequests() const {
  std::unique_lock<std::mutex> lock(mu_);
  return join_group_;
}

std::vector<kp::SyncGroupRequest> FakeGroupCoordinator::SyncGroupRequests() const {
  std::unique_lock<std::mutex> lock(mu_);
  return sync_group_;
}

std::vector<kp::HeartbeatRequest> FakeGroupCoordinator::HeartbeatRequests() const {
  std::unique_lock<std::mutex> lock(mu_);
  return heartbeat_;
}

std::vector<kp::LeaveGroupRequest> FakeGroupCoordinator::LeaveGroupRequests() const {
  std::unique_lock<std::mutex> lock(mu_);
  return leave_group_;
}

std::vector<kp::OffsetCommitRequest> FakeGroupCoordinator::OffsetCommitRequests() const {
  std::unique_lock<std::mutex> lock(mu_);
  return offset_commit_;
}

std::map<std::string, kp::Assignment> FakeGroupCoordinator::LeaderAssignments() const {
  std::unique_lock<std::mutex> lock(mu_);
  return leader_assignments_;
}

int16_t FakeGroupCoordinator::TakeError(int16_t api_key) {
  auto it = errors_.find(api_key);
  if (it == errors_.end() || it->second.second <= 0) return 0;
  --it->second.second;
  return it->second.first;
}

int16_t FakeGroupCoordinator::CheckMember(int32_t generation_id,
                                          const std::string& member_id) const {
  if (member_id != member_id_) return Code(kp::ErrorCode::kUnknownMemberId);
  if (generation_id != generation_id_) return Code(kp::ErrorCode::kIllegalGeneration);
  return 0;
}

std::optional<std::string> FakeGroupCoordinator::Handle(int32_t node_id,
                                                        const kp::Request& request) {
  const int16_t key = request.header.api_key;
  bool coordinator = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    coordinator = node_id == coordinator_node_;
  }
  const int16_t not_coordinator = coordinator ? 0 : Code(kp::ErrorCode::kNotCoordinator);
  switch (key) {
    case kp::FindCoordinatorRequest::kApiKey:
      return Serve(request, find_coordinator_, mu_, [&](const kp::FindCoordinatorRequest&) {
        kp::FindCoordinatorResponse r;
        r.error_code = TakeError(key);
        r.node_id = r.error_code == 0 ? coordinator_node_ : -1;
        r.host = r.error_code == 0 ? "127.0.0.1" : "";
        r.port = r.error_code == 0 ? coordinator_port_ : -1;
        return r;
      });
    case kp::JoinGroupRequest::kApiKey:
      return Serve(request, join_group_, mu_, [&](const kp::JoinGroupRequest& m) {
        if (not_coordinator != 0) {
          kp::JoinGroupResponse r;
          r.error_code = not_coordinator;
          return r;
        }
        return Join(m, request.header.api_version);
      });
    case kp::SyncGroupRequest::kApiKey:
      return Serve(request, sync_group_, mu_, [&](const kp::SyncGroupRequest& m) {
        if (not_coordinator != 0) {
          kp::SyncGroupResponse r;
          r.error_code = not_coordinator;
          return r;
        }
        return Sync(m);
      });
    case kp::HeartbeatRequest::kApiKey:
      return Serve(request, heartbeat_, mu_, [&](const kp::HeartbeatRequest& m) {
        kp::HeartbeatResponse r;
        r.error_code = not_coordinator != 0 ? not_coordinator : TakeError(key);
        if (r.error_code == 0) r.error_code = CheckMember(m.generation_id, m.member_id);
        return r;
      });
    case kp::LeaveGroupRequest::kApiKey:
      return Serve(request, leave_group_, mu_, [&](const kp::LeaveGroupRequest& m) {
        kp::LeaveGroupResponse r;
        r.error_code = not_coordinator != 0 ? not_coordinator : TakeError(key);
        const std::string leaving = m.members.empty() ? m.member_id : m.members[0].member_id;
        if (r.error_code == 0 && leaving == member_id_) member_id_.clear();
        for (const auto& member : m.members)
          r.members.push_back({member.member_id, member.group_instance_id, r.error_code, {}});
        return r;
      });
    case kp::OffsetCommitRequest::kApiKey:
      return Serve(request, offset_commit_, mu_, [&](const kp::OffsetCommitRequest& m) {
        kp::OffsetCommitResponse r = Commit(m);
        if (not_coordinator != 0) {
          for (auto& t : r.topics) {
            for (auto& p : t.partitions) p.error_code = not_coordinator;
          }
        }
        return r;
      });
    case kp::OffsetFetchRequest::kApiKey: {
      std::vector<kp::OffsetFetchRequest> unrecorded;
      return Serve(request, unrecorded, mu_, [&](const kp::OffsetFetchRequest& m) {
        kp::OffsetFetchResponse r = Fetch(m);
        if (not_coordinator != 0) r.error_code = not_coordinator;
        return r;
      });
    }
    default:
      return std::nullopt;
  }
}

kp::JoinGroupResponse FakeGroupCoordinator::Join(const kp::JoinGroupRequest& m, int16_t version) {
  kp::JoinGroupResponse r;
  r.error_code = TakeError(kp::JoinGroupRequest::kApiKey);
  if (r.error_code != 0) return r;
  if (m.member_id.empty()) {
    r.member_id = absl::StrCat("member-", next_member_++);
    // KIP-394: a dynamic member learns its id first and joins again with it.
    if (version >= 4 && !m.group_instance_id.has_value()) {
      r.error_code = Code(kp::ErrorCode::kMemberIdRequired);
      return r;
    }
  } else {
    r.member_id = m.member_id;
  }
  const kp::JoinGroupRequest::JoinGroupRequestProtocol* chosen = nullptr;
  for (const auto& p : m.protocols) {
    if (protocols_.empty() || protocols_.contains(p.name)) {
      chosen = &p;
      break;
    }
  }
  if (chosen == nullptr) {
    r.error_code = Code(kp::ErrorCode::kInconsistentGroupProtocol);
    return r;
  }
  member_id_ = r.member_id;
  r.generation_id = ++generation_id_;
  r.protocol_type = m.protocol_type;
  r.protocol_name = chosen->name;
  if (follower_assignment_.has_value()) {
    r.leader = "scripted-leader";
    return r;
  }
  r.leader = r.member_id;
  r.members.push_back({r.member_id, m.group_instance_id, chosen->metadata, {}});
  for (const Other& other : others_) {
    r.members.push_back({other.member_id,
                         other.subscription.group_instance_id,
                         kp::EncodeSubscription(other.subscription),
                         {}});
  }
  return r;
}

kp::SyncGroupResponse FakeGroupCoordinator::Sync(const kp::SyncGroupRequest& m) {
  kp::SyncGroupResponse r;
  r.error_code = TakeError(kp::SyncGroupRequest::kApiKey);
  if (r.error_code == 0) r.error_code = CheckMember(m.generation_id, m.member_id);
  if (r.error_code != 0) return r;
  r.protocol_type = m.protocol_type;
  r.protocol_name = m.protocol_name;
  if (follower_assignment_.has_value()) {
    r.assignment = kp::EncodeAssignment(*follower_assignment_);
    return r;
  }
  leader_assignments_.clear();
  for (const auto& a : m.assignments) {
    absl::StatusOr<kp::Assignment> decoded = kp::DecodeAssignment(a.assignment);
    leader_assignments_[a.member_id] = decoded.ok() ? *decoded : kp::Assignment{};
    if (a.member_id == m.member_id) r.assignment = a.assignment;
  }
  return r;
}

kp::OffsetCommitResponse FakeGroupCoordinator::Commit(const kp::OffsetCommitRequest& m) {
  int16_t error = TakeError(kp::OffsetCommitRequest::kApiKey);
  if (error == 0 && m.generation_id_or_member_epoch >= 0) {
    error = CheckMember(m.generation_id_or_member_epoch, m.member_id);
  }
  kp::OffsetCommitResponse r;
  for (const auto& t : m.topics) {
    auto& topic = r.topics.emplace_back();
    topic.name = t.name;
    for (const auto& p : t.partitions) {
      topic.partitions.push_back({p.partition_index, error, {}});
      if (error == 0) committed_[TopicPartition{t.name, p.partition_index}] = p.committed_offset;
    }
  }
  return r;
}

kp::OffsetFetchResponse FakeGroupCoordinator::Fetch(const kp::OffsetFetchRequest& m) {
  kp::OffsetFetchResponse r;
  const int16_t error = TakeError(kp::OffsetFetchRequest::kApiKey);
  r.error_code = error;
  for (const auto& t :
       m.topics.value_or(std::vector<kp::OffsetFetchRequest::OffsetFetchRequestTopic>{})) {
    auto& topic = r.topics.emplace_back();
    topic.name = t.name;
    for (int32_t partition : t.partition_indexes) {
      auto& p = topic.partitions.emplace_back();
      p.partition_index = partition;
      p.error_code = error;
      auto it = committed_.find(TopicPartition{t.name, partition});
      p.committed_offset = error == 0 && it != committed_.end() ? it->second : -1;
      p.metadata = "";
    }
  }
  return r;
}

}  // namespace karst::client::testing
