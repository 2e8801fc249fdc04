#include "broker/replication/replica_fetcher.h"

#include <utility>
#include <vector>

#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/offset_for_leader_epoch.h"
#include "spdlog/spdlog.h"

namespace karst::broker::replication {
namespace {

namespace kp = ::karst::kafka::protocol;

constexpr int16_t kFetchVersion = 11;
constexpr int16_t kOffsetForLeaderEpochVersion = 3;

std::string Name(const TopicPartition& tp) { return tp.topic + "-" + std::to_string(tp.partition); }

}  // namespace

ReplicaFetcher::ReplicaFetcher(ReplicaFetcherOptions options)
    : options_(std::move(options)),
      clock_(*options_.clock),
      channel_(options_.host, options_.port,
               "karst-replica-fetcher-" + std::to_string(options_.self.value()), clock_,
               options_.local_address) {}

void ReplicaFetcher::Start() {
  absl::MutexLock lock(&mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void ReplicaFetcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_ || stopping_) return;
    stopping_ = true;
  }
  channel_.Shutdown();
  thread_.join();
}

void ReplicaFetcher::Add(std::shared_ptr<Partition> partition, LeaderEpoch epoch) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(partition->tp());
  if (it != partitions_.end() && it->second.epoch == epoch && it->second.partition == partition) {
    return;
  }
  const TopicPartition tp = partition->tp();
  partitions_[tp] = Followed{.partition = std::move(partition), .epoch = epoch};
}

void ReplicaFetcher::Remove(const TopicPartition& tp) {
  absl::MutexLock lock(&mu_);
  partitions_.erase(tp);
}

size_t ReplicaFetcher::size() const {
  absl::MutexLock lock(&mu_);
  return partitions_.size();
}

void ReplicaFetcher::WaitForWork(absl::Duration max) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), max);
}

void ReplicaFetcher::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (!Round()) WaitForWork(options_.backoff);
  }
}

bool ReplicaFetcher::Round() {
  std::map<TopicPartition, Followed> work;
  {
    absl::MutexLock lock(&mu_);
    const absl::Duration now = clock_.Monotonic();
    for (const auto& [tp, followed] : partitions_) {
      if (followed.retry_after <= now) work.emplace(tp, followed);
    }
  }
  if (work.empty()) {
    WaitForWork(absl::Milliseconds(100));
    return true;
  }
  if (!Truncate(work)) return false;
  return Fetch(work);
}

void ReplicaFetcher::MarkTruncated(const TopicPartition& tp, LeaderEpoch epoch) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it != partitions_.end() && it->second.epoch == epoch) it->second.truncating = false;
}

void ReplicaFetcher::Backoff(const TopicPartition& tp, LeaderEpoch epoch) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it != partitions_.end() && it->second.epoch == epoch) {
    it->second.retry_after = clock_.Monotonic() + options_.backoff;
  }
}

bool ReplicaFetcher::Truncate(std::map<TopicPartition, Followed>& work) {
  kp::OffsetForLeaderEpochRequest request;
  request.replica_id = options_.self.value();
  std::map<TopicPartition, LeaderEpoch> asked;
  for (auto& [tp, followed] : work) {
    if (!followed.truncating) continue;
    std::optional<LeaderEpoch> latest = followed.partition->latest_epoch();
    if (!latest.has_value()) {
      // Nothing was ever appended under an epoch here: there is nothing to diverge.
      followed.partition->TruncateTo(followed.partition->high_watermark()).IgnoreError();
      MarkTruncated(tp, followed.epoch);
      followed.truncating = false;
      continue;
    }
    if (request.topics.empty() || request.topics.back().topic != tp.topic) {
      request.topics.push_back({.topic = tp.topic});
    }
    request.topics.back().partitions.push_back({.partition = tp.partition,
                                                .current_leader_epoch = followed.epoch.value(),
                                                .leader_epoch = latest->value()});
    asked.emplace(tp, *latest);
  }
  if (asked.empty()) return true;
  kp::OffsetForLeaderEpochResponse response;
  std::string buffer;
  if (absl::Status s = channel_.Call(request, kOffsetForLeaderEpochVersion, &response, &buffer,
                                     absl::Seconds(30));
      !s.ok()) {
    spdlog::info("replica fetcher for leader {}: OffsetForLeaderEpoch: {}", options_.leader.value(),
                 std::string(s.message()));
    return false;
  }
  for (const auto& topic : response.topics) {
    for (const auto& p : topic.partitions) {
      const TopicPartition tp{topic.topic, p.partition};
      auto it = work.find(tp);
      if (it == work.end()) continue;
      Followed& followed = it->second;
      if (p.error_code != 0) {
        Backoff(tp, followed.epoch);
        continue;
      }
      // KIP-279: cut at the leader's end of the largest common epoch, bounded by where that
      // epoch ends here; with no common epoch, at the high watermark.
      Offset cut = followed.partition->high_watermark();
      if (p.leader_epoch >= 0 && p.end_offset >= 0) {
        cut = Offset(p.end_offset);
        Offset local_end = followed.partition->LocalEndOffsetForEpoch(LeaderEpoch(p.leader_epoch));
        if (local_end.value() >= 0) cut = std::min(cut, local_end);
      }
      if (cut < followed.partition->log_end_offset()) {
        spdlog::info("partition {}: truncating from {} to {} (leader {} epoch {})", Name(tp),
                     followed.partition->log_end_offset().value(), cut.value(),
                     options_.leader.value(), followed.epoch.value());
      }
      if (absl::Status s = followed.partition->TruncateTo(cut); !s.ok()) {
        spdlog::error("partition {}: truncation to {} failed: {}", Name(tp), cut.value(),
                      std::string(s.message()));
        Backoff(tp, followed.epoch);
        continue;
      }
      MarkTruncated(tp, followed.epoch);
      followed.truncating = false;
    }
  }
  return true;
}

bool ReplicaFetcher::Fetch(std::map<TopicPartition, Followed>& work) {
  kp::FetchRequest request;
  request.replica_id = options_.self.value();
  request.max_wait_ms = options_.max_wait_ms;
  request.min_bytes = 1;
  request.max_bytes = options_.max_bytes;
  for (const auto& [tp, followed] : work) {
    if (followed.truncating) continue;
    if (request.topics.empty() || request.topics.back().topic != tp.topic) {
      request.topics.push_back({.topic = tp.topic});
    }
    request.topics.back().partitions.push_back(
        {.partition = tp.partition,
         .current_leader_epoch = followed.epoch.value(),
         .fetch_offset = followed.partition->log_end_offset().value(),
         .log_start_offset = followed.partition->log_start_offset().value(),
         .partition_max_bytes = options_.partition_max_bytes});
  }
  if (request.topics.empty()) {
    WaitForWork(absl::Milliseconds(100));
    return true;
  }
  kp::FetchResponse response;
  std::string buffer;
  if (absl::Status s = channel_.Call(request, kFetchVersion, &response, &buffer,
                                     absl::Milliseconds(options_.max_wait_ms) + absl::Seconds(30));
      !s.ok()) {
    spdlog::info("replica fetcher for leader {}: fetch: {}", options_.leader.value(),
                 std::string(s.message()));
    return false;
  }
  for (const auto& topic : response.responses) {
    for (const auto& p : topic.partitions) {
      const TopicPartition tp{topic.topic, p.partition_index};
      auto it = work.find(tp);
      if (it == work.end()) continue;
      Followed& followed = it->second;
      const auto error = static_cast<ErrorCode>(p.error_code);
      absl::Status status;
      if (error == ErrorCode::kNone) {
        if (p.log_start_offset > followed.partition->log_start_offset().value()) {
          status = followed.partition->DeleteRecordsBefore(Offset(p.log_start_offset));
        }
        if (status.ok()) {
          status = followed.partition->AppendAsFollower(p.records.value_or(""),
                                                        Offset(p.high_watermark));
        }
      } else if (error == ErrorCode::kOffsetOutOfRange &&
                 followed.partition->log_end_offset().value() < p.log_start_offset) {
        // Behind the leader's log start (retention or DeleteRecords): start over there.
        status = followed.partition->DeleteRecordsBefore(Offset(p.log_start_offset));
      } else {
        spdlog::debug("partition {}: fetch from leader {}: error {}", Name(tp),
                      options_.leader.value(), p.error_code);
        Backoff(tp, followed.epoch);
        continue;
      }
      if (!status.ok()) {
        spdlog::error("partition {}: follower append failed: {}", Name(tp),
                      std::string(status.message()));
        Backoff(tp, followed.epoch);
      }
    }
  }
  return true;
}

}  // namespace karst::broker::replication
