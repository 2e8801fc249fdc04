// GroupMemberState: a consumer group member's generation and rebalance phase, as Java's
// AbstractCoordinator keeps them, and what a group response's error code means for them.
// A pure state machine; ConsumerCoordinator holds it under its lock, shared by the Poll
// thread (join, commits) and the heartbeat thread. Thread-compatible.
//
//   kUnjoined --StartJoin--> kPreparingRebalance --Joined--> kCompletingRebalance
//       ^                                                          | Synced
//       |                                                          v
//       +---- Reset (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, ---- kStable
//             FENCED_INSTANCE_ID, LeaveGroup, poll timeout;        | RequestRejoin keeps the
//             from any phase: generation -1, member id "")        | generation: rejoin_needed
#ifndef KARST_CLIENT_GROUP_MEMBER_STATE_H_
#define KARST_CLIENT_GROUP_MEMBER_STATE_H_

#include <cstdint>
#include <string>
#include <utility>

namespace karst::client {

// What the member does after a group response's error code (Java's response handlers).
enum class GroupErrorAction {
  kNone,
  // COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR: find the coordinator again, then retry.
  kFindCoordinator,
  // COORDINATOR_LOAD_IN_PROGRESS and other retriable errors: retry after retry.backoff.ms.
  kRetry,
  // REBALANCE_IN_PROGRESS: rejoin, keeping member id and generation (partitions kept).
  kRejoin,
  // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID: the member was expelled; its partitions are lost.
  kResetAndRejoin,
  // FENCED_INSTANCE_ID (another process has this group.instance.id), authorization and
  // protocol errors: reported to the caller.
  kFatal,
};

GroupErrorAction ClassifyGroupError(int16_t error_code);

class GroupMemberState {
 public:
  enum class Phase { kUnjoined, kPreparingRebalance, kCompletingRebalance, kStable };
  // Kafka's Generation.NO_GENERATION.
  static constexpr int32_t kNoGeneration = -1;

  Phase phase() const { return phase_; }
  int32_t generation_id() const { return generation_id_; }
  const std::string& member_id() const { return member_id_; }
  const std::string& protocol_name() const { return protocol_name_; }
  // True unless stable (a join that failed midway must run again), or when a rejoin was
  // requested since the last completed join.
  bool rejoin_needed() const { return rejoin_needed_ || phase_ != Phase::kStable; }
  // Whether the last generation was lost (reset) rather than left behind normally: the owned
  // partitions are then reported lost, not revoked (Java's onJoinPrepare).
  bool generation_lost() const { return generation_id_ == kNoGeneration || member_id_.empty(); }

  // JoinGroup sent. The generation is kept: sticky assignors send it with owned partitions.
  void StartJoin();
  // KIP-394 MEMBER_ID_REQUIRED: rejoin at once with the member id the coordinator gave.
  void SetMemberId(std::string member_id) { member_id_ = std::move(member_id); }
  // JoinGroup answered: the new generation, our member id and the chosen protocol.
  void Joined(int32_t generation_id, std::string member_id, std::string protocol_name);
  // SyncGroup answered with our assignment.
  void Synced();
  void RequestRejoin() { rejoin_needed_ = true; }
  // Back to kUnjoined with no generation and no member id; a rejoin is needed.
  void Reset();

  // Applies `error_code` from a group response (not MEMBER_ID_REQUIRED, which JoinGroup
  // handles) to the state and returns what the caller should do: kRejoin requests a rejoin;
  // kResetAndRejoin, and kFatal for FENCED_INSTANCE_ID, Reset().
  GroupErrorAction OnError(int16_t error_code);

 private:
  Phase phase_ = Phase::kUnjoined;
  int32_t generation_id_ = kNoGeneration;
  std::string member_id_;
  std::string protocol_name_;
  bool rejoin_needed_ = true;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_GROUP_MEMBER_STATE_H_
