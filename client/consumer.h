// Consumer: Kafka's consumer with manual assignment (assign(), no groups yet). Each assigned
// partition has a position; Poll() fetches from each partition's leader, decodes batches of any
// codec and returns records in offset order per partition. A partition without a position
// starts at its start (earliest, latest or an offset); OFFSET_OUT_OF_RANGE resets it by
// auto.offset.reset. Leader changes (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION,
// transport errors) refresh metadata and move the fetch to the new leader.
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

  // Returns up to max.poll.records records, waiting up to `timeout` for at least one; empty
  // when none arrived. Errors: OFFSET_OUT_OF_RANGE with auto.offset.reset=none; a
  // non-retriable Kafka error; kInvalidArgument without an assignment.
  absl::StatusOr<std::vector<ConsumerRecord>> Poll(absl::Duration timeout);

 private:
  struct Position {
    StartOffset start;
    std::optional<int64_t> next;  // Unset until resolved.
  };

  Consumer(ConsumerOptions options, Clock& clock);

  // Resolves positions that are unset via ListOffsets to each leader.
  absl::Status ResolvePositions();
  // The leader of `tp`, or an error (retriable when metadata may catch up).
  absl::StatusOr<int32_t> Leader(const TopicPartition& tp);
  // One Fetch to `leader` for `partitions`, waiting at most `max_wait`; appends records.
  absl::Status FetchFrom(int32_t leader, const std::vector<TopicPartition>& partitions,
                         absl::Duration max_wait, std::vector<ConsumerRecord>& out);
  // Appends the records of `records` (whole batches) at or after `tp`'s position.
  absl::Status AppendRecords(const TopicPartition& tp, absl::string_view records,
                             std::vector<ConsumerRecord>& out);
  // Applies a partition-level fetch error; returns a status only for fatal ones.
  absl::Status HandleFetchError(const TopicPartition& tp, int16_t error_code);

  const ConsumerOptions options_;
  Clock& clock_;
  BrokerPool pool_;
  std::map<TopicPartition, Position> positions_;
  // Fetched records beyond max.poll.records, returned first by the next Poll.
  std::deque<ConsumerRecord> buffered_;
  bool refresh_needed_ = false;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_CONSUMER_H_
