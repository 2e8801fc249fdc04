// Producer: Kafka's producer. Send() hands a record to the producer's I/O thread and returns;
// the I/O thread (Java's Sender) learns each topic's partitions from Metadata, picks the
// partition (the Partitioner given to Create, else Java's default: murmur2 of the key for keyed
// records, a sticky partition for unkeyed ones: KIP-480, moving on after batch.size bytes as
// in KIP-794), accumulates per-partition batches,
// and sends a partition's batch when it holds batch.size bytes, when its oldest record is
// linger.ms old, or on Flush()/Close(). One Produce request per leader carries one batch per
// partition; up to max.in.flight.requests.per.connection requests per broker are outstanding
// at once (pipelined). As in Kafka without idempotence, a retried batch may then land after
// a later batch of its partition; with max.in.flight.requests.per.connection=1 a partition
// has at most one batch in flight (even across a leader change), so retries keep order.
// Retried batches go back in their original order ahead of later records. Retriable errors
// (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE,
// NOT_ENOUGH_REPLICAS, timeouts, transport failures) refresh metadata and retry the batch
// after retry.backoff.ms, within delivery.timeout.ms and `retries`. Idempotence (producer ids,
// sequences) arrives with the transactions issue: batches are built with producer_id -1
// today, and enable.idempotence=true is refused.
//
// Every record's callback runs exactly once, on the I/O thread (as Java's callbacks run on the
// Sender thread): callbacks must be quick and must not call Flush() or Close().
// Memory: records waiting to be sent count against buffer.memory; Send() blocks while it is
// full, for at most max.block.ms, then fails the record with kResourceExhausted.
//
// Thread-safety: Send and Flush may be called from any threads concurrently.
#ifndef KARST_CLIENT_PRODUCER_H_
#define KARST_CLIENT_PRODUCER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "client/broker_pool.h"
#include "client/client_properties.h"
#include "client/partitioner.h"
#include "common/clock.h"
#include "kafka/record/record.h"

namespace karst::client {

struct ProducerRecord {
  std::string topic;
  std::optional<int32_t> partition;  // Unset: the partitioner chooses.
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
// range, kResourceExhausted when buffer.memory stayed full for max.block.ms or the record is
// larger than max.request.size, kCancelled for records sent after Close().
using DeliveryCallback = std::function<void(const absl::StatusOr<RecordMetadata>&)>;

class Producer {
 public:
  // Validates options and starts the I/O thread; connects lazily. `clock` must outlive the
  // producer. `partitioner`, when given, picks the partition of records without one (it is
  // called on the I/O thread only).
  static absl::StatusOr<std::unique_ptr<Producer>> Create(
      ProducerOptions options, Clock& clock, std::unique_ptr<Partitioner> partitioner = nullptr);
  // Close(): every record is delivered or failed before this returns.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues `record`; `callback` runs once it is delivered or failed. Blocks only while
  // buffer.memory is full.
  void Send(ProducerRecord record, DeliveryCallback callback);
  // As above, with the outcome as a future.
  std::future<absl::StatusOr<RecordMetadata>> Send(ProducerRecord record);

  // Sends every record queued before this call at once (ignoring linger.ms) and waits until
  // each is delivered or failed. Returns the first failure since the previous Flush, or OK;
  // each record's callback has the details.
  absl::Status Flush();

  // Flushes, then stops the I/O thread. Records sent afterwards fail with kCancelled.
  // Idempotent.
  void Close();

 private:
  struct Pending {
    ProducerRecord record;
    DeliveryCallback callback;
    size_t bytes = 0;         // Estimated batch bytes, counted against buffer.memory.
    int64_t epoch = 0;        // Flush epoch of the Send.
    absl::Duration deadline;  // Monotonic: Send time + delivery.timeout.ms.
    int attempts = 0;
    absl::Status last_error;
    uint64_t sequence = 0;  // Routing order (I/O thread), for putting retries back in place.
  };
  using PartitionKey = std::pair<std::string, int32_t>;
  struct Queue {
    std::deque<Pending> records;
    size_t bytes = 0;
    absl::Duration first_enqueued;  // Monotonic time the front record was queued (for linger).
    absl::Duration retry_after;     // Monotonic; the front batch waits until then.
  };
  // A Produce request awaiting its response: the batches it carries, by partition.
  struct InFlight {
    std::map<PartitionKey, std::vector<Pending>> batches;
    absl::Duration deadline;  // Monotonic: sent + request.timeout.ms.
  };

  Producer(ProducerOptions options, Clock& clock, std::unique_ptr<Partitioner> partitioner);

  // I/O thread (everything below touches pool_, queues_, unrouted_, in_flight_ only there).
  void Run();
  // Moves records from incoming_ to their partition queues, or to unrouted_ while their
  // topic's metadata is missing.
  void Route(std::vector<Pending> records);
  void RouteOne(Pending pending);
  // Retries metadata for unrouted topics (at most every retry.backoff.ms).
  void RouteWaiting();
  absl::StatusOr<int32_t> ChoosePartition(const ProducerRecord& record, int32_t count);
  // Sends every ready batch whose leader has room in flight; returns when the next batch
  // becomes ready or a record expires (batches waiting for room are woken by responses).
  absl::Duration SendReady(bool closing, int64_t flush_epoch);
  void SendToLeader(int32_t leader, const std::vector<PartitionKey>& partitions);
  // Takes the front batch of `queue`: records up to batch.size bytes (at least one).
  std::vector<Pending> TakeBatch(Queue& queue);
  // Waits for a response, new records or the next linger/backoff deadline.
  void Wait(absl::Duration until);
  void ReadResponse(int32_t leader);
  // Whether `key` must wait for its batch in flight (max.in.flight 1), and its bookkeeping.
  bool Muted(const PartitionKey& key) const;
  void Landed(const PartitionKey& key);
  // Fails (for a retry) the requests past request.timeout.ms and drops their connections.
  void ExpireRequests();
  void FailInFlight(int32_t leader, const absl::Status& error);
  void HandleBatchError(const PartitionKey& key, std::vector<Pending> batch,
                        const absl::Status& error);
  void Complete(const PartitionKey& key, std::vector<Pending> batch,
                const absl::StatusOr<int64_t>& base_offset);
  void Fail(std::vector<Pending> records, const absl::Status& error);
  void FailExpired();
  // Records completed: releases their memory and flush epochs.
  void Release(const std::vector<Pending>& records, const absl::Status& first_error);
  bool Idle() const;

  const ProducerOptions options_;
  Clock& clock_;
  const std::unique_ptr<Partitioner> partitioner_;
  int wake_fd_ = -1;  // eventfd: Send/Flush/Close wake the I/O thread.

  // Shared between callers and the I/O thread.
  std::mutex mu_;
  std::condition_variable space_cv_;  // buffer.memory was released.
  std::condition_variable done_cv_;   // Records completed.
  std::vector<Pending> incoming_;
  size_t buffered_bytes_ = 0;  // Bytes of records sent and not yet completed.
  int64_t epoch_ = 0;          // Flush() advances it.
  int64_t flush_epoch_ = -1;   // Records of epochs <= this ignore linger.ms.
  std::map<int64_t, int64_t> incomplete_by_epoch_;
  bool closing_ = false;
  bool closed_ = false;
  bool io_waiting_ = false;  // The I/O thread waits for the wake fd.
  absl::Status first_failure_;
  std::thread io_thread_;

  // I/O thread only.
  BrokerPool pool_;
  std::map<PartitionKey, Queue> queues_;
  std::map<std::string, std::deque<Pending>> unrouted_;  // By topic, in Send order.
  absl::Duration next_metadata_attempt_;
  bool metadata_stale_ = false;
  struct Sticky {
    int32_t partition = 0;
    size_t bytes = 0;  // Routed to `partition` since it became sticky.
  };
  std::map<std::string, Sticky> sticky_;  // Topic -> sticky partition for unkeyed records.
  std::map<int32_t, std::deque<InFlight>> in_flight_;  // By leader, oldest first.
  // Batches in flight per partition; with max.in.flight 1 a partition waits for its batch.
  std::map<PartitionKey, int> partitions_in_flight_;
  uint64_t next_sequence_ = 0;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_PRODUCER_H_
