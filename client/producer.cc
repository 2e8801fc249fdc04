#include "client/producer.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "client/kafka_error.h"
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
// The batch header (61 bytes) plus the partition's framing in a Produce request.
constexpr size_t kBatchOverhead = 80;
// The I/O thread re-checks its deadlines at least this often while waiting.
constexpr absl::Duration kMaxWait = absl::Seconds(1);

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

Producer::Producer(ProducerOptions options, Clock& clock, std::unique_ptr<Partitioner> partitioner)
    : options_(std::move(options)),
      clock_(clock),
      partitioner_(std::move(partitioner)),
      pool_(options_.bootstrap_servers,
            ConnectionOptions{.client_id = options_.client_id,
                              .connect_timeout = options_.request_timeout,
                              .request_timeout = options_.request_timeout},
            clock) {}

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(
    ProducerOptions options, Clock& clock, std::unique_ptr<Partitioner> partitioner) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("bootstrap.servers is empty");
  }
  if (options.max_in_flight < 1) {
    return absl::InvalidArgumentError("max.in.flight.requests.per.connection must be >= 1");
  }
  auto producer =
      std::unique_ptr<Producer>(new Producer(std::move(options), clock, std::move(partitioner)));
  producer->pool_.set_allow_auto_topic_creation(true);
  producer->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (producer->wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  producer->io_thread_ = std::thread([p = producer.get()] { p->Run(); });
  return producer;
}

Producer::~Producer() {
  Close();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Producer::Send(ProducerRecord record, DeliveryCallback callback) {
  if (!record.timestamp_ms.has_value()) record.timestamp_ms = absl::ToUnixMillis(clock_.Now());
  const size_t bytes = RecordBytes(record);
  absl::Status refused;
  bool wake = false;
  {
    std::unique_lock lock(mu_);
    if (closing_) {
      refused =
          absl::CancelledError(absl::StrCat("topic ", record.topic, ": the producer is closed"));
    } else if (bytes + kBatchOverhead > static_cast<size_t>(options_.max_request_size)) {
      refused = absl::ResourceExhaustedError(absl::StrCat("RECORD_TOO_LARGE: a record of about ",
                                                          bytes, " bytes exceeds max.request.size ",
                                                          options_.max_request_size));
    } else {
      const auto fits = [&] {
        return closing_ || buffered_bytes_ == 0 ||
               buffered_bytes_ + bytes <= static_cast<size_t>(options_.buffer_memory);
      };
      // The condition variable waits on the system clock; max.block.ms is a real-time bound.
      if (!space_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.max_block), fits)) {
        refused = absl::ResourceExhaustedError(
            absl::StrCat("buffer.memory (", options_.buffer_memory, " bytes) stayed full for ",
                         "max.block.ms (", absl::FormatDuration(options_.max_block), ")"));
      } else if (closing_) {
        refused = absl::CancelledError("the producer is closed");
      } else {
        buffered_bytes_ += bytes;
        ++incomplete_by_epoch_[epoch_];
        incoming_.push_back(Pending{.record = std::move(record),
                                    .callback = std::move(callback),
                                    .bytes = bytes,
                                    .epoch = epoch_,
                                    .deadline = clock_.Monotonic() + options_.delivery_timeout});
        wake = std::exchange(io_waiting_, false);
      }
    }
  }
  if (!refused.ok()) {
    {
      std::lock_guard lock(mu_);
      if (first_failure_.ok()) first_failure_ = refused;
    }
    callback(refused);
    return;
  }
  if (wake) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
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
  std::unique_lock lock(mu_);
  const int64_t target = epoch_++;
  flush_epoch_ = std::max(flush_epoch_, target);
  if (std::exchange(io_waiting_, false)) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
  done_cv_.wait(lock, [&] {
    return incomplete_by_epoch_.empty() || incomplete_by_epoch_.begin()->first > target;
  });
  return std::exchange(first_failure_, absl::OkStatus());
}

void Producer::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    closing_ = true;
    io_waiting_ = false;
  }
  space_cv_.notify_all();
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  if (io_thread_.joinable()) io_thread_.join();
}

// ---- I/O thread ----

void Producer::Run() {
  for (;;) {
    std::vector<Pending> taken;
    bool closing = false;
    int64_t flush_epoch = -1;
    {
      std::lock_guard lock(mu_);
      taken.swap(incoming_);
      closing = closing_;
      flush_epoch = flush_epoch_;
    }
    Route(std::move(taken));
    RouteWaiting();
    FailExpired();
    ExpireRequests();
    absl::Duration until = SendReady(closing, flush_epoch);
    if (closing && Idle()) {
      std::lock_guard lock(mu_);
      if (incoming_.empty()) break;
      continue;
    }
    if (!unrouted_.empty() || metadata_stale_) until = std::min(until, next_metadata_attempt_);
    for (const auto& [leader, requests] : in_flight_) {
      if (!requests.empty()) until = std::min(until, requests.front().deadline);
    }
    Wait(until);
  }
}

void Producer::ExpireRequests() {
  const absl::Duration now = clock_.Monotonic();
  std::vector<int32_t> expired;
  for (const auto& [leader, requests] : in_flight_) {
    if (!requests.empty() && requests.front().deadline <= now) expired.push_back(leader);
  }
  for (int32_t leader : expired) {
    pool_.Drop(leader);
    FailInFlight(leader, absl::DeadlineExceededError(absl::StrCat(
                             "broker ", leader, ": no Produce response within request.timeout.ms (",
                             absl::FormatDuration(options_.request_timeout), ")")));
  }
}

bool Producer::Idle() const {
  if (!unrouted_.empty()) return false;
  for (const auto& [key, queue] : queues_) {
    if (!queue.records.empty()) return false;
  }
  for (const auto& [leader, requests] : in_flight_) {
    if (!requests.empty()) return false;
  }
  return true;
}

void Producer::Route(std::vector<Pending> records) {
  for (Pending& p : records) {
    // Keep Send order per topic: behind records already waiting for metadata.
    if (auto it = unrouted_.find(p.record.topic); it != unrouted_.end()) {
      it->second.push_back(std::move(p));
      continue;
    }
    RouteOne(std::move(p));
  }
}

void Producer::RouteOne(Pending pending) {
  absl::StatusOr<const TopicLayout*> layout = pool_.Layout(pending.record.topic);
  if (!layout.ok()) {
    if (!Retriable(layout.status())) {
      std::vector<Pending> one;
      one.push_back(std::move(pending));
      Fail(std::move(one), layout.status());
      return;
    }
    // The Java producer likewise waits for the topic's metadata (within max.block.ms there;
    // within delivery.timeout.ms here).
    pending.last_error = layout.status();
    unrouted_[pending.record.topic].push_back(std::move(pending));
    next_metadata_attempt_ =
        std::max(next_metadata_attempt_, clock_.Monotonic() + options_.retry_backoff);
    return;
  }
  const auto count = static_cast<int32_t>((*layout)->leaders.size());
  absl::StatusOr<int32_t> partition = ChoosePartition(pending.record, count);
  if (!partition.ok()) {
    std::vector<Pending> one;
    one.push_back(std::move(pending));
    Fail(std::move(one), partition.status());
    return;
  }
  // KIP-794: an unkeyed topic's sticky partition moves on once it took batch.size bytes, so
  // records spread over partitions (and a request to a leader carries several batches).
  if (!pending.record.partition.has_value() && !pending.record.key.has_value() &&
      partitioner_ == nullptr) {
    Sticky& sticky = sticky_[pending.record.topic];
    sticky.bytes += pending.bytes;
    if (sticky.bytes >= static_cast<size_t>(options_.batch_size)) {
      sticky.partition = (sticky.partition + 1) % count;
      sticky.bytes = 0;
    }
  }
  pending.sequence = next_sequence_++;
  Queue& queue = queues_[{pending.record.topic, *partition}];
  if (queue.records.empty()) queue.first_enqueued = clock_.Monotonic();
  queue.bytes += pending.bytes;
  queue.records.push_back(std::move(pending));
}

void Producer::RouteWaiting() {
  if (unrouted_.empty() && !metadata_stale_) return;
  const absl::Duration now = clock_.Monotonic();
  if (now < next_metadata_attempt_) return;
  next_metadata_attempt_ = now + options_.retry_backoff;
  std::set<std::string> topics;
  for (const auto& [topic, records] : unrouted_) topics.insert(topic);
  if (metadata_stale_) {
    for (const auto& [key, queue] : queues_) topics.insert(key.first);
  }
  metadata_stale_ = false;
  // Per topic, so that one missing topic does not hide the others' layouts.
  for (const std::string& topic : topics) {
    absl::Status refreshed = pool_.Refresh({topic});
    auto waiting = unrouted_.find(topic);
    if (waiting == unrouted_.end()) continue;
    if (!refreshed.ok() && Retriable(refreshed)) {
      for (Pending& p : waiting->second) p.last_error = refreshed;
      continue;
    }
    std::deque<Pending> records = std::move(waiting->second);
    unrouted_.erase(waiting);
    for (Pending& p : records) RouteOne(std::move(p));
  }
}

absl::StatusOr<int32_t> Producer::ChoosePartition(const ProducerRecord& record, int32_t count) {
  if (record.partition.has_value()) {
    if (*record.partition < 0 || *record.partition >= count) {
      return absl::InvalidArgumentError(absl::StrCat("topic ", record.topic, " partition ",
                                                     *record.partition, ": topic has ", count,
                                                     " partitions"));
    }
    return *record.partition;
  }
  if (partitioner_ != nullptr) {
    const int32_t p = partitioner_->Partition(record.topic, record.key, record.value, count);
    if (p < 0 || p >= count) {
      return absl::InvalidArgumentError(absl::StrCat("topic ", record.topic, ": partitioner chose ",
                                                     p, ", topic has ", count, " partitions"));
    }
    return p;
  }
  if (record.key.has_value()) return KeyPartition(*record.key, count);
  // Sticky partitioning (KIP-480): unkeyed records fill one partition's batch; the partition
  // moves on when that batch is sent or holds batch.size bytes (RouteOne).
  return sticky_[record.topic].partition % count;
}

absl::Duration Producer::SendReady(bool closing, int64_t flush_epoch) {
  const absl::Duration now = clock_.Monotonic();
  // When `queue`'s front batch may be sent: after any backoff, once full, flushed or lingered.
  const auto ready_at = [&](const Queue& queue) {
    if (closing || queue.records.front().epoch <= flush_epoch ||
        queue.bytes >= static_cast<size_t>(options_.batch_size)) {
      return queue.retry_after;
    }
    return std::max(queue.retry_after, queue.first_enqueued + options_.linger);
  };
  const auto ready = [&](const PartitionKey& key, const Queue& queue) {
    return !queue.records.empty() && ready_at(queue) <= now && !Muted(key);
  };
  absl::Duration next = now + kMaxWait;
  std::map<int32_t, std::vector<PartitionKey>> by_leader;
  for (auto& [key, queue] : queues_) {
    if (queue.records.empty()) continue;
    next = std::min(next, queue.records.front().deadline);
    // A partition with a batch in flight waits for its response (Wait polls for it).
    if (Muted(key)) continue;
    if (!ready(key, queue)) {
      next = std::min(next, ready_at(queue));
      continue;
    }
    absl::StatusOr<const TopicLayout*> layout = pool_.Layout(key.first);
    int32_t leader = -1;
    if (layout.ok() && static_cast<size_t>(key.second) < (*layout)->leaders.size()) {
      leader = (*layout)->leaders[static_cast<size_t>(key.second)];
    }
    if (leader < 0) {
      const absl::Status error =
          layout.ok() ? absl::UnavailableError(absl::StrCat("LEADER_NOT_AVAILABLE: ", key.first,
                                                            "-", key.second, " has no leader"))
                      : layout.status();
      for (Pending& p : queue.records) p.last_error = error;
      queue.retry_after = now + options_.retry_backoff;
      metadata_stale_ = true;
      next = std::min(next, queue.retry_after);
      continue;
    }
    by_leader[leader].push_back(key);
  }
  for (auto& [leader, partitions] : by_leader) {
    while (!partitions.empty() &&
           in_flight_[leader].size() < static_cast<size_t>(options_.max_in_flight)) {
      SendToLeader(leader, partitions);
      std::erase_if(partitions, [&](const PartitionKey& key) {
        auto it = queues_.find(key);
        return it == queues_.end() || !ready(key, it->second);
      });
    }
  }
  // Partitions still ready here wait for their leader's responses (Wait polls for them), or
  // backed off after a connection failure.
  std::erase_if(queues_, [](const auto& entry) { return entry.second.records.empty(); });
  for (const auto& [key, queue] : queues_) {
    if (queue.retry_after > now) next = std::min(next, queue.retry_after);
  }
  return next;
}

std::vector<Producer::Pending> Producer::TakeBatch(Queue& queue) {
  std::vector<Pending> batch;
  size_t bytes = kBatchOverhead;
  while (!queue.records.empty()) {
    const size_t n = queue.records.front().bytes;
    if (!batch.empty() && bytes + n > static_cast<size_t>(options_.batch_size)) break;
    bytes += n;
    queue.bytes -= n;
    batch.push_back(std::move(queue.records.front()));
    queue.records.pop_front();
  }
  queue.first_enqueued = clock_.Monotonic();
  return batch;
}

void Producer::SendToLeader(int32_t leader, const std::vector<PartitionKey>& partitions) {
  const absl::Duration now = clock_.Monotonic();
  const auto back_off = [&](const absl::Status& error) {
    for (const PartitionKey& key : partitions) {
      Queue& queue = queues_[key];
      for (Pending& p : queue.records) p.last_error = error;
      queue.retry_after = now + options_.retry_backoff;
    }
    metadata_stale_ = true;
  };
  absl::StatusOr<Connection*> connection = pool_.ConnectionTo(leader);
  if (!connection.ok()) return back_off(connection.status());
  absl::StatusOr<int16_t> version =
      (*connection)->Version(kp::ProduceRequest::kApiKey, kProduceMin, kProduceMax);
  if (!version.ok()) return back_off(version.status());

  kp::ProduceRequest request;
  request.acks = static_cast<int16_t>(options_.acks);
  request.timeout_ms = static_cast<int32_t>(absl::ToInt64Milliseconds(options_.request_timeout));
  std::vector<std::string> encoded;  // Outlive `request`, which views them.
  encoded.reserve(partitions.size());
  std::map<std::string, size_t> topic_index;
  InFlight in_flight;
  for (const PartitionKey& key : partitions) {
    std::vector<Pending> batch = TakeBatch(queues_[key]);
    if (batch.empty()) continue;
    kr::BatchBuilder builder({.compression = options_.compression});
    for (size_t i = 0; i < batch.size(); ++i) {
      const ProducerRecord& r = batch[i].record;
      builder.Add(static_cast<int64_t>(i), *r.timestamp_ms, r.key, r.value, r.headers);
    }
    absl::StatusOr<std::string> built = builder.Build();
    if (!built.ok()) {
      Fail(std::move(batch), built.status());
      continue;
    }
    // KIP-480: the next unkeyed records of this topic go to another partition.
    if (auto sticky = sticky_.find(key.first);
        sticky != sticky_.end() && sticky->second.partition == key.second) {
      ++sticky->second.partition;
      sticky->second.bytes = 0;
      if (absl::StatusOr<const TopicLayout*> layout = pool_.Layout(key.first); layout.ok()) {
        sticky->second.partition %=
            static_cast<int32_t>(std::max<size_t>(1, (*layout)->leaders.size()));
      }
    }
    encoded.push_back(*std::move(built));
    auto [it, inserted] = topic_index.try_emplace(key.first, request.topic_data.size());
    if (inserted) request.topic_data.emplace_back().name = key.first;
    auto& data = request.topic_data[it->second].partition_data.emplace_back();
    data.index = key.second;
    data.records = encoded.back();
    in_flight.batches[key] = std::move(batch);
  }
  if (in_flight.batches.empty()) return;

  if (options_.acks == Acks::kNone) {
    if (absl::Status s = (*connection)->Send(request, *version); !s.ok()) {
      pool_.Drop(leader);
      FailInFlight(leader, s);
      for (auto& [key, batch] : in_flight.batches) HandleBatchError(key, std::move(batch), s);
      return;
    }
    for (auto& [key, batch] : in_flight.batches) Complete(key, std::move(batch), int64_t{-1});
    return;
  }
  if (absl::StatusOr<int32_t> id = (*connection)->Begin(request, *version); !id.ok()) {
    pool_.Drop(leader);
    FailInFlight(leader, id.status());
    for (auto& [key, batch] : in_flight.batches) {
      HandleBatchError(key, std::move(batch), id.status());
    }
    return;
  }
  in_flight.deadline = now + options_.request_timeout;
  for (const auto& [key, batch] : in_flight.batches) ++partitions_in_flight_[key];
  in_flight_[leader].push_back(std::move(in_flight));
}

void Producer::Wait(absl::Duration until) {
  std::vector<pollfd> fds;
  std::vector<int32_t> leaders;
  fds.push_back({wake_fd_, POLLIN, 0});
  for (const auto& [leader, requests] : in_flight_) {
    if (requests.empty()) continue;
    absl::StatusOr<Connection*> connection = pool_.ConnectionTo(leader);
    if (!connection.ok() || (*connection)->fd() < 0) continue;
    fds.push_back({(*connection)->fd(), POLLIN, 0});
    leaders.push_back(leader);
  }
  {
    std::lock_guard lock(mu_);
    if (!incoming_.empty() || closing_) {
      // New work (or Close) already arrived: look at it first, but still read responses.
      until = clock_.Monotonic();
    } else {
      io_waiting_ = true;
    }
  }
  const int64_t ms = std::max<int64_t>(
      0, absl::ToInt64Milliseconds(until - clock_.Monotonic() + absl::Microseconds(999)));
  const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(ms));
  {
    std::lock_guard lock(mu_);
    io_waiting_ = false;
  }
  if (ready <= 0) return;
  if (fds[0].revents != 0) {
    uint64_t value = 0;
    [[maybe_unused]] ssize_t n = ::read(wake_fd_, &value, sizeof(value));
  }
  for (size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].revents != 0) ReadResponse(leaders[i - 1]);
  }
}

void Producer::ReadResponse(int32_t leader) {
  auto requests = in_flight_.find(leader);
  if (requests == in_flight_.end() || requests->second.empty()) return;
  absl::StatusOr<Connection*> connection = pool_.ConnectionTo(leader);
  if (!connection.ok()) return FailInFlight(leader, connection.status());
  kp::ProduceResponse response;
  absl::Status status = (*connection)->Finish(&response);
  InFlight done = std::move(requests->second.front());
  requests->second.pop_front();
  for (const auto& [key, batch] : done.batches) Landed(key);
  if (!status.ok()) {
    pool_.Drop(leader);
    for (auto& [key, batch] : done.batches) HandleBatchError(key, std::move(batch), status);
    FailInFlight(leader, status);
    return;
  }
  for (const auto& topic : response.responses) {
    for (const auto& p : topic.partition_responses) {
      auto it = done.batches.find({topic.name, p.index});
      if (it == done.batches.end()) continue;
      const absl::Status error = KafkaErrorStatus(p.error_code, p.error_message);
      if (error.ok()) {
        Complete(it->first, std::move(it->second), p.base_offset);
      } else {
        HandleBatchError(it->first, std::move(it->second), error);
      }
      done.batches.erase(it);
    }
  }
  for (auto& [key, batch] : done.batches) {
    HandleBatchError(key, std::move(batch),
                     absl::UnavailableError(absl::StrCat(key.first, "-", key.second,
                                                         ": missing from the Produce response")));
  }
}

void Producer::FailInFlight(int32_t leader, const absl::Status& error) {
  auto requests = in_flight_.find(leader);
  if (requests == in_flight_.end()) return;
  std::deque<InFlight> lost = std::move(requests->second);
  in_flight_.erase(requests);
  for (InFlight& request : lost) {
    for (auto& [key, batch] : request.batches) {
      Landed(key);
      HandleBatchError(key, std::move(batch), error);
    }
  }
}

void Producer::HandleBatchError(const PartitionKey& key, std::vector<Pending> batch,
                                const absl::Status& error) {
  if (batch.empty()) return;
  for (Pending& p : batch) {
    p.last_error = error;
    ++p.attempts;
  }
  // Java's producer fails a batch as a whole once its attempts are used up.
  if (!Retriable(error) || batch.front().attempts > options_.retries) {
    return Fail(std::move(batch), error);
  }
  metadata_stale_ = true;
  Queue& queue = queues_[key];
  if (queue.records.empty()) queue.first_enqueued = clock_.Monotonic();
  // Back before the first queued record routed after it: ahead of later records, behind
  // earlier batches that failed too (responses can fail in any order).
  auto at = std::find_if(queue.records.begin(), queue.records.end(),
                         [&](const Pending& p) { return p.sequence > batch.front().sequence; });
  for (const Pending& p : batch) queue.bytes += p.bytes;
  queue.records.insert(at, std::make_move_iterator(batch.begin()),
                       std::make_move_iterator(batch.end()));
  queue.retry_after = clock_.Monotonic() + options_.retry_backoff;
}

bool Producer::Muted(const PartitionKey& key) const {
  // Java's producer mutes a partition with a batch in flight only when max.in.flight is 1
  // (guaranteeMessageOrder); otherwise ordering on retries needs idempotence.
  return options_.max_in_flight == 1 && partitions_in_flight_.contains(key);
}

void Producer::Landed(const PartitionKey& key) {
  auto it = partitions_in_flight_.find(key);
  if (it != partitions_in_flight_.end() && --it->second <= 0) partitions_in_flight_.erase(it);
}

void Producer::Complete(const PartitionKey& key, std::vector<Pending> batch,
                        const absl::StatusOr<int64_t>& base_offset) {
  if (!base_offset.ok()) return Fail(std::move(batch), base_offset.status());
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].callback(
        RecordMetadata{.topic = key.first,
                       .partition = key.second,
                       .offset = *base_offset < 0 ? -1 : *base_offset + static_cast<int64_t>(i)});
  }
  Release(batch, absl::OkStatus());
}

void Producer::Fail(std::vector<Pending> records, const absl::Status& error) {
  for (Pending& p : records) p.callback(error);
  Release(records, error);
}

void Producer::Release(const std::vector<Pending>& records, const absl::Status& first_error) {
  if (records.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (const Pending& p : records) {
      buffered_bytes_ -= p.bytes;
      auto it = incomplete_by_epoch_.find(p.epoch);
      if (--it->second == 0) incomplete_by_epoch_.erase(it);
    }
    if (!first_error.ok() && first_failure_.ok()) first_failure_ = first_error;
  }
  space_cv_.notify_all();
  done_cv_.notify_all();
}

void Producer::FailExpired() {
  const absl::Duration now = clock_.Monotonic();
  const auto expiry = [&](const std::string& what, const Pending& first) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": delivery.timeout.ms expired after ", first.attempts, " attempts",
                     first.last_error.ok() ? "" : ": ", first.last_error.message()));
  };
  for (auto& [key, queue] : queues_) {
    std::vector<Pending> expired;
    while (!queue.records.empty() && queue.records.front().deadline <= now) {
      queue.bytes -= queue.records.front().bytes;
      expired.push_back(std::move(queue.records.front()));
      queue.records.pop_front();
    }
    if (expired.empty()) continue;
    const absl::Status error = expiry(absl::StrCat(key.first, "-", key.second), expired.front());
    Fail(std::move(expired), error);
  }
  for (auto it = unrouted_.begin(); it != unrouted_.end();) {
    std::vector<Pending> expired;
    while (!it->second.empty() && it->second.front().deadline <= now) {
      expired.push_back(std::move(it->second.front()));
      it->second.pop_front();
    }
    if (!expired.empty()) {
      const absl::Status error = expiry(absl::StrCat("topic ", it->first), expired.front());
      Fail(std::move(expired), error);
    }
    it = it->second.empty() ? unrouted_.erase(it) : std::next(it);
  }
}

}  // namespace karst::client
