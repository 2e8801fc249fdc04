#include "client/producer.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "client/kafka_error.h"
#include "client/partitioner.h"
#include "common/status_macros.h"
#include "kafka/protocol/messages/produce.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;
namespace kr = ::karst::kafka::record;

// v3 is the first Produce version carrying v2 record batches; v9 is the newest whose fields we
// need (v10+ only adds tagged leader hints).
constexpr int16_t kProduceMin = 3;
constexpr int16_t kProduceMax = 9;
// A record's bytes in a batch beyond key, value and headers (varints and deltas, at most).
constexpr size_t kRecordOverhead = 21;

size_t RecordBytes(const ProducerRecord& r) {
  size_t n = kRecordOverhead + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
  for (const auto& h : r.headers) n += h.key.size() + (h.value ? h.value->size() : 0) + 10;
  return n;
}

// Errors after which the same batch may succeed once metadata is refreshed.
bool Retriable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsNotFound(s) || absl::IsDeadlineExceeded(s);
}

}  // namespace

Producer::Producer(ProducerOptions options, Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      pool_(options_.bootstrap_servers,
            ConnectionOptions{.client_id = options_.client_id,
                              .connect_timeout = options_.request_timeout,
                              .request_timeout = options_.request_timeout},
            clock) {}

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(ProducerOptions options, Clock& clock) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("bootstrap.servers is empty");
  }
  auto producer = std::unique_ptr<Producer>(new Producer(std::move(options), clock));
  producer->pool_.set_allow_auto_topic_creation(true);
  return producer;
}

Producer::~Producer() { SendQueued(); }

absl::StatusOr<int32_t> Producer::ChoosePartition(const ProducerRecord& record) {
  if (auto it = failed_topics_.find(record.topic); it != failed_topics_.end()) return it->second;
  const absl::Duration deadline = clock_.Monotonic() + options_.delivery_timeout;
  absl::StatusOr<const TopicLayout*> layout = pool_.Layout(record.topic);
  // The Java producer likewise blocks in send() until the topic's metadata arrives.
  while (!layout.ok() && Retriable(layout.status()) && clock_.Monotonic() < deadline) {
    clock_.SleepFor(options_.retry_backoff);
    layout = pool_.Layout(record.topic);
  }
  if (!layout.ok()) {
    failed_topics_[record.topic] = layout.status();
    return layout.status();
  }
  const auto count = static_cast<int32_t>((*layout)->leaders.size());
  if (record.partition.has_value()) {
    if (*record.partition < 0 || *record.partition >= count) {
      return absl::InvalidArgumentError(absl::StrCat("topic ", record.topic, " partition ",
                                                     *record.partition, ": topic has ", count,
                                                     " partitions"));
    }
    return *record.partition;
  }
  if (record.key.has_value()) return KeyPartition(*record.key, count);
  // Sticky partitioning (KIP-480): unkeyed records fill one partition's batch; the partition
  // moves on after each send.
  auto [it, inserted] = sticky_.try_emplace(record.topic, 0);
  return it->second % count;
}

void Producer::Send(ProducerRecord record, DeliveryCallback callback) {
  absl::StatusOr<int32_t> partition = ChoosePartition(record);
  if (!partition.ok()) {
    if (first_failure_.ok()) first_failure_ = partition.status();
    callback(partition.status());
    return;
  }
  if (!record.timestamp_ms.has_value()) record.timestamp_ms = absl::ToUnixMillis(clock_.Now());
  const absl::Duration now = clock_.Monotonic();
  Queue& queue = queues_[{record.topic, *partition}];
  queue.bytes += RecordBytes(record);
  queue.records.push_back(Pending{.record = std::move(record),
                                  .callback = std::move(callback),
                                  .deadline = now + options_.delivery_timeout});
  if (!oldest_queued_.has_value()) oldest_queued_ = now;
  if (queue.bytes >= static_cast<size_t>(options_.batch_size) ||
      now - *oldest_queued_ >= options_.linger) {
    SendQueued();
  }
}

std::future<absl::StatusOr<RecordMetadata>> Producer::Send(ProducerRecord record) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<RecordMetadata>>>();
  std::future<absl::StatusOr<RecordMetadata>> future = promise->get_future();
  Send(std::move(record),
       [promise](const absl::StatusOr<RecordMetadata>& result) { promise->set_value(result); });
  return future;
}

absl::Status Producer::Flush() {
  SendQueued();
  return std::exchange(first_failure_, absl::OkStatus());
}

void Producer::SendQueued() {
  while (!queues_.empty()) {
    const bool retry = SendRound();
    for (auto& [topic, partition] : sticky_) ++partition;
    if (!retry) continue;
    std::set<std::string> topics;
    for (const auto& [key, queue] : queues_) topics.insert(key.first);
    if (topics.empty()) break;
    clock_.SleepFor(options_.retry_backoff);
    // A failed refresh shows up again as each record's error on the next round.
    absl::Status refreshed = pool_.Refresh({topics.begin(), topics.end()});
    if (!refreshed.ok()) {
      for (auto& [key, queue] : queues_) {
        for (Pending& p : queue.records) p.last_error = refreshed;
      }
    }
  }
  oldest_queued_.reset();
}

bool Producer::SendRound() {
  FailExpired();
  bool retry = false;
  std::map<int32_t, std::vector<PartitionKey>> by_leader;
  std::vector<std::pair<PartitionKey, absl::Status>> unroutable;
  for (const auto& [key, queue] : queues_) {
    absl::StatusOr<const TopicLayout*> layout = pool_.Layout(key.first);
    absl::Status error;
    if (!layout.ok()) {
      error = layout.status();
    } else if (static_cast<size_t>(key.second) >= (*layout)->leaders.size() ||
               (*layout)->leaders[static_cast<size_t>(key.second)] < 0) {
      error = absl::UnavailableError(
          absl::StrCat("LEADER_NOT_AVAILABLE: ", key.first, "-", key.second, " has no leader"));
    } else {
      by_leader[(*layout)->leaders[static_cast<size_t>(key.second)]].push_back(key);
      continue;
    }
    unroutable.emplace_back(key, error);
  }
  for (const auto& [key, error] : unroutable) {
    Retry(key, queues_[key].records.size(), error);
    retry = true;
  }
  for (const auto& [leader, partitions] : by_leader) {
    retry |= SendToLeader(leader, partitions);
  }
  return retry;
}

size_t Producer::FrontBatchCount(const Queue& queue) const {
  size_t bytes = 0;
  size_t count = 0;
  for (const Pending& p : queue.records) {
    const size_t n = RecordBytes(p.record);
    if (count > 0 && bytes + n > static_cast<size_t>(options_.batch_size)) break;
    bytes += n;
    ++count;
  }
  return count;
}

bool Producer::SendToLeader(int32_t leader, const std::vector<PartitionKey>& partitions) {
  std::map<PartitionKey, size_t> counts;
  const auto retry_all = [&](const absl::Status& error) {
    for (const PartitionKey& key : partitions) {
      Retry(key, counts.count(key) ? counts[key] : FrontBatchCount(queues_[key]), error);
    }
    return true;
  };
  absl::StatusOr<Connection*> connection = pool_.ConnectionTo(leader);
  if (!connection.ok()) return retry_all(connection.status());
  absl::StatusOr<int16_t> version =
      (*connection)->Version(kp::ProduceRequest::kApiKey, kProduceMin, kProduceMax);
  if (!version.ok()) return retry_all(version.status());

  kp::ProduceRequest request;
  request.acks = static_cast<int16_t>(options_.acks);
  request.timeout_ms = static_cast<int32_t>(absl::ToInt64Milliseconds(options_.request_timeout));
  std::vector<std::string> batches;  // Outlive `request`, which views them.
  batches.reserve(partitions.size());
  std::map<std::string, size_t> topic_index;
  for (const PartitionKey& key : partitions) {
    Queue& queue = queues_[key];
    const size_t count = FrontBatchCount(queue);
    kr::BatchBuilder builder({.compression = options_.compression});
    for (size_t i = 0; i < count; ++i) {
      const ProducerRecord& r = queue.records[i].record;
      builder.Add(static_cast<int64_t>(i), *r.timestamp_ms, r.key, r.value, r.headers);
    }
    absl::StatusOr<std::string> batch = builder.Build();
    if (!batch.ok()) {
      Complete(key, count, batch.status());
      continue;
    }
    counts[key] = count;
    batches.push_back(*std::move(batch));
    auto [it, inserted] = topic_index.try_emplace(key.first, request.topic_data.size());
    if (inserted) request.topic_data.emplace_back().name = key.first;
    auto& data = request.topic_data[it->second].partition_data.emplace_back();
    data.index = key.second;
    data.records = batches.back();
  }
  if (counts.empty()) return false;

  if (options_.acks == Acks::kNone) {
    if (absl::Status s = (*connection)->Send(request, *version); !s.ok()) {
      pool_.Drop(leader);
      return retry_all(s);
    }
    for (const auto& [key, count] : counts) Complete(key, count, int64_t{-1});
    return false;
  }
  kp::ProduceResponse response;
  if (absl::Status s = (*connection)->Call(request, *version, &response); !s.ok()) {
    pool_.Drop(leader);
    return retry_all(s);
  }
  bool retry = false;
  for (const auto& topic : response.responses) {
    for (const auto& p : topic.partition_responses) {
      auto it = counts.find({topic.name, p.index});
      if (it == counts.end()) continue;
      const absl::Status error = KafkaErrorStatus(p.error_code, p.error_message);
      if (error.ok()) {
        Complete(it->first, it->second, p.base_offset);
      } else if (Retriable(error)) {
        Retry(it->first, it->second, error);
        retry = true;
      } else {
        Complete(it->first, it->second, error);
      }
      counts.erase(it);
    }
  }
  for (const auto& [key, count] : counts) {
    Retry(key, count,
          absl::UnavailableError(
              absl::StrCat(key.first, "-", key.second, ": missing from Produce response")));
    retry = true;
  }
  return retry;
}

void Producer::Complete(const PartitionKey& key, size_t count,
                        const absl::StatusOr<int64_t>& base_offset) {
  Queue& queue = queues_[key];
  for (size_t i = 0; i < count && !queue.records.empty(); ++i) {
    Pending p = std::move(queue.records.front());
    queue.records.pop_front();
    queue.bytes -= RecordBytes(p.record);
    if (!base_offset.ok()) {
      if (first_failure_.ok()) first_failure_ = base_offset.status();
      p.callback(base_offset.status());
      continue;
    }
    p.callback(RecordMetadata{.topic = key.first,
                              .partition = key.second,
                              .offset = *base_offset < 0 ? -1 : *base_offset + int64_t(i)});
  }
  if (queue.records.empty()) queues_.erase(key);
}

void Producer::Retry(const PartitionKey& key, size_t count, const absl::Status& error) {
  auto found = queues_.find(key);
  if (found == queues_.end()) return;
  Queue& queue = found->second;
  const size_t n = std::min(count, queue.records.size());
  for (size_t i = 0; i < n; ++i) {
    queue.records[i].last_error = error;
    ++queue.records[i].attempts;
  }
  // Records past `retries` fail with the error itself; the rest wait for the next round.
  // Java's producer fails a batch as a whole; so does this, since a batch's records share
  // their attempt count.
  size_t failed = 0;
  while (failed < n && queue.records[failed].attempts > options_.retries) ++failed;
  if (failed > 0) Complete(key, failed, error);
}

void Producer::FailExpired() {
  const absl::Duration now = clock_.Monotonic();
  std::vector<PartitionKey> keys;
  for (const auto& [key, queue] : queues_) keys.push_back(key);
  for (const PartitionKey& key : keys) {
    Queue& queue = queues_[key];
    size_t expired = 0;
    while (expired < queue.records.size() && queue.records[expired].deadline <= now) ++expired;
    if (expired == 0) continue;
    const Pending& first = queue.records.front();
    Complete(key, expired,
             absl::DeadlineExceededError(absl::StrCat(
                 key.first, "-", key.second, ": delivery.timeout.ms expired after ", first.attempts,
                 " attempts", first.last_error.ok() ? "" : ": ", first.last_error.message())));
  }
}

}  // namespace karst::client
