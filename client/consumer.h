// Consumer: Kafka's consumer, with manual assignment (Assign) or group membership
// (Subscribe, issue #9). Each assigned partition has a position, the offset of the next record
// Poll() returns; Poll() fetches from each partition's leader, decodes batches of any codec and
// returns records in offset order per partition. A partition without a position starts at its
// start (earliest, latest or an offset); OFFSET_OUT_OF_RANGE resets it by auto.offset.reset.
// Leader changes (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION,
// transport errors) refresh metadata and move the fetch to the new leader at the same
// position. Seek* move a position; Pause() stops fetching a partition (and returning its
// buffered records) until Resume(), keeping its position, as KafkaConsumer does.
//
// Groups (group.id): Subscribe() joins the group through a ConsumerCoordinator; Poll() runs
// the rebalances (eager or cooperative, with the ConsumerRebalanceListener's callbacks), and
// newly assigned partitions start at the group's committed offsets, else auto.offset.reset.
// Offsets are committed by Commit*, every auto.commit.interval.ms from Poll with
// enable.auto.commit, before an eager rebalance revokes partitions and on Close.
//
// Thread-safety: none; one thread drives a consumer (Poll, Commit*, callbacks). The group
// heartbeat thread is internal.
#ifndef KARST_CLIENT_CONSUMER_H_
#define KARST_CLIENT_CONSUMER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/broker_pool.h"
#include "client/client_properties.h"
#include "client/consumer_coordinator.h"
#include "client/consumer_rebalance_listener.h"
#include "client/topic_partition.h"
#include "common/clock.h"
#include "kafka/record/record.h"

namespace karst::client {

// Where an assigned partition starts: its log start, its end, an offset, or auto.offset.reset.
struct StartOffset {
  enum class Kind { kReset, kEarliest, kLatest, kOffset };
  Kind kind = Kind::kReset;
  int64_t offset = 0;  // For kOffset.
  static StartOffset Earliest() { return {Kind::kEarliest, 0}; }
  static StartOffset Latest() { return {Kind::kLatest, 0}; }
  static StartOffset At(int64_t offset) { return {Kind::kOffset, offset}; }
};

struct ConsumerRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;
  kafka::record::TimestampType timestamp_type = kafka::record::TimestampType::kCreateTime;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<kafka::record::RecordHeader> headers;
};

class Consumer {
 public:
  // Validates options; connects lazily. `clock` must outlive the consumer. Errors:
  // kInvalidArgument for no bootstrap.servers or a bad partition.assignment.strategy.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(ConsumerOptions options, Clock& clock);
  ~Consumer();  // Close().
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // The partition count of `topic`. Errors: kNotFound for an unknown topic, kUnavailable.
  absl::StatusOr<int32_t> PartitionCount(const std::string& topic);

  // Replaces the assignment. Positions are resolved lazily, by the next Poll. Errors:
  // kFailedPrecondition while subscribed (as Java's IllegalStateException).
  absl::Status Assign(const std::vector<std::pair<TopicPartition, StartOffset>>& partitions);

  // Joins group.id subscribing to `topics` (an empty list unsubscribes), or to the topics
  // matching `pattern` as a whole (rechecked every metadata.max.age.ms); the assignment comes
  // with the next Polls. `listener` (may be null) must outlive the subscription. Errors:
  // kFailedPrecondition without group.id or with an Assign()ed assignment; kInvalidArgument
  // for an empty topic name.
  absl::Status Subscribe(const std::vector<std::string>& topics,
                         ConsumerRebalanceListener* listener = nullptr);
  // (A template only so that Subscribe({"t"}) is not ambiguous: std::regex converts from
  // a string.)
  template <typename Regex, typename = std::enable_if_t<std::is_same_v<Regex, std::regex>>>
  absl::Status Subscribe(const Regex& pattern, ConsumerRebalanceListener* listener = nullptr) {
    return SubscribePattern(pattern, listener);
  }
  // Revokes the partitions (OnPartitionsRevoked, or Lost), leaves the group (not static
  // members) and drops any assignment, Assign()ed or not.
  void Unsubscribe();
  // The subscribed topics (for a pattern: those it matched); empty when not subscribed.
  std::set<std::string> Subscription() const { return subscription_; }

  // Java's groupMetadata(): the group, this member's generation (-1 before joining or after
  // losing it), member id ("" likewise) and group.instance.id. kFailedPrecondition without
  // group.id.
  struct GroupMetadata {
    std::string group_id;
    int32_t generation_id = -1;
    std::string member_id;
    std::optional<std::string> group_instance_id;
  };
  absl::StatusOr<GroupMetadata> GetGroupMetadata() const;

  // Commits the position of every assigned partition, or `offsets`, retrying retriable errors
  // within default.api.timeout.ms. Errors: kFailedPrecondition without group.id, or "commit
  // failed ..." when the group rebalanced (poll, then commit again); kDeadlineExceeded;
  // other Kafka errors.
  absl::Status CommitSync();
  absl::Status CommitSync(const OffsetMap& offsets);
  // Commits without waiting; `callback` (may be null) runs from a later Poll, Commit* or
  // Close. Without group.id the callback gets kFailedPrecondition.
  void CommitAsync(OffsetCommitCallback callback = nullptr);
  void CommitAsync(const OffsetMap& offsets, OffsetCommitCallback callback);
  // The group's committed offsets of `partitions` (nullopt: none), within
  // default.api.timeout.ms. Errors: kFailedPrecondition without group.id; as CommitSync.
  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> Committed(
      const std::vector<TopicPartition>& partitions);

  // With enable.auto.commit, commits the positions; revokes the partitions and leaves the
  // group (LeaveGroup, except for static members: KIP-345); stops the heartbeat thread.
  // Idempotent; Poll then fails with kFailedPrecondition.
  void Close();

  // The assigned partitions, in order.
  std::vector<TopicPartition> Assignment() const;

  // Returns up to max.poll.records records of partitions not paused, waiting up to `timeout`
  // for at least one; empty when none arrived. Errors: OFFSET_OUT_OF_RANGE with
  // auto.offset.reset=none (the position stays; Seek to go on); a non-retriable Kafka error;
  // kInvalidArgument with neither assignment nor subscription; a fatal group error
  // (FENCED_INSTANCE_ID, GROUP_AUTHORIZATION_FAILED, the leader's assignor failing). While
  // subscribed it first completes any rebalance, which may outlast `timeout`.
  absl::StatusOr<std::vector<ConsumerRecord>> Poll(absl::Duration timeout);

  // Makes `offset` the next offset Poll returns for `tp`, dropping records buffered for it.
  // An offset outside the log is handled by auto.offset.reset at the next fetch. Errors:
  // kFailedPrecondition if `tp` is not assigned; kInvalidArgument for a negative offset.
  absl::Status Seek(const TopicPartition& tp, int64_t offset);
  // Moves each of `partitions` (all assigned ones when empty) to its log start or log end,
  // looked up lazily by the next Poll or Position. Errors: kFailedPrecondition naming a
  // partition not assigned (then nothing moves).
  absl::Status SeekToBeginning(const std::vector<TopicPartition>& partitions);
  absl::Status SeekToEnd(const std::vector<TopicPartition>& partitions);
  // The offset of the next record Poll returns for `tp`, looked up first if unknown (waiting
  // up to default.api.timeout.ms). Errors: kFailedPrecondition if not assigned;
  // kDeadlineExceeded; OFFSET_OUT_OF_RANGE with auto.offset.reset=none and no position.
  absl::StatusOr<int64_t> Position(const TopicPartition& tp);

  // Paused partitions are not fetched and their buffered records are not returned; their
  // positions stay. Errors: kFailedPrecondition naming a partition not assigned (then
  // nothing changes). Resume of a partition not paused does nothing.
  absl::Status Pause(const std::vector<TopicPartition>& partitions);
  absl::Status Resume(const std::vector<TopicPartition>& partitions);
  std::vector<TopicPartition> Paused() const;

 private:
  struct PartitionState {
    StartOffset start;
    std::optional<int64_t> next;  // The fetch position; unset until resolved.
    bool paused = false;
    bool awaiting_committed = false;  // Newly assigned: start from the group's offset.
  };
  enum class SubscriptionType { kNone, kManual, kTopics, kPattern };

  Consumer(ConsumerOptions options, Clock& clock);

  // Resolves positions that are unset via ListOffsets to each leader.
  absl::Status ResolvePositions();
  // The leader of `tp`, or an error (retriable when metadata may catch up).
  absl::StatusOr<int32_t> Leader(const TopicPartition& tp);
  // The leader epoch metadata gave for `tp` (KIP-320, sent in Fetch), -1 when unknown.
  int32_t LeaderEpoch(const TopicPartition& tp);
  // One Fetch to `leader` for `partitions`, waiting at most `max_wait`; appends records.
  absl::Status FetchFrom(int32_t leader, const std::vector<TopicPartition>& partitions,
                         absl::Duration max_wait, std::vector<ConsumerRecord>& out);
  // Appends the records of `records` (whole batches) at or after `tp`'s position.
  absl::Status AppendRecords(const TopicPartition& tp, absl::string_view records,
                             std::vector<ConsumerRecord>& out);
  // Applies a partition-level fetch error; returns a status only for fatal ones.
  absl::Status HandleFetchError(const TopicPartition& tp, int16_t error_code);
  // Refreshes metadata for the assigned topics when a leader was lost.
  void MaybeRefresh();
  // kFailedPrecondition naming the first of `partitions` not assigned.
  absl::Status CheckAssigned(const std::vector<TopicPartition>& partitions) const;
  // Sets each of `partitions` (all when empty) to start over from `start`.
  absl::Status ResetTo(const std::vector<TopicPartition>& partitions, StartOffset start);
  // Moves buffered records of partitions not paused into `out`, up to max.poll.records.
  void DrainBuffered(std::vector<ConsumerRecord>& out);
  void DropBuffered(const TopicPartition& tp);

  // Groups (consumer_group.cc).
  absl::Status SubscribePattern(const std::regex& pattern, ConsumerRebalanceListener* listener);
  // Runs the rebalances, commits and committed-offset lookups that are due.
  absl::Status UpdateGroup(absl::Duration deadline);
  // Java's onJoinPrepare / onJoinComplete / onLeavePrepare: commits and callbacks.
  void PrepareJoin();
  void CompleteJoin(const client::Assignment& assignment);
  void PrepareLeave();
  // Starts partitions awaiting their committed offsets there (or at auto.offset.reset).
  absl::Status ResolveCommitted(absl::Duration deadline);
  void MaybeAutoCommit();
  // Every metadata.max.age.ms: rematches a pattern, and as leader rejoins when the group's
  // topics changed partition counts.
  void MaybeRefreshMetadata();
  // The position of every assigned partition that has one: what Poll returned up to.
  OffsetMap ConsumedOffsets() const;
  void RemovePartitions(const std::vector<TopicPartition>& partitions);
  bool subscribed() const {
    return subscription_type_ == SubscriptionType::kTopics ||
           subscription_type_ == SubscriptionType::kPattern;
  }

  const ConsumerOptions options_;
  Clock& clock_;
  BrokerPool pool_;
  // Set with group.id; declared after pool_, which it uses until destroyed.
  std::unique_ptr<ConsumerCoordinator> coordinator_;
  SubscriptionType subscription_type_ = SubscriptionType::kNone;
  std::set<std::string> subscription_;
  std::optional<std::regex> pattern_;
  std::set<std::string> joined_subscription_;  // The topics of the last completed join.
  ConsumerRebalanceListener* listener_ = nullptr;
  bool join_prepared_ = false;  // PrepareJoin ran for the rebalance under way.
  absl::Duration next_auto_commit_;
  absl::Duration next_metadata_refresh_;
  bool closed_ = false;
  std::map<TopicPartition, PartitionState> positions_;
  // Fetched records not returned yet (beyond max.poll.records, or of paused partitions),
  // returned first by the next Poll. A partition's position is its first buffered record.
  std::deque<ConsumerRecord> buffered_;
  bool refresh_needed_ = false;
  // The wait before the next fetch round: retry.backoff.ms after a lost leader,
  // reconnect.backoff.ms after a transport error.
  absl::Duration backoff_ = absl::ZeroDuration();
};

}  // namespace karst::client

#endif  // KARST_CLIENT_CONSUMER_H_
