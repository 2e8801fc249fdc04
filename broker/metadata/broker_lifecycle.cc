#include "broker/metadata/broker_lifecycle.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/random.h"
#include "controller/metadata/metadata_delta.h"

namespace karst::broker {
namespace {

namespace pb = ::karst::controller_rpc;

// Kafka's error codes a heartbeat answers when the controller no longer knows this
// registration (controller/cluster_control.cc): register again.
constexpr int32_t kStaleBrokerEpoch = 77;
constexpr int32_t kBrokerIdNotRegistered = 102;
// The controller belongs to another cluster (controller/controller_service.h).
constexpr int32_t kInconsistentClusterId = 104;

std::string NewIncarnationId(uint64_t seed) {
  SeededRandom random(seed != 0 ? seed : SeedFromEntropy());
  std::string id(16, '\0');
  for (char& c : id) c = static_cast<char>(random.Next());
  return id;
}

}  // namespace

BrokerLifecycle::BrokerLifecycle(BrokerLifecycleOptions options, ControllerClient& client)
    : options_(std::move(options)),
      client_(client),
      incarnation_id_(NewIncarnationId(options_.seed)),
      image_(std::make_shared<const controller::MetadataImage>()) {}

BrokerLifecycle::~BrokerLifecycle() { Stop(); }

void BrokerLifecycle::SetListener(ImageListener listener) { listener_ = std::move(listener); }

absl::Status BrokerLifecycle::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return absl::FailedPreconditionError("broker lifecycle already started");
  started_ = true;
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
  fetch_thread_ = std::thread([this] { FetchLoop(); });
  return absl::OkStatus();
}

void BrokerLifecycle::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  canceller_.Cancel();  // Ends a long poll or a retry in flight.
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  if (fetch_thread_.joinable()) fetch_thread_.join();
}

std::shared_ptr<const controller::MetadataImage> BrokerLifecycle::image() const {
  std::lock_guard<std::mutex> lock(mu_);
  return image_;
}

int64_t BrokerLifecycle::broker_epoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broker_epoch_;
}

bool BrokerLifecycle::fenced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fenced_;
}

bool BrokerLifecycle::WaitForImage(int64_t offset, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] {
    return stopping_ || image_->offset >= offset;
  }) && image_->offset >= offset;
}

absl::Status BrokerLifecycle::ControlledShutdown(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!started_ || stopping_) {
    return absl::FailedPreconditionError("controlled shutdown: broker lifecycle not running");
  }
  want_shutdown_ = true;
  heartbeat_now_ = true;
  cv_.notify_all();
  if (!cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                    [&] { return stopping_ || should_shutdown_; })) {
    return absl::DeadlineExceededError(
        absl::StrCat("controlled shutdown of broker ", options_.broker_id.value(),
                     ": the controller did not allow it within ", absl::FormatDuration(timeout)));
  }
  if (!should_shutdown_) {
    return absl::FailedPreconditionError("controlled shutdown: broker lifecycle stopped");
  }
  return absl::OkStatus();
}

void BrokerLifecycle::Wait(absl::Duration duration, bool wake_on_heartbeat) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoMilliseconds(duration),
               [&] { return stopping_ || (wake_on_heartbeat && heartbeat_now_); });
  if (wake_on_heartbeat) heartbeat_now_ = false;
}

void BrokerLifecycle::HeartbeatLoop() {
  while (true) {
    int64_t epoch;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      epoch = broker_epoch_;
    }
    if (epoch < 0) {
      Register();
    } else {
      Heartbeat();
    }
  }
}

void BrokerLifecycle::Register() {
  pb::RegisterBrokerRequest request;
  request.set_broker_id(options_.broker_id.value());
  request.set_incarnation_id(incarnation_id_);
  request.set_rack(options_.rack);
  for (const controller::Endpoint& e : options_.endpoints) {
    pb::Endpoint* endpoint = request.add_endpoints();
    endpoint->set_name(e.name);
    endpoint->set_host(e.host);
    endpoint->set_port(e.port);
    endpoint->set_security_protocol(e.security_protocol);
  }
  absl::StatusOr<pb::RegisterBrokerResponse> response =
      client_.RegisterBroker(request, options_.request_timeout, &canceller_);
  if (response.ok() && RefusedByCluster(response->error().code(), response->error().message())) {
    Wait(options_.heartbeat_interval, /*wake_on_heartbeat=*/false);
    return;
  }
  if (response.ok() && response->error().code() == 0) {
    AcceptedByCluster();
    {
      std::lock_guard<std::mutex> lock(mu_);
      broker_epoch_ = response->broker_epoch();
      fenced_ = true;
    }
    spdlog::info("broker {}: registered with broker epoch {}", options_.broker_id.value(),
                 response->broker_epoch());
    cv_.notify_all();
    return;  // Heartbeat at once: it may already be caught up.
  }
  if (absl::IsCancelled(response.status())) return;
  // E.g. DUPLICATE_BROKER_REGISTRATION while the previous incarnation's session lives.
  spdlog::warn("broker {}: registration failed: {}", options_.broker_id.value(),
               response.ok() ? response->error().message() : response.status().message());
  Wait(std::min(options_.heartbeat_interval, absl::Seconds(1)), /*wake_on_heartbeat=*/false);
}

void BrokerLifecycle::Heartbeat() {
  pb::BrokerHeartbeatRequest request;
  request.set_broker_id(options_.broker_id.value());
  {
    std::lock_guard<std::mutex> lock(mu_);
    request.set_broker_epoch(broker_epoch_);
    request.set_metadata_offset(image_->offset);
    request.set_want_shutdown(want_shutdown_);
  }
  absl::StatusOr<pb::BrokerHeartbeatResponse> response =
      client_.BrokerHeartbeat(request, options_.request_timeout, &canceller_);
  if (absl::IsCancelled(response.status())) return;
  if (response.ok() && RefusedByCluster(response->error().code(), response->error().message())) {
    Wait(options_.heartbeat_interval, /*wake_on_heartbeat=*/true);
    return;
  }
  if (response.ok()) {
    const int32_t code = response->error().code();
    std::lock_guard<std::mutex> lock(mu_);
    if (code == kStaleBrokerEpoch || code == kBrokerIdNotRegistered) {
      spdlog::warn("broker {}: heartbeat refused ({}); registering again",
                   options_.broker_id.value(), response->error().message());
      broker_epoch_ = -1;
      fenced_ = true;
      return;
    }
    if (code == 0) {
      fenced_ = response->is_fenced();
      should_shutdown_ = should_shutdown_ || response->should_shutdown();
    }
  }
  if (!response.ok() || response->error().code() != 0) {
    spdlog::warn("broker {}: heartbeat failed: {}", options_.broker_id.value(),
                 response.ok() ? response->error().message() : response.status().message());
  }
  cv_.notify_all();
  Wait(options_.heartbeat_interval, /*wake_on_heartbeat=*/true);
}

void BrokerLifecycle::FetchLoop() {
  bool need_snapshot = false;
  while (true) {
    pb::FetchMetadataRequest request;
    request.set_broker_id(options_.broker_id.value());
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      request.set_offset(need_snapshot ? -1 : image_->offset);
    }
    request.set_max_wait_ms(
        static_cast<int32_t>(absl::ToInt64Milliseconds(options_.fetch_max_wait)));
    absl::StatusOr<pb::FetchMetadataResponse> response = client_.FetchMetadata(
        request, options_.request_timeout + options_.fetch_max_wait, &canceller_);
    if (absl::IsCancelled(response.status())) return;
    if (response.ok() && RefusedByCluster(response->error().code(), response->error().message())) {
      Wait(options_.heartbeat_interval, /*wake_on_heartbeat=*/false);
      continue;
    }
    absl::Status folded = response.ok() ? Fold(*response) : response.status();
    if (folded.ok()) {
      AcceptedByCluster();
      need_snapshot = false;
      continue;
    }
    spdlog::warn("broker {}: following the metadata log: {}", options_.broker_id.value(),
                 folded.message());
    // A record that does not fit means this image and the controller's log disagree: start
    // again from a snapshot.
    need_snapshot = response.ok();
    Wait(options_.retry_backoff, /*wake_on_heartbeat=*/false);
  }
}

absl::Status BrokerLifecycle::Fold(const pb::FetchMetadataResponse& response) {
  if (response.error().code() != 0) {
    return absl::UnavailableError(absl::StrCat("FetchMetadata: ", response.error().message()));
  }
  if (response.snapshot()) {
    controller::MetadataDelta delta(nullptr);
    for (const auto& record : response.snapshot_records().records()) {
      if (absl::Status s = delta.Replay(record, response.snapshot_offset()); !s.ok()) return s;
    }
    auto image = std::make_shared<controller::MetadataImage>(*delta.Apply());
    image->offset = response.snapshot_offset();  // Even for a snapshot with no records.
    Publish(std::move(image));
    return absl::OkStatus();
  }
  if (response.entries().empty()) return absl::OkStatus();  // The long poll timed out.
  controller::MetadataDelta delta(image());
  for (const pb::MetadataEntry& entry : response.entries()) {
    for (const auto& record : entry.batch().records()) {
      if (absl::Status s = delta.Replay(record, entry.offset()); !s.ok()) return s;
    }
  }
  Publish(delta.Apply());
  return absl::OkStatus();
}

bool BrokerLifecycle::RefusedByCluster(int32_t code, const std::string& message) {
  if (code != kInconsistentClusterId) return false;
  bool first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = !cluster_refused_;
    cluster_refused_ = true;
  }
  // Once per run: a wrong cluster.id would otherwise log every heartbeat and fetch.
  if (first) {
    spdlog::error(
        "broker {}: the controller refused this broker with INCONSISTENT_CLUSTER_ID: {}; check "
        "cluster.id (retrying every heartbeat interval; further refusals are not logged)",
        options_.broker_id.value(), message);
  }
  return true;
}

void BrokerLifecycle::AcceptedByCluster() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cluster_refused_) return;
    cluster_refused_ = false;
  }
  spdlog::info("broker {}: the controller accepts this broker's cluster.id again",
               options_.broker_id.value());
}

void BrokerLifecycle::Publish(std::shared_ptr<const controller::MetadataImage> image) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    image_ = image;
    // Caught up to its registration: heartbeat now rather than at the next interval, so the
    // controller unfences it without waiting (KIP-631's initial catch-up).
    if (fenced_ && broker_epoch_ >= 0 && image_->offset >= broker_epoch_) heartbeat_now_ = true;
  }
  cv_.notify_all();
  if (listener_) listener_(std::move(image));
}

}  // namespace karst::broker
