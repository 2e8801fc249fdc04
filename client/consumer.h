// Consumer: Kafka's consumer with manual assignment (assign(), no groups yet). Each assigned
// partition has a position, the offset of the next record Poll() returns; Poll() fetches from
// each partition's leader, decodes batches of any codec and returns records in offset order
// per partition. A partition without a position starts at its start (earliest, latest or an
// offset); OFFSET_OUT_OF_RANGE resets it by auto.offset.reset. Leader changes
// (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION, transport errors)
// refresh metadata and move the fetch to the new leader at the same position. Seek* move a
// position; Pause() stops fetching a partition (and returning its buffered records) until
// Resume(), keeping its position, as KafkaConsumer does.
//
// Thread-safety: none; one thread drives a consumer.
#ifndef KARST_CLIENT_CONSUMER_H_
#define KARST_CLIENT_CONSUMER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/broker_pool.h"
#include "client/client_properties.h"
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
  // Validates options; connects lazily. `clock` must outlive the consumer.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(ConsumerOptions options, Clock& clock);

  // The partition count of `topic`. Errors: kNotFound for an unknown topic, kUnavailable.
  absl::StatusOr<int32_t> PartitionCount(const std::string& topic);

  // Replaces the assignment. Positions are resolved lazily, by the next Poll.
  void Assign(const std::vector<std::pair<TopicPartition, StartOffset>>& partitions);

  // The assigned partitions, in order.
  std::vector<TopicPartition> Assignment() const;

  // Returns up to max.poll.records records of partitions not paused, waiting up to `timeout`
  // for at least one; empty when none arrived. Errors: OFFSET_OUT_OF_RANGE with
  // auto.offset.reset=none (the position stays; Seek to go on); a non-retriable Kafka error;
  // kInvalidArgument without an assignment.
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
  };

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

  const ConsumerOptions options_;
  Clock& clock_;
  BrokerPool pool_;
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
