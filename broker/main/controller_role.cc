#include "broker/main/controller_role.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "controller/leader_rebalance.h"
#include "spdlog/spdlog.h"

namespace karst {
namespace {

bool IsIpv4(const std::string& host) {
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace

absl::Status ControllerRole::Start() {
  const config::Listener* listener = nullptr;
  for (const config::Listener& l : config_.listeners) {
    for (const std::string& name : config_.controller_listener_names) {
      if (l.name == name) listener = &l;
    }
  }
  if (listener == nullptr) {
    return absl::InvalidArgumentError(
        "a controller needs a listener named in controller.listener.names");
  }
  raft::ConfState conf;
  std::map<NodeId, std::string> peers;
  for (const config::Voter& v : config_.controller_quorum_voters) {
    conf.voters.insert(v.id);
    if (v.id != config_.node_id) {
      peers[v.id] = absl::StrCat(v.address.host, ":", v.address.port);
    }
  }
  const std::string dir = config_.metadata_log_dir + "/__cluster_metadata-0";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("metadata log ", dir, ": ", ec.message()));
  }
  absl::StatusOr<std::unique_ptr<raft::RocksDbLogStore>> store =
      raft::RocksDbLogStore::Open(dir, {.initial_conf_state = conf});
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  controller_ = std::make_unique<controller::QuorumController>(controller::QuorumControllerOptions{
      .replication = {.num_partitions = config_.num_partitions,
                      .default_replication_factor = config_.default_replication_factor,
                      .unclean_leader_election_enable = config_.unclean_leader_election_enable},
      .session_timeout = absl::Milliseconds(config_.broker_session_timeout_ms),
      .seed = SeedFromEntropy(),
      .on_write = [this](absl::Duration queued, absl::Duration processed) {
        controller_metrics_.ObserveWrite(queued, processed);
      }});
  // The cluster id main() took from formatted storage: the Raft transport and the Controller
  // service both refuse other clusters' calls with it.
  service_ = std::make_unique<controller::ControllerService>(
      *controller_, controller::ControllerServiceOptions{.cluster_id = config_.cluster_id,
                                                         .log = [](const std::string& line) {
                                                           spdlog::warn("controller: {}", line);
                                                         }});
  raft::GrpcTransport::Options transport_options;
  transport_options.self = config_.node_id;
  transport_options.cluster_id = config_.cluster_id;
  transport_options.listen_address =
      absl::StrCat(listener->address.host.empty() ? "0.0.0.0" : listener->address.host, ":",
                   listener->address.port);
  transport_options.peers = peers;
  if (IsIpv4(listener->address.host) && listener->address.host != "0.0.0.0") {
    transport_options.local_address = listener->address.host;
  }
  transport_options.extra_services = {service_.get()};
  transport_ = std::make_unique<raft::GrpcTransport>(
      transport_options, [this](raft::Message m) { node_->Receive(std::move(m)); });
  // The election timeout is controller.quorum.election.timeout.ms: ten ticks of a tenth.
  const int tick_ms = std::max(1, config_.controller_quorum_election_timeout_ms / 10);
  node_ = std::make_unique<raft::Node>(
      raft::NodeOptions{.id = config_.node_id,
                        .tick_interval = absl::Milliseconds(tick_ms),
                        .election_tick = 10,
                        .heartbeat_tick = 1,
                        .on_leader_change =
                            [](NodeId leader, Term term) {
                              spdlog::info("metadata quorum: leader {} in term {}", leader.value(),
                                           term.value());
                            },
                        .metrics = &raft_metrics_},
      *store_, *controller_, *transport_);
  controller_->Attach(node_.get());
  if (absl::Status s = transport_->Start(); !s.ok()) return s;
  if (absl::Status s = node_->Start(); !s.ok()) return s;
  spdlog::info("controller listening on {} with voters {}", transport_options.listen_address,
               conf.voters.size());
  expiry_thread_ = std::thread([this] { PeriodicLoop(); });
  return absl::OkStatus();
}

void ControllerRole::PeriodicLoop() {
  const auto period =
      std::chrono::milliseconds(std::clamp(config_.broker_session_timeout_ms / 4, 1, 1000));
  SystemClock clock;
  // Kafka waits one interval before the first check, so a starting cluster settles first.
  absl::Duration next_rebalance_check =
      clock.Monotonic() + absl::Seconds(config_.leader_imbalance_check_interval_seconds);
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, period, [this] { return stopping_; })) {
    lock.unlock();
    const bool active = controller_->IsActive();
    // kUnavailable/kAborted mean leadership moved meanwhile; the next active controller
    // restarts every session anyway.
    if (absl::Status s = active ? controller_->ExpireSessions() : absl::OkStatus();
        !s.ok() && !absl::IsUnavailable(s) && !absl::IsAborted(s)) {
      spdlog::warn("broker session expiry: {}", s.ToString());
    }
    if (active && config_.auto_leader_rebalance_enable &&
        clock.Monotonic() >= next_rebalance_check) {
      next_rebalance_check =
          clock.Monotonic() + absl::Seconds(config_.leader_imbalance_check_interval_seconds);
      RebalanceLeaders();
    }
    controller_metrics_.Update(*controller_->image(), active);
    lock.lock();
  }
}

void ControllerRole::RebalanceLeaders() {
  std::vector<std::pair<std::string, int32_t>> partitions = controller::PartitionsToRebalance(
      *controller_->image(), config_.leader_imbalance_per_broker_percentage);
  if (partitions.empty()) return;
  spdlog::info("leader imbalance: electing preferred leaders of {} partitions", partitions.size());
  auto elected = controller_->ElectLeaders(partitions);
  if (!elected.ok() && !absl::IsUnavailable(elected.status()) &&
      !absl::IsAborted(elected.status())) {
    spdlog::warn("preferred leader election: {}", elected.status().ToString());
  }
}

void ControllerRole::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  // The node first: stopping it fails a session expiry waiting for its commit at once.
  if (node_) node_->Stop();
  if (expiry_thread_.joinable()) expiry_thread_.join();
  // Wake brokers' FetchMetadata long polls so the gRPC server does not wait them out.
  if (controller_) controller_->Shutdown();
  if (transport_) transport_->Stop();
  node_.reset();
  transport_.reset();
}

}  // namespace karst
