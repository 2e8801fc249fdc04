// ReplicaFetcher: a follower's pull loop from one source broker (Kafka's
// ReplicaFetcherThread): one thread and one connection per leader, batching every partition
// this broker follows from it into one Fetch (with this broker's replica id, so the leader
// serves up to its log end and records the follower's progress). A partition added at a new
// leader epoch first truncates by leader epoch (OffsetForLeaderEpoch, KIP-101/KIP-279), never
// blindly to the high watermark.
//
// Thread-safety: Add/Remove/size from any thread; Start/Stop from the owner; Stop joins.
#ifndef KARST_BROKER_REPLICATION_REPLICA_FETCHER_H_
#define KARST_BROKER_REPLICATION_REPLICA_FETCHER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/replication/kafka_channel.h"
#include "broker/replication/partition.h"
#include "common/clock.h"

namespace karst::broker::replication {

struct ReplicaFetcherOptions {
  NodeId self;
  NodeId leader;
  std::string host;
  uint16_t port = 0;
  std::string local_address;  // This node's address to connect from; empty: the kernel's.
  int32_t max_wait_ms = 500;  // replica.fetch.wait.max.ms
  int32_t max_bytes = 10 * 1024 * 1024;       // replica.fetch.response.max.bytes
  int32_t partition_max_bytes = 1024 * 1024;  // replica.fetch.max.bytes
  absl::Duration backoff = absl::Seconds(1);  // replica.fetch.backoff.ms
  Clock* clock = nullptr;
};

class ReplicaFetcher {
 public:
  explicit ReplicaFetcher(ReplicaFetcherOptions options);
  ~ReplicaFetcher() { Stop(); }

  void Start();
  void Stop();

  // Follows `partition` from this fetcher's leader under `epoch`. A new epoch (or a new
  // partition) truncates by leader epoch before fetching; the same epoch again is a no-op.
  void Add(std::shared_ptr<Partition> partition, LeaderEpoch epoch);
  void Remove(const TopicPartition& tp);
  size_t size() const;

 private:
  struct Followed {
    std::shared_ptr<Partition> partition;
    LeaderEpoch epoch;
    bool truncating = true;
    absl::Duration retry_after;  // Monotonic: skip until then after a partition error.
  };

  void Loop();
  // One round: truncation, then one Fetch. Returns false after a connection error.
  bool Round();
  bool Truncate(std::map<TopicPartition, Followed>& work);
  bool Fetch(std::map<TopicPartition, Followed>& work);
  void MarkTruncated(const TopicPartition& tp, LeaderEpoch epoch);
  void Backoff(const TopicPartition& tp, LeaderEpoch epoch);
  void WaitForWork(absl::Duration max);

  const ReplicaFetcherOptions options_;
  Clock& clock_;
  KafkaChannel channel_;
  mutable absl::Mutex mu_;
  std::map<TopicPartition, Followed> partitions_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace karst::broker::replication

#endif  // KARST_BROKER_REPLICATION_REPLICA_FETCHER_H_
