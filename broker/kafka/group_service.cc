#include "broker/kafka/group_service.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"
#include "spdlog/spdlog.h"

namespace karst::broker::kafka {
namespace {

using ::karst::kafka::protocol::ErrorCode;
namespace rec = ::karst::kafka::record;

// How long the loader reads per call, and the longest the timer thread sleeps between
// looks at the core's deadline (a FakeClock does not wake a condition variable).
constexpr size_t kLoadReadBytes = 1 << 20;
constexpr size_t kMaxLoadReadBytes = 256 << 20;
constexpr absl::Duration kTimerMaxWait = absl::Milliseconds(200);

// A random UUID as Java's UUID.randomUUID().toString() prints it.
std::string RandomUuid() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  absl::MutexLock lock(&mu);
  const uint64_t hi = ((*gen)() & ~0xF000ULL) | 0x4000ULL;
  const uint64_t lo = ((*gen)() & ~(0xC000ULL << 48)) | (0x8000ULL << 48);
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                         lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

// Kafka's GroupMetadataManager maps a failed __consumer_offsets write to the error the
// client can act on: find the coordinator again, or retry it later.
ErrorCode StoreError(ErrorCode error) {
  switch (error) {
    case ErrorCode::kNone:
      return ErrorCode::kNone;
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kKafkaStorageError:
      return ErrorCode::kNotCoordinator;
    case ErrorCode::kMessageTooLarge:
    case ErrorCode::kRecordListTooLarge:
      return ErrorCode::kUnknownServerError;
    default:  // NOT_ENOUGH_REPLICAS(_AFTER_APPEND), UNKNOWN_TOPIC_OR_PARTITION, a timeout.
      return ErrorCode::kCoordinatorNotAvailable;
  }
}

int16_t Code(ErrorCode e) { return static_cast<int16_t>(e); }

}  // namespace

struct GroupService::Delivery {
  struct Wait {
    std::shared_ptr<replication::Partition> replica;
    Offset last_offset;
    LeaderEpoch epoch;
    int32_t min_isr = 1;
  };
  std::vector<Wait> waits;
  std::vector<replication::TopicPartition> keys;
  std::vector<std::pair<Reply<kp::JoinGroupResponse>, kp::JoinGroupResponse>> joins;
  std::vector<std::pair<Reply<kp::SyncGroupResponse>, kp::SyncGroupResponse>> syncs;
  std::function<void(ErrorCode)> own;  // Sets the call's own error (if any) and replies.
  ErrorCode append_error = ErrorCode::kNone;

  // Answers everything; `error` (already mapped) replaces each response's error unless kNone.
  void Answer(ErrorCode error) {
    if (append_error != ErrorCode::kNone) error = append_error;
    for (auto& [reply, response] : joins) {
      if (error != ErrorCode::kNone && response.error_code == 0) response.error_code = Code(error);
      reply(response);
    }
    for (auto& [reply, response] : syncs) {
      if (error != ErrorCode::kNone && response.error_code == 0) {
        response.error_code = Code(error);
        response.assignment.clear();
      }
      reply(response);
    }
    if (own) own(error);
  }
};

GroupService::GroupService(GroupServiceOptions options)
    : options_(std::move(options)),
      clock_(*options_.clock),
      partitions_(*options_.partitions),
      core_([&] {
        group::GroupCoordinator::Options o = options_.coordinator;
        if (!o.new_uuid) o.new_uuid = RandomUuid;
        return o;
      }()) {}

void GroupService::Start() {
  absl::MutexLock lock(&mu_);
  if (running_) return;
  running_ = true;
  loader_ = std::thread([this] { LoaderLoop(); });
  timer_ = std::thread([this] { TimerLoop(); });
}

void GroupService::Stop() {
  std::vector<std::shared_ptr<Delivery>> deliveries;
  {
    absl::MutexLock lock(&mu_);
    if (!running_ || stopping_) return;
    stopping_ = true;
    for (auto& [p, led] : led_) {
      deliveries.push_back(WriteLocked(core_.Unload(p), nullptr));
    }
    led_.clear();
    load_queue_.clear();
  }
  if (loader_.joinable()) loader_.join();
  if (timer_.joinable()) timer_.join();
  for (auto& d : deliveries) d->Answer(ErrorCode::kNotCoordinator);
}

group::RequestId GroupService::NextRequestId() { return group::RequestId(next_request_id_++); }

void GroupService::OnImage(const controller::MetadataImage& image) {
  std::vector<std::shared_ptr<Delivery>> unloaded;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    std::map<PartitionIndex, LeaderEpoch> leading;
    auto id = image.topic_ids.find(kOffsetsTopic);
    if (id != image.topic_ids.end()) {
      const controller::TopicImage& topic = image.topics.at(id->second);
      for (const auto& [index, state] : topic.partitions) {
        if (state.leader == options_.self) leading[PartitionIndex(index)] = state.leader_epoch;
      }
    }
    for (auto it = led_.begin(); it != led_.end();) {
      auto now_led = leading.find(it->first);
      if (now_led != leading.end() && now_led->second == it->second.epoch) {
        ++it;
        continue;
      }
      spdlog::info("group coordinator: unloading {}-{}", kOffsetsTopic, it->first.value());
      unloaded.push_back(WriteLocked(core_.Unload(it->first), nullptr));
      it = led_.erase(it);
    }
    for (const auto& [p, epoch] : leading) {
      if (led_.contains(p)) continue;
      const uint64_t generation = next_generation_++;
      led_[p] = {.epoch = epoch, .generation = generation};
      core_.BeginLoad(p);
      load_queue_.push_back({.partition = p, .generation = generation});
    }
    ++changes_;
  }
  for (auto& d : unloaded) d->Answer(ErrorCode::kNotCoordinator);
}

std::shared_ptr<GroupService::Delivery> GroupService::WriteLocked(
    group::Effects fx, std::function<void(ErrorCode)> own) {
  auto d = std::make_shared<Delivery>();
  d->own = std::move(own);
  std::map<PartitionIndex, std::vector<const group::OffsetsRecord*>> by_partition;
  for (const group::OffsetsRecord& r : fx.records) by_partition[r.partition].push_back(&r);
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  const int32_t min_isr = options_.min_insync_replicas ? options_.min_insync_replicas() : 1;
  group::Effects unloaded;  // Kept apart: by_partition points into fx.records.
  for (const auto& [p, records] : by_partition) {
    const replication::TopicPartition tp{kOffsetsTopic, p.value()};
    std::shared_ptr<replication::Partition> replica = partitions_.Get(tp);
    ErrorCode error = ErrorCode::kNotLeaderOrFollower;
    std::string message;
    if (replica != nullptr) {
      rec::BatchBuilder builder({});
      int64_t offset = 0;
      for (const group::OffsetsRecord* r : records) builder.Add(offset++, now_ms, r->key, r->value);
      absl::StatusOr<std::string> batch = builder.Build();
      if (!batch.ok()) {
        error = ErrorCode::kUnknownServerError;
        message = batch.status().ToString();
      } else {
        replication::AppendOutcome out =
            replica->AppendAsLeader(*batch, -1, min_isr, options_.max_message_bytes);
        error = out.error;
        message = out.message;
        if (error == ErrorCode::kNone) {
          d->waits.push_back({.replica = replica,
                              .last_offset = out.last_offset,
                              .epoch = out.leader_epoch,
                              .min_isr = min_isr});
          d->keys.push_back(tp);
        }
      }
    }
    if (error == ErrorCode::kNone) continue;
    // The core already applied what the log does not hold: rebuild the partition from its
    // log if this broker still leads it.
    spdlog::warn("group coordinator: appending to {}-{} failed ({}{}); reloading it", kOffsetsTopic,
                 p.value(), static_cast<int>(error), message.empty() ? "" : ": " + message);
    unloaded.Append(core_.Unload(p));
    d->append_error = StoreError(error) == ErrorCode::kCoordinatorNotAvailable
                          ? ErrorCode::kCoordinatorNotAvailable
                          : ErrorCode::kNotCoordinator;
    if (auto led = led_.find(p); led != led_.end()) {
      led->second.generation = next_generation_++;
      core_.BeginLoad(p);
      load_queue_.push_back({.partition = p, .generation = led->second.generation});
    }
  }
  fx.Append(std::move(unloaded));
  for (auto& [id, response] : fx.join_responses) {
    auto it = joins_.find(id);
    if (it == joins_.end()) continue;
    d->joins.emplace_back(std::move(it->second), std::move(response));
    joins_.erase(it);
  }
  for (auto& [id, response] : fx.sync_responses) {
    auto it = syncs_.find(id);
    if (it == syncs_.end()) continue;
    d->syncs.emplace_back(std::move(it->second), std::move(response));
    syncs_.erase(it);
  }
  if (options_.metrics != nullptr) {
    for (const group::CompletedRebalance& r : fx.rebalances) options_.metrics->ObserveRebalance(r);
  }
  ++changes_;
  return d;
}

void GroupService::Deliver(std::shared_ptr<Delivery> d) {
  for (const replication::TopicPartition& tp : d->keys) partitions_.purgatory().Notify(tp);
  if (d->waits.empty()) {
    d->Answer(ErrorCode::kNone);
    return;
  }
  auto worst = std::make_shared<ErrorCode>(ErrorCode::kNone);
  std::vector<replication::TopicPartition> keys = d->keys;
  partitions_.purgatory().Add(keys, options_.commit_timeout,
                              {.try_complete =
                                   [d, worst] {
                                     for (auto it = d->waits.begin(); it != d->waits.end();) {
                                       std::optional<ErrorCode> done = it->replica->CheckReplicated(
                                           it->last_offset, it->epoch, it->min_isr);
                                       if (!done.has_value()) {
                                         ++it;
                                         continue;
                                       }
                                       if (*done != ErrorCode::kNone) *worst = StoreError(*done);
                                       it = d->waits.erase(it);
                                     }
                                     if (!d->waits.empty()) return false;
                                     d->Answer(*worst);
                                     return true;
                                   },
                               .expire = [d] { d->Answer(ErrorCode::kCoordinatorNotAvailable); }});
}

void GroupService::JoinGroup(const group::RequestMeta& meta, const kp::JoinGroupRequest& request,
                             Reply<kp::JoinGroupResponse> reply) {
  std::shared_ptr<Delivery> d;
  {
    absl::MutexLock lock(&mu_);
    group::RequestMeta m = meta;
    m.request_id = NextRequestId();
    joins_.emplace(m.request_id, std::move(reply));
    d = WriteLocked(core_.JoinGroup(m, request, clock_.Now()), nullptr);
  }
  Deliver(std::move(d));
}

void GroupService::SyncGroup(const group::RequestMeta& meta, const kp::SyncGroupRequest& request,
                             Reply<kp::SyncGroupResponse> reply) {
  std::shared_ptr<Delivery> d;
  {
    absl::MutexLock lock(&mu_);
    group::RequestMeta m = meta;
    m.request_id = NextRequestId();
    syncs_.emplace(m.request_id, std::move(reply));
    d = WriteLocked(core_.SyncGroup(m, request, clock_.Now()), nullptr);
  }
  Deliver(std::move(d));
}

kp::HeartbeatResponse GroupService::Heartbeat(const group::RequestMeta& meta,
                                              const kp::HeartbeatRequest& request) {
  absl::MutexLock lock(&mu_);
  ++changes_;
  return core_.Heartbeat(meta, request, clock_.Now());
}

void GroupService::LeaveGroup(const group::RequestMeta& meta, const kp::LeaveGroupRequest& request,
                              Reply<kp::LeaveGroupResponse> reply) {
  std::shared_ptr<Delivery> d;
  {
    absl::MutexLock lock(&mu_);
    group::Answer<kp::LeaveGroupResponse> a = core_.LeaveGroup(meta, request, clock_.Now());
    d = WriteLocked(std::move(a.effects), [response = std::move(a.response),
                                           reply = std::move(reply)](ErrorCode error) mutable {
      if (error != ErrorCode::kNone && response.error_code == 0) {
        response.error_code = Code(error);
        for (auto& m : response.members) m.error_code = Code(error);
      }
      reply(response);
    });
  }
  Deliver(std::move(d));
}

void GroupService::OffsetCommit(const group::RequestMeta& meta,
                                const kp::OffsetCommitRequest& request,
                                Reply<kp::OffsetCommitResponse> reply) {
  std::shared_ptr<Delivery> d;
  {
    absl::MutexLock lock(&mu_);
    group::Answer<kp::OffsetCommitResponse> a = core_.OffsetCommit(meta, request, clock_.Now());
    d = WriteLocked(std::move(a.effects), [response = std::move(a.response),
                                           reply = std::move(reply)](ErrorCode error) mutable {
      if (error != ErrorCode::kNone) {
        for (auto& t : response.topics) {
          for (auto& p : t.partitions) {
            if (p.error_code == 0) p.error_code = Code(error);
          }
        }
      }
      reply(response);
    });
  }
  Deliver(std::move(d));
}

kp::OffsetFetchResponse GroupService::OffsetFetch(const group::RequestMeta& meta,
                                                  const kp::OffsetFetchRequest& request) {
  absl::MutexLock lock(&mu_);
  return core_.OffsetFetch(meta, request);
}

void GroupService::OffsetDelete(const kp::OffsetDeleteRequest& request,
                                Reply<kp::OffsetDeleteResponse> reply) {
  std::shared_ptr<Delivery> d;
  {
    absl::MutexLock lock(&mu_);
    group::Answer<kp::OffsetDeleteResponse> a = core_.OffsetDelete(request);
    d = WriteLocked(std::move(a.effects), [response = std::move(a.response),
                                           reply = std::move(reply)](ErrorCode error) mutable {
      if (error != ErrorCode::kNone && response.error_code == 0) {
        response.error_code = Code(error);
        response.topics.clear();
      }
      reply(response);
    });
  }
  Deliver(std::move(d));
}

kp::DescribeGroupsResponse GroupService::DescribeGroups(const kp::DescribeGroupsRequest& request) {
  absl::MutexLock lock(&mu_);
  return core_.DescribeGroups(request);
}

kp::ListGroupsResponse GroupService::ListGroups(const kp::ListGroupsRequest& request) {
  absl::MutexLock lock(&mu_);
  return core_.ListGroups(request);
}

void GroupService::DeleteGroups(const kp::DeleteGroupsRequest& request,
                                Reply<kp::DeleteGroupsResponse> reply) {
  std::shared_ptr<Delivery> d;
  {
    absl::MutexLock lock(&mu_);
    group::Answer<kp::DeleteGroupsResponse> a = core_.DeleteGroups(request, clock_.Now());
    d = WriteLocked(std::move(a.effects), [response = std::move(a.response),
                                           reply = std::move(reply)](ErrorCode error) mutable {
      if (error != ErrorCode::kNone) {
        for (auto& r : response.results) {
          if (r.error_code == 0) r.error_code = Code(error);
        }
      }
      reply(response);
    });
  }
  Deliver(std::move(d));
}

std::vector<group::GroupSnapshot> GroupService::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return core_.Snapshot();
}

std::vector<PartitionIndex> GroupService::ActivePartitions() const {
  absl::MutexLock lock(&mu_);
  std::vector<PartitionIndex> out;
  for (const auto& [p, led] : led_) {
    if (core_.IsActive(p)) out.push_back(p);
  }
  return out;
}

void GroupService::LoaderLoop() {
  while (true) {
    LoadTask task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](GroupService* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->stopping_ || !s->load_queue_.empty();
          },
          this));
      if (stopping_) return;
      task = load_queue_.front();
      load_queue_.pop_front();
    }
    Load(task);
  }
}

void GroupService::Load(const LoadTask& task) {
  const PartitionIndex p = task.partition;
  const replication::TopicPartition tp{kOffsetsTopic, p.value()};
  auto current = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = led_.find(p);
    return !stopping_ && it != led_.end() && it->second.generation == task.generation;
  };
  std::shared_ptr<replication::Partition> replica = partitions_.Get(tp);
  if (replica == nullptr) {
    // The table opens the partition before this runs (OnImage follows ApplyImage); if it is
    // gone, leadership moved on and the next image unloads it.
    spdlog::warn("group coordinator: {}-{} is not hosted here; not loading", kOffsetsTopic,
                 p.value());
    return;
  }
  const absl::Duration start = clock_.Monotonic();
  Offset offset = replica->log_start_offset();
  int64_t records = 0;
  size_t read_bytes = kLoadReadBytes;
  while (true) {
    replication::ReadOutcome out =
        replica->Read(offset, read_bytes, replication::FetchIsolation::kLogEnd, LeaderEpoch(-1),
                      NodeId(-1), nullptr);
    if (out.error != ErrorCode::kNone) {
      spdlog::warn("group coordinator: reading {}-{} at {}: error {}", kOffsetsTopic, p.value(),
                   offset.value(), static_cast<int>(out.error));
      return;  // No longer leader: the next image unloads it.
    }
    if (offset.value() < out.log_start_offset.value()) offset = out.log_start_offset;
    absl::string_view data = out.records;
    if (data.empty()) break;
    const Offset before = offset;
    absl::MutexLock lock(&mu_);
    if (!current()) return;
    while (true) {
      absl::StatusOr<std::optional<absl::string_view>> next = rec::NextBatch(data, SIZE_MAX);
      if (!next.ok() || !next->has_value()) {
        if (!next.ok()) {
          spdlog::error("group coordinator: {}-{} at {}: {}", kOffsetsTopic, p.value(),
                        offset.value(), next.status().ToString());
          return;
        }
        break;
      }
      absl::StatusOr<rec::BatchHeader> header = rec::ParseBatchHeader(**next);
      if (!header.ok()) return;
      offset = Offset(header->last_offset() + 1);
      if (header->is_control()) continue;
      absl::StatusOr<std::vector<rec::Record>> decoded = rec::DecodeRecords(**next);
      if (!decoded.ok()) {
        spdlog::error("group coordinator: {}-{} batch at {}: {}", kOffsetsTopic, p.value(),
                      header->base_offset, decoded.status().ToString());
        continue;
      }
      for (const rec::Record& r : *decoded) {
        ++records;
        if (!r.key.has_value()) continue;
        std::optional<absl::string_view> value;
        if (r.value.has_value()) value = *r.value;
        if (absl::Status s = core_.Replay(p, *r.key, value); !s.ok()) {
          // Kafka logs and skips records it does not know (KIP-848 types).
          spdlog::warn("group coordinator: {}-{} skipping a record at {}: {}", kOffsetsTopic,
                       p.value(), header->base_offset + r.offset_delta, s.ToString());
        }
      }
    }
    if (offset == before) {  // Only part of a batch: read more at once.
      if (read_bytes >= kMaxLoadReadBytes) {
        spdlog::error("group coordinator: {}-{} has a batch above {} bytes at {}", kOffsetsTopic,
                      p.value(), kMaxLoadReadBytes, offset.value());
        return;
      }
      read_bytes *= 2;
      continue;
    }
    if (offset.value() >= out.log_end_offset.value()) break;
  }
  absl::MutexLock lock(&mu_);
  if (!current()) return;
  core_.CompleteLoad(p, clock_.Now());
  ++changes_;
  spdlog::info("group coordinator: loaded {}-{} ({} records) in {}", kOffsetsTopic, p.value(),
               records, absl::FormatDuration(clock_.Monotonic() - start));
}

void GroupService::PublishMetrics() {
  std::vector<group::GroupSnapshot> groups = Snapshot();
  options_.metrics->Publish(groups, [this](const std::string& topic, int32_t partition) {
    std::shared_ptr<replication::Partition> p = partitions_.Get({topic, partition});
    return p == nullptr ? std::nullopt : std::optional<int64_t>(p->high_watermark().value());
  });
}

void GroupService::TimerLoop() {
  absl::Duration last_published = clock_.Monotonic();
  while (true) {
    if (options_.metrics != nullptr &&
        clock_.Monotonic() - last_published >= options_.metrics_interval) {
      PublishMetrics();
      last_published = clock_.Monotonic();
    }
    std::shared_ptr<Delivery> d;
    {
      absl::MutexLock lock(&mu_);
      const uint64_t seen = changes_;
      const absl::Time deadline = core_.NextDeadline();
      const absl::Duration wait = std::min(kTimerMaxWait, deadline - clock_.Now());
      if (wait > absl::ZeroDuration()) {
        std::pair<GroupService*, uint64_t> arg(this, seen);
        mu_.AwaitWithTimeout(absl::Condition(
                                 +[](std::pair<GroupService*, uint64_t>* a) {
                                   return a->first->stopping_ || a->first->changes_ != a->second;
                                 },
                                 &arg),
                             wait);
      }
      if (stopping_) return;
      d = WriteLocked(core_.Tick(clock_.Now()), nullptr);
    }
    Deliver(std::move(d));
  }
}

}  // namespace karst::broker::kafka
