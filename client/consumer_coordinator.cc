#include "client/consumer_coordinator.h"

#include <algorithm>
#include <utility>

#include "client/consumer_protocol.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/find_coordinator.h"
#include "kafka/protocol/messages/join_group.h"
#include "kafka/protocol/messages/leave_group.h"
#include "kafka/protocol/messages/sync_group.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

// FindCoordinator v4+ batches keys; v0-3 name one. JoinGroup v8+ adds a reason and v9 lets
// the coordinator skip the leader's assignment (KIP-814), neither of which we use.
constexpr int16_t kFindCoordinatorMax = 3;
constexpr int16_t kJoinGroupMax = 7;
constexpr int16_t kSyncGroupMax = 5;
constexpr int8_t kGroupKeyType = 0;

}  // namespace

absl::StatusOr<std::unique_ptr<ConsumerCoordinator>> ConsumerCoordinator::Create(
    const ConsumerOptions& options, BrokerPool& pool, Clock& clock) {
  if (options.group_id.empty()) return absl::InvalidArgumentError("group.id is empty");
  std::vector<std::unique_ptr<Assignor>> assignors;
  for (const std::string& name : options.partition_assignment_strategy) {
    ASSIGN_OR_RETURN(std::unique_ptr<Assignor> assignor, MakeAssignor(name));
    assignors.push_back(std::move(assignor));
  }
  ASSIGN_OR_RETURN(const RebalanceProtocol protocol, CommonRebalanceProtocol(assignors));
  std::unique_ptr<ConsumerCoordinator> coordinator(
      new ConsumerCoordinator(options, pool, clock, std::move(assignors), protocol));
  coordinator->heartbeat_thread_ = std::thread([c = coordinator.get()] { c->HeartbeatLoop(); });
  return coordinator;
}

ConsumerCoordinator::ConsumerCoordinator(const ConsumerOptions& options, BrokerPool& pool,
                                         Clock& clock,
                                         std::vector<std::unique_ptr<Assignor>> assignors,
                                         RebalanceProtocol protocol)
    : options_(options),
      pool_(pool),
      clock_(clock),
      assignors_(std::move(assignors)),
      protocol_(protocol),
      last_poll_(clock.Monotonic()) {}

ConsumerCoordinator::~ConsumerCoordinator() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    changed_.notify_all();
  }
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  // Async commits never answered: their callbacks still run exactly once.
  for (PendingCommit& p : in_flight_) {
    p.status = absl::CancelledError("consumer closed before the commit completed");
    completed_.push_back(std::move(p));
  }
  in_flight_.clear();
  CompleteAsyncCommits(Wait::kNo);
}

std::pair<int32_t, std::string> ConsumerCoordinator::Generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {state_.generation_id(), state_.member_id()};
}

bool ConsumerCoordinator::RejoinNeeded() const {
  std::unique_lock<std::mutex> lock(mu_);
  return state_.rejoin_needed();
}

bool ConsumerCoordinator::GenerationLost() const {
  std::unique_lock<std::mutex> lock(mu_);
  return state_.generation_lost();
}

void ConsumerCoordinator::RequestRejoin() {
  std::unique_lock<std::mutex> lock(mu_);
  state_.RequestRejoin();
}

void ConsumerCoordinator::NotePoll() {
  std::unique_lock<std::mutex> lock(mu_);
  last_poll_ = clock_.Monotonic();
}

absl::Status ConsumerCoordinator::TakeHeartbeatError() {
  std::unique_lock<std::mutex> lock(mu_);
  return std::exchange(heartbeat_error_, absl::OkStatus());
}

void ConsumerCoordinator::Backoff(absl::Duration deadline) {
  const absl::Duration remaining = deadline - clock_.Monotonic();
  if (remaining > absl::ZeroDuration())
    clock_.SleepFor(std::min(options_.retry_backoff, remaining));
}

void ConsumerCoordinator::CoordinatorDead() {
  connection_.reset();
  for (PendingCommit& p : in_flight_) {
    p.status = absl::UnavailableError(
        absl::StrCat("group ", options_.group_id, ": coordinator lost before the commit answered"));
    completed_.push_back(std::move(p));
  }
  in_flight_.clear();
  std::unique_lock<std::mutex> lock(mu_);
  if (connection_epoch_ == coordinator_epoch_) coordinator_.reset();
}

absl::Status ConsumerCoordinator::EnsureCoordinator(absl::Duration deadline) {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (connection_ != nullptr && coordinator_.has_value() &&
          connection_epoch_ == coordinator_epoch_) {
        return absl::OkStatus();
      }
    }
    if (connection_ != nullptr) CoordinatorDead();  // The heartbeat thread lost it.
    const absl::Status s = FindCoordinator();
    if (s.ok()) return s;
    if (!absl::IsUnavailable(s) || clock_.Monotonic() >= deadline) {
      return Annotate(s, absl::StrCat("group ", options_.group_id, ": find coordinator"));
    }
    Backoff(deadline);
  }
}

absl::Status ConsumerCoordinator::FindCoordinator() {
  ASSIGN_OR_RETURN(Connection* const any, pool_.AnyConnection());
  kp::FindCoordinatorRequest request;
  request.key = options_.group_id;
  request.key_type = kGroupKeyType;
  kp::FindCoordinatorResponse response;
  ASSIGN_OR_RETURN(const int16_t version,
                   any->Version<kp::FindCoordinatorRequest>(kFindCoordinatorMax));
  if (absl::Status s = any->Call(request, version, &response); !s.ok()) {
    pool_.Forget(any);
    return absl::UnavailableError(s.message());
  }
  // COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS: kUnavailable.
  RETURN_IF_ERROR(KafkaErrorStatus(response.error_code, response.error_message));
  ConnectionOptions connection_options{
      .client_id = options_.client_id,
      .connect_timeout = options_.request_timeout,
      // As Java: JoinGroup may wait out the rebalance timeout on the coordinator.
      .request_timeout =
          std::max(options_.request_timeout, options_.max_poll_interval + absl::Seconds(5))};
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(response.host, response.port, connection_options, clock_);
  if (!connection.ok()) return absl::UnavailableError(connection.status().message());
  connection_ = *std::move(connection);
  std::unique_lock<std::mutex> lock(mu_);
  coordinator_ = Coordinator{response.node_id, response.host, response.port};
  connection_epoch_ = ++coordinator_epoch_;
  changed_.notify_all();
  return absl::OkStatus();
}

absl::Status ConsumerCoordinator::HandleGroupError(absl::string_view api, int16_t error_code) {
  GroupErrorAction action;
  {
    std::unique_lock<std::mutex> lock(mu_);
    action = state_.OnError(error_code);
  }
  const absl::Status error =
      Annotate(KafkaErrorStatus(error_code), absl::StrCat("group ", options_.group_id, ": ", api));
  switch (action) {
    case GroupErrorAction::kNone:
      return absl::OkStatus();
    case GroupErrorAction::kFindCoordinator:
      CoordinatorDead();
      return absl::UnavailableError(error.message());
    case GroupErrorAction::kRetry:
    case GroupErrorAction::kRejoin:
    case GroupErrorAction::kResetAndRejoin:
      return absl::UnavailableError(error.message());
    case GroupErrorAction::kFatal:
      break;
  }
  return error;
}

absl::StatusOr<Assignment> ConsumerCoordinator::Join(const std::set<std::string>& topics,
                                                     const std::vector<TopicPartition>& owned,
                                                     absl::Duration deadline) {
  CompleteAsyncCommits(Wait::kYes);
  absl::Status last = absl::OkStatus();
  do {
    if (!last.ok()) Backoff(deadline);
    RETURN_IF_ERROR(EnsureCoordinator(deadline));
    absl::StatusOr<std::optional<Assignment>> joined = JoinOnce(topics, owned);
    if (joined.ok() && joined->has_value()) return **std::move(joined);
    if (!joined.ok() && !absl::IsUnavailable(joined.status())) return joined.status();
    last = joined.status();
  } while (clock_.Monotonic() < deadline);
  return absl::DeadlineExceededError(
      absl::StrCat("group ", options_.group_id, ": not joined in time",
                   last.ok() ? "" : absl::StrCat(": ", last.message())));
}

absl::StatusOr<std::optional<Assignment>> ConsumerCoordinator::JoinOnce(
    const std::set<std::string>& topics, const std::vector<TopicPartition>& owned) {
  kp::JoinGroupRequest join;
  {
    std::unique_lock<std::mutex> lock(mu_);
    join.member_id = state_.member_id();
    // Sticky assignors learn the owned partitions' generation: the last one completed.
    for (const JoinProtocol& p :
         BuildJoinProtocols(assignors_, topics, owned, state_.generation_id())) {
      join.protocols.push_back({p.name, p.metadata, {}});
    }
    state_.StartJoin();
  }
  join.group_id = options_.group_id;
  join.session_timeout_ms =
      static_cast<int32_t>(absl::ToInt64Milliseconds(options_.session_timeout));
  join.rebalance_timeout_ms =
      static_cast<int32_t>(absl::ToInt64Milliseconds(options_.max_poll_interval));
  join.group_instance_id = options_.group_instance_id;
  join.protocol_type = std::string(kConsumerProtocolType);
  kp::JoinGroupResponse joined;
  RETURN_IF_ERROR(CallCoordinator(join, kJoinGroupMax, &joined));
  if (joined.error_code == static_cast<int16_t>(kp::ErrorCode::kMemberIdRequired)) {
    // KIP-394: the coordinator named our member id; join again with it at once.
    std::unique_lock<std::mutex> lock(mu_);
    state_.SetMemberId(joined.member_id);
    return std::nullopt;
  }
  if (joined.error_code != 0) return HandleGroupError("JoinGroup", joined.error_code);
  const std::string protocol_name = joined.protocol_name.value_or("");
  {
    std::unique_lock<std::mutex> lock(mu_);
    state_.Joined(joined.generation_id, joined.member_id, protocol_name);
  }
  auto assignor = std::find_if(assignors_.begin(), assignors_.end(),
                               [&](const auto& a) { return a->name() == protocol_name; });
  if (assignor == assignors_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("group ", options_.group_id,
                                                      ": coordinator chose protocol \"",
                                                      protocol_name, "\", which we did not offer"));
  }
  kp::SyncGroupRequest sync;
  sync.group_id = options_.group_id;
  sync.generation_id = joined.generation_id;
  sync.member_id = joined.member_id;
  sync.group_instance_id = options_.group_instance_id;
  sync.protocol_type = std::string(kConsumerProtocolType);
  sync.protocol_name = protocol_name;
  leader_partitions_.clear();
  if (joined.leader == joined.member_id) {
    std::vector<JoinedMember> members;
    for (const auto& m : joined.members) {
      members.push_back({m.member_id, m.group_instance_id, m.metadata});
    }
    ASSIGN_OR_RETURN(const auto assignments, LeaderAssign(**assignor, members));
    for (const auto& [member, bytes] : assignments) sync.assignments.push_back({member, bytes, {}});
  }
  kp::SyncGroupResponse synced;
  RETURN_IF_ERROR(CallCoordinator(sync, kSyncGroupMax, &synced));
  if (synced.error_code != 0) return HandleGroupError("SyncGroup", synced.error_code);
  Assignment assignment;
  // An empty assignment (a member the leader did not list) means no partitions.
  if (!synced.assignment.empty()) {
    ASSIGN_OR_RETURN(assignment, DecodeAssignment(synced.assignment));
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (state_.generation_id() != joined.generation_id) {
    // The heartbeat thread reset the generation meanwhile (poll timeout): join again.
    return absl::UnavailableError(
        absl::StrCat("group ", options_.group_id, ": generation reset during the join"));
  }
  state_.Synced();
  next_heartbeat_ = clock_.Monotonic() + options_.heartbeat_interval;
  changed_.notify_all();
  return assignment;
}

absl::StatusOr<std::map<std::string, std::string>> ConsumerCoordinator::LeaderAssign(
    const Assignor& assignor, const std::vector<JoinedMember>& members) {
  ASSIGN_OR_RETURN(const GroupSubscription subscriptions, DecodeMembers(members));
  const std::set<std::string> topics = SubscribedTopics(subscriptions);
  // Topics missing from metadata get no partitions; only a failed request is retried.
  if (absl::Status s = pool_.Refresh({topics.begin(), topics.end()});
      !s.ok() && absl::IsUnavailable(s) && KafkaErrorName(s).empty()) {
    return s;
  }
  PartitionsPerTopic partitions;
  for (const std::string& topic : topics) {
    if (const TopicLayout* layout = pool_.CachedLayout(topic); layout != nullptr) {
      partitions[topic] = static_cast<int32_t>(layout->leaders.size());
    }
  }
  for (const std::string& topic : topics) partitions.try_emplace(topic, 0);
  leader_partitions_ = partitions;
  absl::StatusOr<std::map<std::string, std::string>> assignments =
      PerformAssignment(assignor, protocol_, subscriptions, partitions);
  if (!assignments.ok()) {
    return Annotate(assignments.status(),
                    absl::StrCat("group ", options_.group_id, ": leader assignment"));
  }
  return assignments;
}

std::vector<std::string> ConsumerCoordinator::LeaderTopics() const {
  std::vector<std::string> topics;
  for (const auto& [topic, count] : leader_partitions_) topics.push_back(topic);
  return topics;
}

bool ConsumerCoordinator::LeaderMetadataChanged() const {
  for (const auto& [topic, count] : leader_partitions_) {
    const TopicLayout* layout = pool_.CachedLayout(topic);
    const int32_t now = layout == nullptr ? 0 : static_cast<int32_t>(layout->leaders.size());
    if (now != count) return true;
  }
  return false;
}

void ConsumerCoordinator::Leave(absl::string_view reason) {
  CompleteAsyncCommits(Wait::kYes);
  std::string member_id;
  bool joined = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    member_id = state_.member_id();
    joined = state_.phase() != GroupMemberState::Phase::kUnjoined;
  }
  // KIP-345: a static member's departure is left to session.timeout.ms, so that a restart
  // with the same group.instance.id keeps its partitions without a rebalance.
  if (!options_.group_instance_id.has_value() && !member_id.empty() && joined &&
      connection_ != nullptr) {
    kp::LeaveGroupRequest request;
    request.group_id = options_.group_id;
    request.member_id = member_id;
    request.members.push_back({member_id, std::nullopt, std::string(reason), {}});
    kp::LeaveGroupResponse response;
    // Best effort, as Java's maybeLeaveGroup: the session timeout covers a lost LeaveGroup.
    (void)CallCoordinator(request, kp::LeaveGroupRequest::kMaxVersion, &response);
  }
  std::unique_lock<std::mutex> lock(mu_);
  state_.Reset();
}

}  // namespace karst::client
