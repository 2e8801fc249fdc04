// ConsumerCoordinator's heartbeat thread (Java's AbstractCoordinator.HeartbeatThread).
#include <algorithm>
#include <utility>

#include "client/consumer_coordinator.h"
#include "client/kafka_error.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/heartbeat.h"
#include "kafka/protocol/messages/leave_group.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

// A transport failure, as opposed to any Kafka error code.
constexpr int16_t kTransportError = INT16_MIN;

}  // namespace

void ConsumerCoordinator::HeartbeatLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const absl::Duration now = clock_.Monotonic();
    const bool joined = state_.phase() != GroupMemberState::Phase::kUnjoined;
    if (joined && now - last_poll_ > options_.max_poll_interval) {
      // Java's poll timeout: the application stopped polling, so its partitions are better
      // off with another member. Leave (dynamic members) and forget the generation; the next
      // Poll reports the partitions lost and rejoins.
      const std::string member_id = state_.member_id();
      const std::optional<Coordinator> coordinator = coordinator_;
      const int64_t epoch = coordinator_epoch_;
      state_.Reset();
      if (coordinator.has_value() && !options_.group_instance_id.has_value() &&
          !member_id.empty()) {
        lock.unlock();
        if (OpenHeartbeatConnection(*coordinator, epoch)) SendLeaveGroup(member_id);
        lock.lock();
      }
      continue;
    }
    if (state_.phase() == GroupMemberState::Phase::kStable && coordinator_.has_value() &&
        now >= next_heartbeat_) {
      const Coordinator coordinator = *coordinator_;
      const int64_t epoch = coordinator_epoch_;
      const int32_t generation_id = state_.generation_id();
      const std::string member_id = state_.member_id();
      next_heartbeat_ = now + options_.heartbeat_interval;
      lock.unlock();
      const int16_t error = SendHeartbeat(coordinator, epoch, generation_id, member_id);
      lock.lock();
      // A rejoin may have replaced the generation meanwhile; its answer is about the old one.
      if (error == 0 || state_.generation_id() != generation_id) continue;
      if (error == kTransportError) {
        if (coordinator_epoch_ == epoch) coordinator_.reset();
        continue;
      }
      if (state_.OnError(error) == GroupErrorAction::kFindCoordinator &&
          coordinator_epoch_ == epoch) {
        coordinator_.reset();
      }
      if (error == static_cast<int16_t>(kp::ErrorCode::kFencedInstanceId)) {
        heartbeat_error_ = KafkaErrorStatus(error);
      }
      continue;
    }
    absl::Duration wake = now + options_.heartbeat_interval;
    if (joined) wake = std::min(wake, last_poll_ + options_.max_poll_interval);
    if (state_.phase() == GroupMemberState::Phase::kStable) wake = std::min(wake, next_heartbeat_);
    changed_.wait_for(lock, absl::ToChronoNanoseconds(std::max(wake - now, absl::Milliseconds(1))));
  }
}

bool ConsumerCoordinator::OpenHeartbeatConnection(const Coordinator& coordinator, int64_t epoch) {
  if (heartbeat_connection_ != nullptr && heartbeat_epoch_ == epoch) return true;
  ConnectionOptions connection_options{.client_id = options_.client_id,
                                       .connect_timeout = options_.request_timeout,
                                       .request_timeout = options_.request_timeout};
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(coordinator.host, coordinator.port, connection_options, clock_);
  if (!connection.ok()) return false;
  heartbeat_connection_ = *std::move(connection);
  heartbeat_epoch_ = epoch;
  return true;
}

int16_t ConsumerCoordinator::SendHeartbeat(const Coordinator& coordinator, int64_t epoch,
                                           int32_t generation_id, const std::string& member_id) {
  if (!OpenHeartbeatConnection(coordinator, epoch)) return kTransportError;
  kp::HeartbeatRequest request;
  request.group_id = options_.group_id;
  request.generation_id = generation_id;
  request.member_id = member_id;
  request.group_instance_id = options_.group_instance_id;
  kp::HeartbeatResponse response;
  absl::StatusOr<int16_t> version = heartbeat_connection_->Version<kp::HeartbeatRequest>();
  if (!version.ok() || !heartbeat_connection_->Call(request, *version, &response).ok()) {
    heartbeat_connection_.reset();
    return kTransportError;
  }
  return response.error_code;
}

void ConsumerCoordinator::SendLeaveGroup(const std::string& member_id) {
  Connection& connection = *heartbeat_connection_;
  kp::LeaveGroupRequest request;
  request.group_id = options_.group_id;
  request.member_id = member_id;
  request.members.push_back(
      {member_id, std::nullopt, std::string("consumer poll timeout has expired"), {}});
  kp::LeaveGroupResponse response;
  absl::StatusOr<int16_t> version = connection.Version<kp::LeaveGroupRequest>();
  // Best effort, as Java's: the session timeout covers a lost LeaveGroup.
  if (!version.ok() || !connection.Call(request, *version, &response).ok()) {
    heartbeat_connection_.reset();
  }
}

}  // namespace karst::client
