// Producer: Kafka's producer with synchronous batching. Send() queues a record on its
// partition (Java's murmur2 for keyed records, a sticky partition for unkeyed ones); the
// calling thread sends queued batches, one per partition per request, when batch.size bytes
// are queued, when the oldest queued record is linger.ms old at the next Send(), or on
// Flush(). Retriable errors (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION,
// LEADER_NOT_AVAILABLE, transport failures) refresh metadata and retry within
// delivery.timeout.ms and `retries`. Every record's callback runs exactly once, on the thread
// that calls Send/Flush/the destructor. Idempotence (producer ids, sequences) arrives with the
// transactions issue: batches are built with producer_id -1 today.
//
// Thread-safety: none; one thread drives a producer.
#ifndef KARST_CLIENT_PRODUCER_H_
#define KARST_CLIENT_PRODUCER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/broker_pool.h"
#include "client/client_properties.h"
#include "common/clock.h"
#include "kafka/record/record.h"

namespace karst::client {

struct ProducerRecord {
  std::string topic;
  std::optional<int32_t> partition;  // Unset: the default partitioner chooses.
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<kafka::record::RecordHeader> headers;
  std::optional<int64_t> timestamp_ms;  // Unset: the time of Send.
};

struct RecordMetadata {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;  // -1 with acks=0: the broker does not answer.
};

// Receives the record's metadata, or its error: a Kafka error as KafkaErrorStatus makes it,
// kDeadlineExceeded when delivery.timeout.ms passed, kInvalidArgument for a partition out of
// range.
using DeliveryCallback = std::function<void(const absl::StatusOr<RecordMetadata>&)>;

class Producer {
 public:
  // Validates options; connects lazily. `clock` must outlive the producer.
  static absl::StatusOr<std::unique_ptr<Producer>> Create(ProducerOptions options, Clock& clock);
  // Flushes: every queued record is delivered or failed before this returns.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues `record`; `callback` runs once it is delivered or failed (possibly inside this call,
  // e.g. for an unknown topic after delivery.timeout.ms of metadata retries).
  void Send(ProducerRecord record, DeliveryCallback callback);
  // As above, with the outcome as a future (ready after the record's batch is sent).
  std::future<absl::StatusOr<RecordMetadata>> Send(ProducerRecord record);

  // Sends everything queued and waits for every outcome. Returns the number of failed records'
  // first error, or OK; each record's callback has the details.
  absl::Status Flush();

 private:
  struct Pending {
    ProducerRecord record;
    DeliveryCallback callback;
    absl::Duration deadline;  // Monotonic.
    int attempts = 0;
    absl::Status last_error;
  };
  using PartitionKey = std::pair<std::string, int32_t>;
  struct Queue {
    std::deque<Pending> records;
    size_t bytes = 0;
  };

  Producer(ProducerOptions options, Clock& clock);

  absl::StatusOr<int32_t> ChoosePartition(const ProducerRecord& record);
  // One pass: a request per leader with one batch per partition; returns whether any batch
  // needs a retry.
  bool SendRound();
  // Sends `partitions`' front batches to `leader`; updates queues and callbacks.
  bool SendToLeader(int32_t leader, const std::vector<PartitionKey>& partitions);
  // Takes the front records of `key` up to batch.size bytes (at least one).
  size_t FrontBatchCount(const Queue& queue) const;
  void Complete(const PartitionKey& key, size_t count, const absl::StatusOr<int64_t>& base_offset);
  void SendQueued();
  // Marks the front `count` records for a retry after `error`; fails those past their limits.
  void Retry(const PartitionKey& key, size_t count, const absl::Status& error);
  void FailExpired();

  const ProducerOptions options_;
  Clock& clock_;
  BrokerPool pool_;
  std::map<PartitionKey, Queue> queues_;
  std::optional<absl::Duration> oldest_queued_;  // Monotonic time of the oldest queued Send.
  std::map<std::string, int32_t> sticky_;        // Topic -> sticky partition for unkeyed records.
  // Topics whose metadata lookup failed past delivery.timeout.ms: later records fail at once.
  std::map<std::string, absl::Status> failed_topics_;
  absl::Status first_failure_;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_PRODUCER_H_
