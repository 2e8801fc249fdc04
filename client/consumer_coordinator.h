// ConsumerCoordinator: a consumer's membership in its group, as Java's ConsumerCoordinator
// and AbstractCoordinator: it finds the group coordinator (FindCoordinator, retried after
// retry.backoff.ms), joins the group (JoinGroup, again with the given member id after
// KIP-394's MEMBER_ID_REQUIRED), runs the chosen assignor when elected leader, syncs
// (SyncGroup), heartbeats every heartbeat.interval.ms on its own thread, leaves the group
// (LeaveGroup, never for static members: KIP-345) and commits and fetches offsets. The
// Consumer drives it and runs the rebalance callbacks around Join (consumer_group.cc).
//
// The heartbeat thread turns REBALANCE_IN_PROGRESS into a rejoin request, and
// ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and FENCED_INSTANCE_ID into a reset generation (the
// partitions are lost); NOT_COORDINATOR or a lost link make the coordinator unknown. When
// NotePoll() was not called for max.poll.interval.ms it leaves the group (dynamic members)
// and resets the generation, as Java's poll timeout does.
//
// Thread-safety: every public method is called from the consumer's thread. The heartbeat
// thread is internal (started by Create, joined by the destructor); the two share the member
// state under a lock, never do I/O holding it, and each has its own coordinator connection.
#ifndef KARST_CLIENT_CONSUMER_COORDINATOR_H_
#define KARST_CLIENT_CONSUMER_COORDINATOR_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/assignor.h"
#include "client/broker_pool.h"
#include "client/client_properties.h"
#include "client/connection.h"
#include "client/group_member_state.h"
#include "client/group_protocol.h"
#include "client/topic_partition.h"
#include "common/clock.h"

namespace karst::client {

// A committed offset: the next offset to consume, with optional metadata (Kafka's
// OffsetAndMetadata).
struct OffsetAndMetadata {
  int64_t offset = 0;
  std::string metadata;
  bool operator==(const OffsetAndMetadata&) const = default;
};
using OffsetMap = std::map<TopicPartition, OffsetAndMetadata>;
// Receives the offsets of an asynchronous commit and its outcome (errors as CommitSync's).
using OffsetCommitCallback = std::function<void(const OffsetMap&, const absl::Status&)>;

// Whose offsets a commit carries: a subscribed member's (with its generation, member id and
// group.instance.id) or a manually assigned consumer's (generation -1, no member id).
enum class CommitMembership { kManual, kGroupManaged };

class ConsumerCoordinator {
 public:
  // REQUIRES: options.group_id is not empty. `pool` and `clock` must outlive the
  // coordinator; `pool` is used from the consumer's thread only. Errors: kInvalidArgument for
  // an unknown partition.assignment.strategy or assignors without a common protocol.
  static absl::StatusOr<std::unique_ptr<ConsumerCoordinator>> Create(const ConsumerOptions& options,
                                                                     BrokerPool& pool,
                                                                     Clock& clock);
  // Stops the heartbeat thread; sends nothing (Leave does).
  ~ConsumerCoordinator();
  ConsumerCoordinator(const ConsumerCoordinator&) = delete;
  ConsumerCoordinator& operator=(const ConsumerCoordinator&) = delete;

  // The rebalance protocol every configured assignor supports (CommonRebalanceProtocol).
  RebalanceProtocol protocol() const { return protocol_; }
  // The current generation id (-1 if none) and member id ("" if none).
  std::pair<int32_t, std::string> Generation() const;
  // Whether Join must run: never joined, a rejoin was requested, or the generation was reset.
  bool RejoinNeeded() const;
  // Whether the generation was reset (or never existed): owned partitions are lost.
  bool GenerationLost() const;
  void RequestRejoin();
  // The consumer polled: restarts the max.poll.interval.ms timer.
  void NotePoll();
  // A fatal error the heartbeat thread met (FENCED_INSTANCE_ID), returned once.
  absl::Status TakeHeartbeatError();

  // Finds the coordinator unless known (the heartbeat thread forgets it on NOT_COORDINATOR or
  // a lost link), retrying until `deadline`. Errors: kUnavailable, or the Kafka error.
  absl::Status EnsureCoordinator(absl::Duration deadline);

  // Joins the group subscribing to `topics` and owning `owned`, retrying retriable errors and
  // rebalances until synced or `deadline`; returns this member's assignment and starts
  // heartbeats. One JoinGroup may outlast `deadline`: the coordinator holds it for up to the
  // rebalance timeout (max.poll.interval.ms). Errors: kDeadlineExceeded (call again); a fatal
  // Kafka error (FENCED_INSTANCE_ID, GROUP_AUTHORIZATION_FAILED, INCONSISTENT_GROUP_PROTOCOL,
  // ...); the leader's assignor error.
  absl::StatusOr<Assignment> Join(const std::set<std::string>& topics,
                                  const std::vector<TopicPartition>& owned,
                                  absl::Duration deadline);
  // Leader only: the topics of the last assignment it computed (empty when not the leader).
  std::vector<std::string> LeaderTopics() const;
  // Leader only: whether `pool`'s cached partition counts of those topics differ from the
  // ones that assignment used (Java's metadata snapshot check); the leader then rejoins.
  bool LeaderMetadataChanged() const;

  // Sends LeaveGroup when a dynamic member holds a member id and the coordinator is known
  // (best effort: errors are ignored, as Java's), then resets the generation.
  void Leave(absl::string_view reason);

  // Commits `offsets` (consumer_coordinator_offsets.cc), retrying retriable errors (a moved
  // coordinator included) until `deadline`. Errors: kFailedPrecondition "commit failed ..."
  // when the group rebalanced (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
  // or not in a stable generation; the generation errors also reset it); kDeadlineExceeded;
  // other Kafka errors as KafkaErrorStatus.
  absl::Status CommitSync(const OffsetMap& offsets, CommitMembership membership,
                          absl::Duration deadline);
  // Sends the commit and returns; `callback` runs from a later CompleteAsyncCommits (Poll,
  // CommitSync, Close), in commit order. Not retried.
  void CommitAsync(const OffsetMap& offsets, CommitMembership membership,
                   OffsetCommitCallback callback);
  enum class Wait { kNo, kYes };
  // Runs the callbacks of async commits that completed (with kYes: of all, waiting).
  void CompleteAsyncCommits(Wait wait);
  // The committed offsets of `partitions` (nullopt: none), retrying until `deadline`.
  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> FetchCommitted(
      const std::vector<TopicPartition>& partitions, absl::Duration deadline);

 private:
  struct Coordinator {
    int32_t node_id = -1;
    std::string host;
    int port = 0;
  };
  struct PendingCommit {
    OffsetMap offsets;
    OffsetCommitCallback callback;
    absl::Status status;  // Set once completed.
  };

  ConsumerCoordinator(const ConsumerOptions& options, BrokerPool& pool, Clock& clock,
                      std::vector<std::unique_ptr<Assignor>> assignors, RebalanceProtocol protocol);

  // Consumer thread.
  absl::Status FindCoordinator();
  // Drops the coordinator connection (failing async commits on it) and forgets the node.
  void CoordinatorDead();
  // One JoinGroup and SyncGroup: the assignment; nullopt to join again at once; kUnavailable
  // to join again after retry.backoff.ms; other errors are fatal.
  absl::StatusOr<std::optional<Assignment>> JoinOnce(const std::set<std::string>& topics,
                                                     const std::vector<TopicPartition>& owned);
  absl::StatusOr<std::map<std::string, std::string>> LeaderAssign(
      const Assignor& assignor, const std::vector<JoinedMember>& members);
  // Applies a group error to the state; kUnavailable when worth retrying, else the error.
  absl::Status HandleGroupError(absl::string_view api, int16_t error_code);
  // Sleeps retry.backoff.ms, never past `deadline`.
  void Backoff(absl::Duration deadline);
  absl::Status CommitOnce(const OffsetMap& offsets, CommitMembership membership);
  absl::StatusOr<std::pair<int32_t, std::string>> CommitGeneration(CommitMembership membership);
  // The outcome of a commit whose first partition error is `error_code`.
  absl::Status CommitResult(int16_t error_code);
  absl::Status FetchOnce(const std::vector<TopicPartition>& partitions,
                         std::map<TopicPartition, std::optional<OffsetAndMetadata>>* out);

  // Calls the coordinator; a transport failure makes it unknown and returns kUnavailable.
  template <typename Request, typename Response>
  absl::Status CallCoordinator(const Request& request, int16_t max_version, Response* response) {
    if (connection_ == nullptr) return absl::UnavailableError("no group coordinator");
    absl::StatusOr<int16_t> version = connection_->Version<Request>(max_version);
    if (!version.ok()) return version.status();
    if (absl::Status s = connection_->Call(request, *version, response); !s.ok()) {
      CoordinatorDead();
      return absl::UnavailableError(absl::StrCat("group ", options_.group_id, ": ", s.message()));
    }
    return absl::OkStatus();
  }

  // Heartbeat thread (consumer_coordinator_heartbeat.cc).
  void HeartbeatLoop();
  // Opens the heartbeat connection to the coordinator found at `epoch` unless open; false
  // when it cannot connect.
  bool OpenHeartbeatConnection(const Coordinator& coordinator, int64_t epoch);
  // One Heartbeat: the response's error code, or INT16_MIN for a transport failure.
  int16_t SendHeartbeat(const Coordinator& coordinator, int64_t epoch, int32_t generation_id,
                        const std::string& member_id);
  // LeaveGroup on the open heartbeat connection (poll timeout), best effort.
  void SendLeaveGroup(const std::string& member_id);

  const ConsumerOptions options_;
  BrokerPool& pool_;
  Clock& clock_;
  const std::vector<std::unique_ptr<Assignor>> assignors_;
  const RebalanceProtocol protocol_;

  // Consumer thread only.
  std::unique_ptr<Connection> connection_;  // To the coordinator; JoinGroup may be long.
  int64_t connection_epoch_ = -1;           // The coordinator_epoch_ it was opened for.
  std::deque<PendingCommit> in_flight_;     // Async commits awaiting responses, in order.
  std::deque<PendingCommit> completed_;     // Async commits whose callbacks are due.
  PartitionsPerTopic leader_partitions_;    // What the last assignment as leader used.

  // Heartbeat thread only.
  std::unique_ptr<Connection> heartbeat_connection_;
  int64_t heartbeat_epoch_ = -1;

  // Shared. std::mutex, as FakeBroker: Debian's Abseil is not built for ThreadSanitizer.
  mutable std::mutex mu_;
  std::condition_variable changed_;  // Stop, a new generation or coordinator, a poll.
  GroupMemberState state_;
  std::optional<Coordinator> coordinator_;  // Unset: unknown, find it again.
  int64_t coordinator_epoch_ = 0;           // Bumped whenever coordinator_ is found.
  absl::Duration last_poll_;
  absl::Duration next_heartbeat_;
  absl::Status heartbeat_error_;
  bool stopping_ = false;
  std::thread heartbeat_thread_;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_CONSUMER_COORDINATOR_H_
