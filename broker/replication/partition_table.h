// PartitionTable: the partition replicas this broker hosts, kept in step with the metadata
// image (Kafka's ReplicaManager): for every partition assigned here it opens the log under
// `<log dir>/<topic>-<partition>` and applies leadership, epoch and ISR from the image
// (idempotently); followers are handed to one ReplicaFetcher per leader; replicas no longer
// assigned are closed and deleted. A background thread proposes ISR changes through the
// controller (AlterPartition) and applies retention and time-based flushes.
//
// Leadership and epochs change only here, from the image. Thread-safety: Get/All from any
// thread (handlers); ApplyImage from the metadata thread; Start/Stop from the owner.
#ifndef KARST_BROKER_REPLICATION_PARTITION_TABLE_H_
#define KARST_BROKER_REPLICATION_PARTITION_TABLE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/replication/partition.h"
#include "broker/replication/purgatory.h"
#include "broker/replication/replica_fetcher.h"
#include "broker/replication/replication_metrics.h"
#include "common/clock.h"
#include "controller/metadata/metadata_image.h"
#include "storage/file_system.h"
#include "storage/log.h"

namespace karst::broker::replication {

struct PartitionTableOptions {
  NodeId self;
  std::string log_dir;
  storage::LogOptions log_defaults;   // The broker's log.* settings.
  std::string inter_broker_listener;  // Whose endpoint a follower fetches from.
  ReplicaFetcherOptions fetcher;      // Tuning; self, leader and address are filled in.
  absl::Duration replica_lag_time_max = absl::Seconds(30);
  absl::Duration isr_check_interval = absl::Milliseconds(250);
  absl::Duration maintenance_interval = absl::Seconds(5);
  // replica.high.watermark.checkpoint.interval.ms: how often every partition's high watermark
  // is written to <log_dir>/replication-offset-checkpoint (also on Stop). A partition opened
  // later starts from its checkpointed high watermark (at most its log end).
  absl::Duration hw_checkpoint_interval = absl::Seconds(5);
  Clock* clock = nullptr;
  storage::FileSystem* fs = nullptr;
  int32_t min_insync_replicas = 1;        // The broker default, for the under-min-ISR gauge.
  ReplicationMetrics* metrics = nullptr;  // May be null.
  // Sends an ISR change to the controller; a non-OK status (or a Kafka error inside it)
  // lets the partition propose again.
  std::function<absl::Status(const IsrProposal&)> alter_partition;
};

class PartitionTable {
 public:
  explicit PartitionTable(PartitionTableOptions options);
  ~PartitionTable();

  void Start();
  // Stops fetchers and the background thread, expires waiting requests, closes every log.
  void Stop();

  // Brings the hosted replicas in line with `image`.
  void ApplyImage(const controller::MetadataImage& image);

  std::shared_ptr<Partition> Get(const TopicPartition& tp) const;
  std::vector<std::shared_ptr<Partition>> All() const;
  Purgatory& purgatory() { return purgatory_; }
  // The log directory every hosted partition's log sits under.
  const std::string& log_dir() const { return options_.log_dir; }

 private:
  struct Fetcher {
    std::string host;
    uint16_t port = 0;
    std::unique_ptr<ReplicaFetcher> fetcher;
  };

  absl::StatusOr<std::shared_ptr<Partition>> Open(const TopicPartition& tp,
                                                  const std::string& topic_id,
                                                  const storage::LogOptions& log_options);
  void Follow(const controller::MetadataImage& image, const std::shared_ptr<Partition>& partition,
              NodeId leader, LeaderEpoch epoch);
  void Unfollow(const TopicPartition& tp);
  void Remove(const TopicPartition& tp);
  void BackgroundLoop();
  void ProposeIsrChanges();
  void PublishMetrics();
  // Writes every open partition's high watermark to the checkpoint file.
  void CheckpointHighWatermarks();

  const PartitionTableOptions options_;
  Clock& clock_;
  Purgatory purgatory_;
  mutable absl::Mutex mu_;
  std::map<TopicPartition, std::shared_ptr<Partition>> partitions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int32_t> min_isr_ ABSL_GUARDED_BY(mu_);  // By topic, from the image.
  // The high watermarks read from the checkpoint at Start, for partitions opened later.
  std::map<TopicPartition, int64_t> checkpointed_hw_ ABSL_GUARDED_BY(mu_);
  // Metadata-thread state.
  std::map<int32_t, Fetcher> fetchers_;              // By leader id.
  std::map<TopicPartition, int32_t> followed_from_;  // Partition -> leader id.
  absl::Mutex stop_mu_;
  bool running_ ABSL_GUARDED_BY(stop_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread background_;
};

// The broker's log defaults (its static log.* settings) overridden by its dynamic
// log.segment.bytes, log.retention.ms and log.retention.bytes (per broker, else cluster-wide).
storage::LogOptions BrokerLogDefaults(const controller::MetadataImage& image, NodeId self,
                                      const storage::LogOptions& defaults);

// The log settings of `topic`: the broker's defaults overridden by the topic's configs.
storage::LogOptions TopicLogOptions(const controller::MetadataImage& image,
                                    const std::string& topic, const storage::LogOptions& defaults);

}  // namespace karst::broker::replication

#endif  // KARST_BROKER_REPLICATION_PARTITION_TABLE_H_
