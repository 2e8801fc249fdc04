#include "broker/replication/partition_table.h"

#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/replication/offset_checkpoint.h"
#include "controller/metadata/broker_configs.h"
#include "spdlog/spdlog.h"

namespace karst::broker::replication {
namespace {

constexpr char kPartitionMetadata[] = "partition.metadata";

std::string Name(const TopicPartition& tp) { return tp.topic + "-" + std::to_string(tp.partition); }

template <typename T>
void Override(const std::map<std::string, std::string>& configs, const char* key, T* value) {
  auto it = configs.find(key);
  if (it == configs.end()) return;
  if constexpr (std::is_same_v<T, int32_t>) {
    int32_t v;
    if (absl::SimpleAtoi(it->second, &v)) *value = v;
  } else {
    int64_t v;
    if (absl::SimpleAtoi(it->second, &v)) *value = v;
  }
}

}  // namespace

storage::LogOptions BrokerLogDefaults(const controller::MetadataImage& image, NodeId self,
                                      const storage::LogOptions& defaults) {
  storage::LogOptions options = defaults;
  options.segment_bytes = static_cast<int32_t>(
      controller::EffectiveBrokerInt(image, self, "log.segment.bytes", options.segment_bytes));
  options.retention_ms =
      controller::EffectiveBrokerInt(image, self, "log.retention.ms", options.retention_ms);
  options.retention_bytes =
      controller::EffectiveBrokerInt(image, self, "log.retention.bytes", options.retention_bytes);
  return options;
}

storage::LogOptions TopicLogOptions(const controller::MetadataImage& image,
                                    const std::string& topic, const storage::LogOptions& defaults) {
  storage::LogOptions options = defaults;
  auto it = image.configs.find({static_cast<int32_t>(controller::ResourceType::kTopic), topic});
  if (it == image.configs.end()) return options;
  const std::map<std::string, std::string>& configs = it->second;
  Override(configs, "segment.bytes", &options.segment_bytes);
  Override(configs, "segment.ms", &options.segment_ms);
  Override(configs, "index.interval.bytes", &options.index_interval_bytes);
  Override(configs, "retention.ms", &options.retention_ms);
  Override(configs, "retention.bytes", &options.retention_bytes);
  Override(configs, "flush.messages", &options.flush_messages);
  Override(configs, "flush.ms", &options.flush_ms);
  Override(configs, "min.compaction.lag.ms", &options.min_compaction_lag_ms);
  Override(configs, "delete.retention.ms", &options.delete_retention_ms);
  if (auto ratio = configs.find("min.cleanable.dirty.ratio"); ratio != configs.end()) {
    double v;
    if (absl::SimpleAtod(ratio->second, &v) && v >= 0 && v <= 1) {
      options.min_cleanable_dirty_ratio = v;
    }
  }
  if (auto policy = configs.find("cleanup.policy"); policy != configs.end()) {
    const bool compact = policy->second.find("compact") != std::string::npos;
    const bool del = policy->second.find("delete") != std::string::npos;
    options.cleanup_policy = compact && del ? storage::CleanupPolicy::kCompactAndDelete
                             : compact      ? storage::CleanupPolicy::kCompact
                                            : storage::CleanupPolicy::kDelete;
  }
  return options;
}

PartitionTable::PartitionTable(PartitionTableOptions options)
    : options_(std::move(options)), clock_(*options_.clock), purgatory_(clock_) {}

PartitionTable::~PartitionTable() { Stop(); }

void PartitionTable::Start() {
  absl::MutexLock lock(&stop_mu_);
  if (running_) return;
  running_ = true;
  const std::string checkpoint = absl::StrCat(options_.log_dir, "/", kReplicationOffsetCheckpoint);
  absl::StatusOr<bool> exists = options_.fs->Exists(checkpoint);
  if (exists.ok() && *exists) {
    absl::StatusOr<std::map<TopicPartition, int64_t>> offsets = [&] {
      absl::StatusOr<std::string> text = options_.fs->ReadFile(checkpoint);
      if (!text.ok()) return absl::StatusOr<std::map<TopicPartition, int64_t>>(text.status());
      return ParseOffsetCheckpoint(*text, checkpoint);
    }();
    if (offsets.ok()) {
      absl::MutexLock table_lock(&mu_);
      checkpointed_hw_ = *std::move(offsets);
    } else {
      // Only an optimization is lost: high watermarks then start at each log's start and
      // rise as followers fetch, as before the checkpoint existed.
      spdlog::warn("ignoring {}: {}", checkpoint, std::string(offsets.status().message()));
    }
  }
  purgatory_.Start();
  background_ = std::thread([this] { BackgroundLoop(); });
}

void PartitionTable::Stop() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (!running_ || stopping_) return;
    stopping_ = true;
  }
  background_.join();
  for (auto& [leader, fetcher] : fetchers_) fetcher.fetcher->Stop();
  CheckpointHighWatermarks();
  fetchers_.clear();
  followed_from_.clear();
  purgatory_.Stop();
  std::map<TopicPartition, std::shared_ptr<Partition>> partitions;
  {
    absl::MutexLock lock(&mu_);
    partitions.swap(partitions_);
  }
  for (auto& [tp, partition] : partitions) {
    if (absl::Status s = partition->Close(); !s.ok()) {
      spdlog::warn("partition {}: close: {}", Name(tp), std::string(s.message()));
    }
  }
}

std::shared_ptr<Partition> PartitionTable::Get(const TopicPartition& tp) const {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Partition>> PartitionTable::All() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Partition>> all;
  for (const auto& [tp, partition] : partitions_) all.push_back(partition);
  return all;
}

absl::StatusOr<std::shared_ptr<Partition>> PartitionTable::Open(
    const TopicPartition& tp, const std::string& topic_id, const storage::LogOptions& log_options) {
  const std::string dir = absl::StrCat(options_.log_dir, "/", Name(tp));
  const std::string marker = absl::StrCat(dir, "/", kPartitionMetadata);
  const std::string expected =
      absl::StrCat("version: 0\ntopic_id: ", absl::BytesToHexString(topic_id), "\n");
  // Like Kafka's partition.metadata: a directory left by an earlier topic of the same name
  // (deleted and recreated) is not this topic's log.
  absl::StatusOr<bool> exists = options_.fs->Exists(marker);
  if (exists.ok() && *exists) {
    absl::StatusOr<std::string> found = options_.fs->ReadFile(marker);
    if (found.ok() && *found != expected) {
      spdlog::info("partition {}: removing the log of an earlier topic with this name", Name(tp));
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  absl::StatusOr<std::unique_ptr<storage::Log>> log =
      storage::Log::Open(dir, log_options, *options_.fs, clock_);
  if (!log.ok()) return log.status();
  if (absl::Status s = options_.fs->WriteFileAtomically(marker, expected); !s.ok()) return s;
  auto partition =
      std::make_shared<Partition>(tp, topic_id, options_.self, *std::move(log), clock_);
  {
    absl::MutexLock lock(&mu_);
    if (auto it = checkpointed_hw_.find(tp); it != checkpointed_hw_.end()) {
      partition->RestoreHighWatermark(Offset(it->second));
      checkpointed_hw_.erase(it);
    }
  }
  return partition;
}

void PartitionTable::ApplyImage(const controller::MetadataImage& image) {
  // The topic's value, else this broker's dynamic one (KIP-226), else its static one.
  const int32_t default_min_isr = static_cast<int32_t>(controller::EffectiveBrokerInt(
      image, options_.self, "min.insync.replicas", options_.min_insync_replicas));
  std::map<std::string, int32_t> min_isr;
  for (const auto& [topic_id, topic] : image.topics) {
    min_isr[topic.name] = default_min_isr;
  }
  for (const auto& [key, configs] : image.configs) {
    if (key.first != static_cast<int32_t>(controller::ResourceType::kTopic)) continue;
    auto it = configs.find("min.insync.replicas");
    int32_t value;
    if (it != configs.end() && absl::SimpleAtoi(it->second, &value)) min_isr[key.second] = value;
  }
  {
    absl::MutexLock lock(&mu_);
    min_isr_ = std::move(min_isr);
  }
  const storage::LogOptions log_defaults =
      BrokerLogDefaults(image, options_.self, options_.log_defaults);
  std::set<TopicPartition> assigned;
  for (const auto& [topic_id, topic] : image.topics) {
    // Computed for every image, so a changed topic or broker config reaches the open logs too.
    const storage::LogOptions log_options = TopicLogOptions(image, topic.name, log_defaults);
    for (const auto& [index, state] : topic.partitions) {
      if (std::find(state.replicas.begin(), state.replicas.end(), options_.self.value()) ==
          state.replicas.end()) {
        continue;
      }
      const TopicPartition tp{topic.name, index};
      assigned.insert(tp);
      std::shared_ptr<Partition> partition = Get(tp);
      if (partition != nullptr && partition->topic_id() != topic_id) {
        Remove(tp);
        partition = nullptr;
      }
      if (partition == nullptr) {
        absl::StatusOr<std::shared_ptr<Partition>> opened = Open(tp, topic_id, log_options);
        if (!opened.ok()) {
          spdlog::error("partition {}: cannot open its log: {}", Name(tp),
                        std::string(opened.status().message()));
          continue;
        }
        partition = *std::move(opened);
        absl::MutexLock lock(&mu_);
        partitions_[tp] = partition;
      } else {
        partition->SetLogOptions(log_options);
      }
      std::vector<int32_t> ineligible;
      for (int32_t replica : state.replicas) {
        auto broker = image.brokers.find(NodeId(replica));
        if (broker == image.brokers.end() || broker->second.fenced) ineligible.push_back(replica);
      }
      const Role role = partition->Apply({.replicas = state.replicas,
                                          .isr = state.isr,
                                          .leader = state.leader,
                                          .leader_epoch = state.leader_epoch,
                                          .partition_epoch = state.partition_epoch,
                                          .ineligible = std::move(ineligible)});
      if (role == Role::kFollower && state.leader.value() >= 0) {
        Follow(image, partition, state.leader, state.leader_epoch);
      } else {
        Unfollow(tp);
      }
      // Waiting produces and fetches see the new leadership or ISR.
      purgatory_.Notify(tp);
    }
  }
  std::vector<TopicPartition> gone;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [tp, partition] : partitions_) {
      if (!assigned.contains(tp)) gone.push_back(tp);
    }
  }
  for (const TopicPartition& tp : gone) Remove(tp);
}

void PartitionTable::Follow(const controller::MetadataImage& image,
                            const std::shared_ptr<Partition>& partition, NodeId leader,
                            LeaderEpoch epoch) {
  const TopicPartition& tp = partition->tp();
  auto broker = image.brokers.find(leader);
  const controller::Endpoint* endpoint = nullptr;
  if (broker != image.brokers.end()) {
    for (const controller::Endpoint& e : broker->second.endpoints) {
      if (e.name == options_.inter_broker_listener) endpoint = &e;
    }
  }
  if (endpoint == nullptr) {
    spdlog::warn("partition {}: leader {} has no {} endpoint", Name(tp), leader.value(),
                 options_.inter_broker_listener);
    Unfollow(tp);
    return;
  }
  auto followed = followed_from_.find(tp);
  if (followed != followed_from_.end() && followed->second != leader.value()) Unfollow(tp);
  Fetcher& f = fetchers_[leader.value()];
  if (f.fetcher == nullptr || f.host != endpoint->host || f.port != endpoint->port) {
    if (f.fetcher != nullptr) f.fetcher->Stop();
    ReplicaFetcherOptions fetcher_options = options_.fetcher;
    fetcher_options.self = options_.self;
    fetcher_options.leader = leader;
    fetcher_options.host = endpoint->host;
    fetcher_options.port = static_cast<uint16_t>(endpoint->port);
    fetcher_options.clock = &clock_;
    auto previous = std::move(f.fetcher);
    f = Fetcher{.host = endpoint->host,
                .port = static_cast<uint16_t>(endpoint->port),
                .fetcher = std::make_unique<ReplicaFetcher>(fetcher_options)};
    f.fetcher->Start();
    // Partitions the old fetcher had follow the new one from the same leader.
    for (const auto& [other, from] : followed_from_) {
      if (from == leader.value() && other != tp) {
        if (std::shared_ptr<Partition> p = Get(other)) {
          f.fetcher->Add(p, p->assignment().leader_epoch);
        }
      }
    }
  }
  f.fetcher->Add(partition, epoch);
  followed_from_[tp] = leader.value();
}

void PartitionTable::Unfollow(const TopicPartition& tp) {
  auto it = followed_from_.find(tp);
  if (it == followed_from_.end()) return;
  auto fetcher = fetchers_.find(it->second);
  if (fetcher != fetchers_.end()) {
    fetcher->second.fetcher->Remove(tp);
    if (fetcher->second.fetcher->size() == 0) {
      fetcher->second.fetcher->Stop();
      fetchers_.erase(fetcher);
    }
  }
  followed_from_.erase(it);
}

void PartitionTable::Remove(const TopicPartition& tp) {
  Unfollow(tp);
  std::shared_ptr<Partition> partition;
  {
    absl::MutexLock lock(&mu_);
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) return;
    partition = std::move(it->second);
    partitions_.erase(it);
  }
  spdlog::info("partition {}: no longer assigned here; deleting its log", Name(tp));
  partition->Close().IgnoreError();
  std::error_code ec;
  std::filesystem::remove_all(absl::StrCat(options_.log_dir, "/", Name(tp)), ec);
  purgatory_.Notify(tp);
}

void PartitionTable::ProposeIsrChanges() {
  for (const std::shared_ptr<Partition>& partition : All()) {
    std::optional<IsrProposal> proposal = partition->MaybeProposeIsr(options_.replica_lag_time_max);
    if (!proposal) continue;
    const size_t before = partition->assignment().isr.size();
    spdlog::info("partition {}: proposing ISR [{}]", Name(partition->tp()),
                 fmt::join(proposal->isr, ","));
    if (absl::Status s = options_.alter_partition(*proposal); !s.ok()) {
      spdlog::info("partition {}: AlterPartition: {}", Name(partition->tp()),
                   std::string(s.message()));
      partition->IsrProposalFailed();
      continue;
    }
    if (options_.metrics == nullptr) continue;
    if (proposal->isr.size() < before) options_.metrics->IsrShrink();
    if (proposal->isr.size() > before) options_.metrics->IsrExpand();
  }
}

void PartitionTable::PublishMetrics() {
  if (options_.metrics == nullptr) return;
  std::vector<ReplicaView> views;
  std::map<std::string, int32_t> min_isr;
  {
    absl::MutexLock lock(&mu_);
    min_isr = min_isr_;
  }
  for (const std::shared_ptr<Partition>& partition : All()) {
    const Assignment a = partition->assignment();
    auto topic_min_isr = min_isr.find(partition->tp().topic);
    views.push_back({.tp = partition->tp(),
                     .role = partition->role(),
                     .replicas = static_cast<int32_t>(a.replicas.size()),
                     .isr = static_cast<int32_t>(a.isr.size()),
                     .min_isr = topic_min_isr != min_isr.end() ? topic_min_isr->second
                                                               : options_.min_insync_replicas,
                     .log_end_offset = partition->log_end_offset(),
                     .high_watermark = partition->high_watermark()});
  }
  options_.metrics->Update(views, purgatory_.size());
}

void PartitionTable::BackgroundLoop() {
  absl::Duration next_maintenance = clock_.Monotonic() + options_.maintenance_interval;
  absl::Duration next_checkpoint = clock_.Monotonic() + options_.hw_checkpoint_interval;
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.isr_check_interval);
      if (stopping_) return;
    }
    ProposeIsrChanges();
    PublishMetrics();
    if (clock_.Monotonic() >= next_checkpoint) {
      next_checkpoint = clock_.Monotonic() + options_.hw_checkpoint_interval;
      CheckpointHighWatermarks();
    }
    if (clock_.Monotonic() >= next_maintenance) {
      next_maintenance = clock_.Monotonic() + options_.maintenance_interval;
      for (const std::shared_ptr<Partition>& partition : All()) {
        if (absl::Status s = partition->Maintain(); !s.ok()) {
          spdlog::warn("partition {}: maintenance: {}", Name(partition->tp()),
                       std::string(s.message()));
        }
      }
    }
  }
}

void PartitionTable::CheckpointHighWatermarks() {
  std::map<TopicPartition, int64_t> offsets;
  {
    absl::MutexLock lock(&mu_);
    // Partitions not reopened yet keep their checkpointed value.
    offsets = checkpointed_hw_;
  }
  for (const std::shared_ptr<Partition>& partition : All()) {
    offsets[partition->tp()] = partition->high_watermark().value();
  }
  const std::string path = absl::StrCat(options_.log_dir, "/", kReplicationOffsetCheckpoint);
  if (absl::Status s = options_.fs->WriteFileAtomically(path, FormatOffsetCheckpoint(offsets));
      !s.ok()) {
    spdlog::warn("cannot write {}: {}", path, std::string(s.message()));
  }
}

}  // namespace karst::broker::replication
