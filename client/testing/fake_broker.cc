#include "client/testing/fake_broker.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kafka/protocol/codec.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/api_versions.h"
#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/list_offsets.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/messages/produce.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"

namespace karst::client::testing {
namespace {

namespace kp = ::karst::kafka::protocol;
namespace kr = ::karst::kafka::record;

constexpr int16_t kNone = 0;
constexpr int64_t kEarliestTimestamp = -2;
constexpr int64_t kLatestTimestamp = -1;
constexpr int32_t kMaxFrameBytes = 100 << 20;

int16_t Code(kp::ErrorCode code) { return static_cast<int16_t>(code); }

std::map<int16_t, std::pair<int16_t, int16_t>> DefaultApiVersions() {
  // Fetch stops at v12 and ListOffsets at v7: later versions name topics by id, which the
  // fake does not assign. Produce starts at v3, the first with v2 record batches.
  return {{kp::ApiVersionsRequest::kApiKey, {0, 3}},  {kp::MetadataRequest::kApiKey, {0, 12}},
          {kp::ProduceRequest::kApiKey, {3, 11}},     {kp::FetchRequest::kApiKey, {4, 12}},
          {kp::ListOffsetsRequest::kApiKey, {1, 7}},  {kp::FindCoordinatorRequest::kApiKey, {0, 3}},
          {kp::JoinGroupRequest::kApiKey, {0, 9}},    {kp::SyncGroupRequest::kApiKey, {0, 5}},
          {kp::HeartbeatRequest::kApiKey, {0, 4}},    {kp::LeaveGroupRequest::kApiKey, {0, 5}},
          {kp::OffsetCommitRequest::kApiKey, {0, 8}}, {kp::OffsetFetchRequest::kApiKey, {0, 7}}};
}

bool ReadExactly(int fd, size_t n, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::recv(fd, out->data() + done, n - done, 0);
    if (got > 0) {
      done += static_cast<size_t>(got);
    } else if (got == 0 || errno != EINTR) {
      return false;
    }
  }
  return true;
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EINTR) {
      return false;
    }
  }
  return true;
}

}  // namespace

// The per-API request handlers. Each records the request, then answers it.
class FakeBroker::Handlers {
 public:
  static std::string ApiVersions(FakeBroker& b, const kp::Request& request, int16_t version) {
    kp::ApiVersionsResponse response;
    for (const auto& [key, range] : b.options_.api_versions) {
      response.api_keys.push_back({key, range.first, range.second, {}});
    }
    return kp::EncodeResponse(*request.api, version, request.header.correlation_id, response);
  }

  static std::string Metadata(FakeBroker& b, const kp::Request& request,
                              const kp::MetadataRequest& body) {
    const int16_t version = request.header.api_version;
    kp::MetadataResponse response;
    response.cluster_id = "fake-cluster";
    std::unique_lock<std::mutex> lock(b.mu_);
    for (const auto& [id, port] : b.metadata_.brokers) {
      auto& broker = response.brokers.emplace_back();
      broker.node_id = id;
      broker.host = "127.0.0.1";
      broker.port = port;
    }
    if (!b.metadata_.brokers.empty()) response.controller_id = b.metadata_.brokers.begin()->first;
    std::vector<std::string> names;
    // v0 asks for every topic with an empty list, v1+ with a null one.
    if (!body.topics.has_value() || (version == 0 && body.topics->empty())) {
      for (const auto& [name, partitions] : b.metadata_.topics) names.push_back(name);
    } else {
      for (const auto& t : *body.topics) names.push_back(t.name.value_or(""));
    }
    for (const std::string& name : names) {
      auto& topic = response.topics.emplace_back();
      topic.name = name;
      auto it = b.metadata_.topics.find(name);
      topic.error_code = b.TakeInjectedError(kp::MetadataRequest::kApiKey, name, -1);
      if (it == b.metadata_.topics.end()) {
        if (topic.error_code == kNone)
          topic.error_code = Code(kp::ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
      if (topic.error_code != kNone) continue;
      for (size_t i = 0; i < it->second.size(); ++i) {
        const FakePartition& fp = it->second[i];
        auto& p = topic.partitions.emplace_back();
        p.partition_index = static_cast<int32_t>(i);
        p.leader_id = fp.leader;
        p.leader_epoch = fp.leader_epoch;
        p.replica_nodes =
            fp.replicas.empty() && fp.leader >= 0 ? std::vector<int32_t>{fp.leader} : fp.replicas;
        p.isr_nodes = p.replica_nodes;
        if (fp.leader < 0) p.error_code = Code(kp::ErrorCode::kLeaderNotAvailable);
      }
    }
    return kp::EncodeResponse(*request.api, version, request.header.correlation_id, response);
  }

  static std::string Produce(FakeBroker& b, const kp::Request& request,
                             const kp::ProduceRequest& body) {
    kp::ProduceResponse response;
    {
      std::unique_lock<std::mutex> lock(b.mu_);
      for (const auto& t : body.topic_data) {
        auto& topic = response.responses.emplace_back();
        topic.name = t.name;
        for (const auto& pd : t.partition_data) {
          auto& p = topic.partition_responses.emplace_back();
          p.index = pd.index;
          p.base_offset = -1;
          p.error_code = b.TakeInjectedError(kp::ProduceRequest::kApiKey, t.name, pd.index);
          if (p.error_code == kNone) p.error_code = b.CheckLeader(t.name, pd.index, -1);
          if (p.error_code != kNone) continue;
          absl::string_view records = pd.records.value_or(absl::string_view());
          for (;;) {
            absl::StatusOr<std::optional<absl::string_view>> batch =
                kr::NextBatch(records, static_cast<size_t>(kMaxFrameBytes));
            if (!batch.ok() || !batch->has_value()) {
              if (!batch.ok() || !records.empty()) {
                p.error_code = Code(kp::ErrorCode::kCorruptMessage);
              }
              break;
            }
            absl::StatusOr<int64_t> base = b.AppendLocked(t.name, pd.index, std::string(**batch));
            if (!base.ok()) {
              p.error_code = Code(kp::ErrorCode::kCorruptMessage);
              break;
            }
            if (p.base_offset < 0) p.base_offset = *base;
          }
          p.log_start_offset = b.logs_[{t.name, pd.index}].log_start_offset;
        }
      }
    }
    if (body.acks == 0) return "";
    return kp::EncodeResponse(*request.api, request.header.api_version,
                              request.header.correlation_id, response);
  }

  static std::string ListOffsets(FakeBroker& b, const kp::Request& request,
                                 const kp::ListOffsetsRequest& body) {
    kp::ListOffsetsResponse response;
    {
      std::unique_lock<std::mutex> lock(b.mu_);
      for (const auto& t : body.topics) {
        auto& topic = response.topics.emplace_back();
        topic.name = t.name;
        for (const auto& lp : t.partitions) {
          auto& p = topic.partitions.emplace_back();
          p.partition_index = lp.partition_index;
          p.error_code =
              b.TakeInjectedError(kp::ListOffsetsRequest::kApiKey, t.name, lp.partition_index);
          if (p.error_code == kNone) {
            p.error_code = b.CheckLeader(t.name, lp.partition_index, lp.current_leader_epoch);
          }
          if (p.error_code != kNone) continue;
          const Log& log = b.logs_[{t.name, lp.partition_index}];
          if (lp.timestamp == kEarliestTimestamp) {
            p.offset = log.log_start_offset;
          } else if (lp.timestamp == kLatestTimestamp) {
            p.offset = log.log_end_offset;
          } else {
            // The first batch holding a record at or after the timestamp.
            for (const Batch& batch : log.batches) {
              if (batch.max_timestamp >= lp.timestamp) {
                p.offset = batch.base_offset;
                p.timestamp = batch.max_timestamp;
                break;
              }
            }
          }
          if (p.offset >= 0) p.leader_epoch = b.LeaderEpochLocked(t.name, lp.partition_index);
        }
      }
    }
    return kp::EncodeResponse(*request.api, request.header.api_version,
                              request.header.correlation_id, response);
  }

  // Serves at most partition_max_bytes per partition and max_bytes in all, but always the
  // first batch found (KIP-74), and waits up to max_wait_ms for min_bytes to arrive.
  static std::string Fetch(FakeBroker& b, const kp::Request& request,
                           const kp::FetchRequest& body) {
    std::unique_lock<std::mutex> lock(b.mu_);
    // Errors (injected or leadership) are decided once and answered at once, as Kafka does.
    std::map<std::pair<std::string, int32_t>, int16_t> errors;
    bool any_error = false;
    for (const auto& t : body.topics) {
      for (const auto& fp : t.partitions) {
        int16_t error = b.TakeInjectedError(kp::FetchRequest::kApiKey, t.topic, fp.partition);
        if (error == kNone) error = b.CheckLeader(t.topic, fp.partition, fp.current_leader_epoch);
        any_error |= error != kNone;
        errors[{t.topic, fp.partition}] = error;
      }
    }
    const absl::Duration deadline = b.clock_.Monotonic() + absl::Milliseconds(body.max_wait_ms);
    kp::FetchResponse response;
    std::deque<std::string> buffers;  // The records in `response` view these.
    for (;;) {
      response = kp::FetchResponse();
      buffers.clear();
      int64_t total = 0;
      const int64_t appends = b.appends_;
      for (const auto& t : body.topics) {
        auto& topic = response.responses.emplace_back();
        topic.topic = t.topic;
        for (const auto& fp : t.partitions) {
          auto& p = topic.partitions.emplace_back();
          p.partition_index = fp.partition;
          p.error_code = errors[{t.topic, fp.partition}];
          if (p.error_code != kNone) {
            p.high_watermark = -1;
            continue;
          }
          const Log& log = b.logs_[{t.topic, fp.partition}];
          p.high_watermark = log.log_end_offset;
          p.last_stable_offset = log.log_end_offset;
          p.log_start_offset = log.log_start_offset;
          if (fp.fetch_offset < log.log_start_offset || fp.fetch_offset > log.log_end_offset) {
            p.error_code = Code(kp::ErrorCode::kOffsetOutOfRange);
            any_error = true;
            continue;
          }
          std::string& out = buffers.emplace_back();
          for (const Batch& batch : log.batches) {
            if (batch.last_offset < fp.fetch_offset) continue;
            const bool first = total == 0;
            if (!first && (out.size() + batch.bytes.size() >
                               static_cast<size_t>(std::max(fp.partition_max_bytes, 0)) ||
                           total + static_cast<int64_t>(batch.bytes.size()) > body.max_bytes)) {
              break;
            }
            out += batch.bytes;
            total += static_cast<int64_t>(batch.bytes.size());
          }
          p.records = absl::string_view(out);
        }
      }
      const absl::Duration left = deadline - b.clock_.Monotonic();
      if (any_error || total >= body.min_bytes || left <= absl::ZeroDuration() || b.stopping_) {
        break;
      }
      b.AwaitLocked(
          lock, [&]() { return b.appends_ != appends; }, left);
    }
    return kp::EncodeResponse(*request.api, request.header.api_version,
                              request.header.correlation_id, response);
  }
};

FakeBroker::FakeBroker(Options options, int listen_fd, int port)
    : options_(std::move(options)),
      clock_(SystemClock::Get()),
      listen_fd_(listen_fd),
      port_(port) {}

absl::StatusOr<std::unique_ptr<FakeBroker>> FakeBroker::Start(Options options) {
  if (options.api_versions.empty()) options.api_versions = DefaultApiVersions();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("fake broker: listen on 127.0.0.1: ", error));
  }
  std::unique_ptr<FakeBroker> broker(
      new FakeBroker(std::move(options), fd, ntohs(address.sin_port)));
  broker->accept_thread_ = std::thread([b = broker.get()] { b->AcceptLoop(); });
  return broker;
}

FakeBroker::~FakeBroker() { Stop(); }

void FakeBroker::Stop() {
  if (!accept_thread_.joinable()) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    changed_.notify_all();
  }
  // shutdown() wakes the blocked accept() and recv() calls; each thread then exits.
  ::shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  std::vector<std::unique_ptr<ConnectionThread>> connections;
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (const auto& c : connections_) {
      if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
    }
    connections = std::move(connections_);
  }
  for (const auto& c : connections) c->thread.join();
  ::close(listen_fd_);
}

std::string FakeBroker::address() const { return absl::StrCat("127.0.0.1:", port_); }

void FakeBroker::AcceptLoop() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) {
      if (fd >= 0) ::close(fd);
      return;
    }
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    ++accepted_;
    auto& c = connections_.emplace_back(std::make_unique<ConnectionThread>());
    c->fd = fd;
    c->thread = std::thread([this, raw = c.get()] { Serve(raw); });
  }
}

void FakeBroker::Serve(ConnectionThread* connection) {
  const int fd = connection->fd;  // Only this thread changes it (to -1, just before exit).
  std::string size;
  std::string frame;
  while (ReadExactly(fd, 4, &size)) {
    absl::StatusOr<std::optional<int32_t>> n = kp::FrameSize(size, kMaxFrameBytes);
    if (!n.ok() || !n->has_value() || !ReadExactly(fd, static_cast<size_t>(**n), &frame)) break;
    const std::optional<std::string> response = Handle(frame);
    if (!response.has_value() || !SendAll(fd, *response)) break;
  }
  std::unique_lock<std::mutex> lock(mu_);
  ::close(fd);
  connection->fd = -1;
}

std::optional<std::string> FakeBroker::Handle(const std::string& frame) {
  absl::StatusOr<kp::Request> request = kp::DecodeRequest(frame);
  if (!request.ok() || request->api == nullptr) return std::nullopt;
  const int16_t key = request->header.api_key;
  const int16_t version = request->header.api_version;
  ReceivedRequest received{
      .api_key = key, .api_version = version, .client_id = request->header.client_id};
  auto range = options_.api_versions.find(key);
  const bool served = range != options_.api_versions.end() && version >= range->second.first &&
                      version <= range->second.second;
  if (!served) {
    std::unique_lock<std::mutex> lock(mu_);
    requests_.push_back(std::move(received));
    changed_.notify_all();
    // KIP-511: ApiVersions never closes; any other unserved version closes, as Kafka does.
    if (key == kp::ApiVersionsRequest::kApiKey && range != options_.api_versions.end()) {
      return kp::EncodeApiVersionsUnsupported(request->header.correlation_id);
    }
    return std::nullopt;
  }
  kp::MetadataRequest metadata;
  kp::ProduceRequest produce;
  kp::FetchRequest fetch;
  kp::ListOffsetsRequest list_offsets;
  absl::Status decoded = absl::OkStatus();
  switch (key) {
    case kp::MetadataRequest::kApiKey:
      decoded = kp::DecodeBody(*request, &metadata);
      if (metadata.topics.has_value()) {
        received.metadata_topics.emplace();
        for (const auto& t : *metadata.topics)
          received.metadata_topics->push_back(t.name.value_or(""));
      }
      break;
    case kp::ProduceRequest::kApiKey:
      decoded = kp::DecodeBody(*request, &produce);
      received.acks = produce.acks;
      for (const auto& t : produce.topic_data) {
        for (const auto& p : t.partition_data) {
          absl::string_view records = p.records.value_or(absl::string_view());
          while (true) {
            absl::StatusOr<std::optional<absl::string_view>> batch =
                kr::NextBatch(records, static_cast<size_t>(kMaxFrameBytes));
            if (!batch.ok() || !batch->has_value()) break;
            absl::StatusOr<kr::BatchHeader> header = kr::ParseBatchHeader(**batch);
            received.produced.push_back({t.name, p.index, header.ok() ? header->record_count : -1});
          }
        }
      }
      break;
    case kp::FetchRequest::kApiKey:
      decoded = kp::DecodeBody(*request, &fetch);
      received.max_wait_ms = fetch.max_wait_ms;
      received.min_bytes = fetch.min_bytes;
      received.max_bytes = fetch.max_bytes;
      for (const auto& t : fetch.topics) {
        for (const auto& p : t.partitions) {
          received.fetched.push_back({t.topic, p.partition, p.fetch_offset, p.partition_max_bytes,
                                      p.current_leader_epoch});
        }
      }
      break;
    case kp::ListOffsetsRequest::kApiKey:
      decoded = kp::DecodeBody(*request, &list_offsets);
      for (const auto& t : list_offsets.topics) {
        for (const auto& p : t.partitions) {
          received.listed.push_back({t.name, p.partition_index, p.timestamp});
        }
      }
      break;
    default:
      break;
  }
  absl::Duration delay;
  {
    std::unique_lock<std::mutex> lock(mu_);
    requests_.push_back(std::move(received));
    changed_.notify_all();
    if (!decoded.ok()) return std::nullopt;
    if (auto it = closes_.find(key); it != closes_.end() && it->second > 0) {
      --it->second;
      return std::nullopt;
    }
    if (auto it = delays_.find(key); it != delays_.end() && it->second.second > 0) {
      --it->second.second;
      delay = it->second.first;
    }
  }
  if (RawHandler scripted = ScriptedHandler(key); scripted) return scripted(*request);
  std::string response;
  switch (key) {
    case kp::ApiVersionsRequest::kApiKey:
      response = Handlers::ApiVersions(*this, *request, version);
      break;
    case kp::MetadataRequest::kApiKey:
      response = Handlers::Metadata(*this, *request, metadata);
      break;
    case kp::ProduceRequest::kApiKey:
      response = Handlers::Produce(*this, *request, produce);
      break;
    case kp::FetchRequest::kApiKey:
      response = Handlers::Fetch(*this, *request, fetch);
      break;
    case kp::ListOffsetsRequest::kApiKey:
      response = Handlers::ListOffsets(*this, *request, list_offsets);
      break;
    default: {
      std::shared_ptr<FakeGroupCoordinator> group;
      {
        std::unique_lock<std::mutex> lock(mu_);
        group = group_coordinator_;
      }
      // Advertised in Options but not served by the fake: close.
      if (group == nullptr) return std::nullopt;
      std::optional<std::string> answer = group->Handle(options_.node_id, *request);
      if (!answer.has_value()) return std::nullopt;
      response = *std::move(answer);
    }
  }
  if (delay > absl::ZeroDuration()) {
    std::unique_lock<std::mutex> lock(mu_);
    AwaitLocked(
        lock, [] { return false; }, delay);
  }
  return response;
}

template <typename Predicate>
bool FakeBroker::AwaitLocked(std::unique_lock<std::mutex>& lock, Predicate ready,
                             absl::Duration timeout) const {
  const absl::Duration deadline = clock_.Monotonic() + timeout;
  while (!ready()) {
    const absl::Duration left = deadline - clock_.Monotonic();
    if (stopping_ || left <= absl::ZeroDuration()) return false;
    changed_.wait_for(lock, absl::ToChronoNanoseconds(left));
  }
  return true;
}

int16_t FakeBroker::TakeInjectedError(int16_t api_key, const std::string& topic,
                                      int32_t partition) {
  for (Injection& i : injections_) {
    if (i.remaining > 0 && i.api_key == api_key && i.topic == topic &&
        (i.partition == partition || api_key == kp::MetadataRequest::kApiKey)) {
      --i.remaining;
      return i.error_code;
    }
  }
  return kNone;
}

int16_t FakeBroker::CheckLeader(const std::string& topic, int32_t partition,
                                int32_t leader_epoch) const {
  auto it = metadata_.topics.find(topic);
  if (it == metadata_.topics.end() || partition < 0 ||
      static_cast<size_t>(partition) >= it->second.size()) {
    return Code(kp::ErrorCode::kUnknownTopicOrPartition);
  }
  const FakePartition& p = it->second[static_cast<size_t>(partition)];
  if (p.leader != options_.node_id) return Code(kp::ErrorCode::kNotLeaderOrFollower);
  // KIP-320: a client's epoch older than the leader's is fenced; a newer one is unknown here.
  if (leader_epoch >= 0 && leader_epoch < p.leader_epoch) {
    return Code(kp::ErrorCode::kFencedLeaderEpoch);
  }
  if (leader_epoch > p.leader_epoch) return Code(kp::ErrorCode::kUnknownLeaderEpoch);
  return kNone;
}

int32_t FakeBroker::LeaderEpochLocked(const std::string& topic, int32_t partition) const {
  auto it = metadata_.topics.find(topic);
  if (it == metadata_.topics.end() || partition < 0 ||
      static_cast<size_t>(partition) >= it->second.size()) {
    return -1;
  }
  return it->second[static_cast<size_t>(partition)].leader_epoch;
}

absl::StatusOr<int64_t> FakeBroker::AppendLocked(const std::string& topic, int32_t partition,
                                                 std::string batch) {
  ASSIGN_OR_RETURN(const kr::BatchHeader header, kr::ValidateBatch(batch));
  Log& log = logs_[{topic, partition}];
  const int64_t base = log.log_end_offset;
  kr::SetBaseOffset(batch.data(), base);
  const int32_t epoch = LeaderEpochLocked(topic, partition);
  if (epoch >= 0) kr::SetPartitionLeaderEpoch(batch.data(), epoch);
  log.batches.push_back({.base_offset = base,
                         .last_offset = base + header.last_offset_delta,
                         .max_timestamp = header.max_timestamp,
                         .bytes = std::move(batch)});
  log.log_end_offset = base + header.last_offset_delta + 1;
  ++appends_;
  changed_.notify_all();
  return base;
}

void FakeBroker::SetGroupCoordinator(std::shared_ptr<FakeGroupCoordinator> coordinator) {
  std::unique_lock<std::mutex> lock(mu_);
  group_coordinator_ = std::move(coordinator);
}

void FakeBroker::SetMetadata(FakeMetadata metadata) {
  std::unique_lock<std::mutex> lock(mu_);
  metadata_ = std::move(metadata);
}

FakeMetadata FakeBroker::metadata() const {
  std::unique_lock<std::mutex> lock(mu_);
  return metadata_;
}

absl::StatusOr<int64_t> FakeBroker::AppendBatch(const std::string& topic, int32_t partition,
                                                std::string batch) {
  std::unique_lock<std::mutex> lock(mu_);
  return AppendLocked(topic, partition, std::move(batch));
}

absl::StatusOr<int64_t> FakeBroker::AppendValues(const std::string& topic, int32_t partition,
                                                 const std::vector<std::string>& values) {
  kr::BatchBuilder builder({});
  // Timestamps count from 1000 by offset, so ListOffsets by time is predictable.
  for (size_t i = 0; i < values.size(); ++i) {
    builder.Add(static_cast<int64_t>(i), 1000 + static_cast<int64_t>(i), std::nullopt, values[i]);
  }
  ASSIGN_OR_RETURN(std::string batch, builder.Build());
  return AppendBatch(topic, partition, std::move(batch));
}

void FakeBroker::SetLogStartOffset(const std::string& topic, int32_t partition, int64_t offset) {
  std::unique_lock<std::mutex> lock(mu_);
  Log& log = logs_[{topic, partition}];
  std::erase_if(log.batches, [&](const Batch& b) { return b.last_offset < offset; });
  log.log_start_offset = offset;
  log.log_end_offset = std::max(log.log_end_offset, offset);
  ++appends_;
  changed_.notify_all();
}

int64_t FakeBroker::LogStartOffset(const std::string& topic, int32_t partition) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = logs_.find({topic, partition});
  return it == logs_.end() ? 0 : it->second.log_start_offset;
}

int64_t FakeBroker::LogEndOffset(const std::string& topic, int32_t partition) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = logs_.find({topic, partition});
  return it == logs_.end() ? 0 : it->second.log_end_offset;
}

std::vector<std::string> FakeBroker::Batches(const std::string& topic, int32_t partition) const {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<std::string> out;
  auto it = logs_.find({topic, partition});
  if (it == logs_.end()) return out;
  for (const Batch& b : it->second.batches) out.push_back(b.bytes);
  return out;
}

void FakeBroker::InjectError(int16_t api_key, const std::string& topic, int32_t partition,
                             int16_t error_code, int count) {
  std::unique_lock<std::mutex> lock(mu_);
  injections_.push_back({api_key, topic, partition, error_code, count});
}

void FakeBroker::DelayResponses(int16_t api_key, absl::Duration delay, int count) {
  std::unique_lock<std::mutex> lock(mu_);
  delays_[api_key] = {delay, count};
}

void FakeBroker::CloseConnectionOnNext(int16_t api_key, int count) {
  std::unique_lock<std::mutex> lock(mu_);
  closes_[api_key] = count;
}

void FakeBroker::CloseAllConnections() {
  std::unique_lock<std::mutex> lock(mu_);
  for (const auto& c : connections_) {
    if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
  }
}

std::vector<ReceivedRequest> FakeBroker::Requests() const {
  std::unique_lock<std::mutex> lock(mu_);
  return requests_;
}

std::vector<ReceivedRequest> FakeBroker::Requests(int16_t api_key) const {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<ReceivedRequest> out;
  for (const ReceivedRequest& r : requests_) {
    if (r.api_key == api_key) out.push_back(r);
  }
  return out;
}

int FakeBroker::RequestCount(int16_t api_key) const {
  std::unique_lock<std::mutex> lock(mu_);
  return static_cast<int>(
      std::count_if(requests_.begin(), requests_.end(),
                    [&](const ReceivedRequest& r) { return r.api_key == api_key; }));
}

void FakeBroker::ClearRequests() {
  std::unique_lock<std::mutex> lock(mu_);
  requests_.clear();
}

int FakeBroker::ConnectionsAccepted() const {
  std::unique_lock<std::mutex> lock(mu_);
  return accepted_;
}

absl::Status FakeBroker::WaitForRequests(int16_t api_key, int n, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto count = [&]() {
    return std::count_if(requests_.begin(), requests_.end(),
                         [&](const ReceivedRequest& r) { return r.api_key == api_key; });
  };
  if (AwaitLocked(
          lock, [&]() { return count() >= n; }, timeout)) {
    return absl::OkStatus();
  }
  const kp::ApiInfo* api = kp::FindApi(api_key);
  return absl::DeadlineExceededError(
      absl::StrCat("fake broker ", options_.node_id, ": ", count(), " ",
                   api != nullptr ? api->name : absl::StrCat("API ", api_key), " requests after ",
                   absl::FormatDuration(timeout), ", want ", n));
}

// --- Scripted handlers ---

void FakeBroker::SetRawHandler(int16_t api_key, RawHandler handler) {
  std::unique_lock<std::mutex> lock(mu_);
  scripted_[api_key] = std::move(handler);
}

FakeBroker::RawHandler FakeBroker::ScriptedHandler(int16_t api_key) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = scripted_.find(api_key);
  return it == scripted_.end() ? RawHandler() : it->second;
}

}  // namespace karst::client::testing
