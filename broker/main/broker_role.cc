#include "broker/main/broker_role.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/metadata/broker_configs.h"
#include "spdlog/spdlog.h"

namespace karst {
namespace {

constexpr absl::Duration kControlledShutdownBudget = absl::Seconds(2);

bool IsControllerListener(const config::ServerConfig& config, const std::string& name) {
  return std::find(config.controller_listener_names.begin(), config.controller_listener_names.end(),
                   name) != config.controller_listener_names.end();
}

// The address this node's outgoing connections come from: the inter-broker listener's host
// when it is a specific IPv4 address (each test node has its own 127.x address, and links are
// cut by address), else whatever the kernel picks.
std::string SourceAddress(const config::ServerConfig& c) {
  for (const config::Listener& l : c.listeners) {
    if (l.name != c.inter_broker_listener_name) continue;
    in_addr parsed;
    if (l.address.host != "0.0.0.0" && inet_pton(AF_INET, l.address.host.c_str(), &parsed) == 1) {
      return l.address.host;
    }
  }
  return "";
}

storage::LogOptions LogDefaults(const config::ServerConfig& c) {
  storage::LogOptions o;
  o.segment_bytes = c.log_segment_bytes;
  o.segment_ms = c.log_roll_ms;
  o.index_interval_bytes = c.log_index_interval_bytes;
  o.retention_ms = c.log_retention_ms;
  o.retention_bytes = c.log_retention_bytes;
  o.flush_messages = c.log_flush_interval_messages;
  o.flush_ms = c.log_flush_interval_ms.value_or(INT64_MAX);
  const auto& policy = c.log_cleanup_policy;
  const bool compact = std::find(policy.begin(), policy.end(), "compact") != policy.end();
  const bool del = std::find(policy.begin(), policy.end(), "delete") != policy.end();
  o.cleanup_policy = compact && del ? storage::CleanupPolicy::kCompactAndDelete
                     : compact      ? storage::CleanupPolicy::kCompact
                                    : storage::CleanupPolicy::kDelete;
  return o;
}

// The keys set anywhere but Kafka's defaults, from the "key=value (origin)" lines.
std::set<std::string> SetKeys(const config::ServerConfig& c) {
  std::set<std::string> keys;
  for (const std::string& line : c.effective) {
    if (absl::EndsWith(line, " (default)")) continue;
    keys.insert(line.substr(0, line.find('=')));
  }
  return keys;
}

// The static configs DescribeConfigs shows for this broker (the ones Kafka users look at).
std::map<std::string, broker::kafka::StaticConfig> StaticConfigs(const config::ServerConfig& c) {
  const std::set<std::string> set = SetKeys(c);
  std::map<std::string, broker::kafka::StaticConfig> out;
  // Kafka's ConfigType codes.
  constexpr int8_t kBoolean = 1, kString = 2, kInt = 3, kShort = 4, kLong = 5, kList = 7;
  // `aliases`: the other keys that set the same value (log.retention.hours, ...).
  auto add = [&](const std::string& key, std::string value, int8_t type,
                 std::vector<std::string> aliases = {}) {
    bool is_default = set.count(key) == 0;
    for (const std::string& alias : aliases) is_default = is_default && set.count(alias) == 0;
    out[key] = {.value = std::move(value), .is_default = is_default, .type = type};
  };
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  add("node.id", absl::StrCat(c.node_id.value()), kInt);
  add("log.dirs", absl::StrJoin(c.log_dirs, ","), kString, {"log.dir"});
  add("num.partitions", absl::StrCat(c.num_partitions), kInt);
  add("default.replication.factor", absl::StrCat(c.default_replication_factor), kInt);
  add("min.insync.replicas", absl::StrCat(c.min_insync_replicas), kInt);
  add("auto.create.topics.enable", flag(c.auto_create_topics_enable), kBoolean);
  add("delete.topic.enable", flag(c.delete_topic_enable), kBoolean);
  add("unclean.leader.election.enable", flag(c.unclean_leader_election_enable), kBoolean);
  add("log.retention.ms", absl::StrCat(c.log_retention_ms), kLong,
      {"log.retention.minutes", "log.retention.hours"});
  add("log.retention.bytes", absl::StrCat(c.log_retention_bytes), kLong);
  add("log.segment.bytes", absl::StrCat(c.log_segment_bytes), kInt);
  add("log.roll.ms", absl::StrCat(c.log_roll_ms), kLong, {"log.roll.hours"});
  add("log.cleanup.policy", absl::StrJoin(c.log_cleanup_policy, ","), kList);
  add("log.flush.interval.messages", absl::StrCat(c.log_flush_interval_messages), kLong);
  if (c.log_flush_interval_ms.has_value()) {
    add("log.flush.interval.ms", absl::StrCat(*c.log_flush_interval_ms), kLong);
  }
  add("log.index.interval.bytes", absl::StrCat(c.log_index_interval_bytes), kInt);
  add("log.index.size.max.bytes", absl::StrCat(c.log_index_size_max_bytes), kInt);
  add("message.max.bytes", absl::StrCat(c.message_max_bytes), kInt);
  add("replica.lag.time.max.ms", absl::StrCat(c.replica_lag_time_max_ms), kLong);
  add("replica.fetch.max.bytes", absl::StrCat(c.replica_fetch_max_bytes), kInt);
  add("num.network.threads", absl::StrCat(c.num_network_threads), kInt);
  add("num.io.threads", absl::StrCat(c.num_io_threads), kInt);
  add("socket.request.max.bytes", absl::StrCat(c.socket_request_max_bytes), kInt);
  add("offsets.topic.replication.factor", absl::StrCat(c.offsets_topic_replication_factor), kShort);
  add("offsets.topic.num.partitions", absl::StrCat(c.offsets_topic_num_partitions), kInt);
  add("transaction.state.log.replication.factor",
      absl::StrCat(c.transaction_state_log_replication_factor), kShort);
  add("transaction.state.log.min.isr", absl::StrCat(c.transaction_state_log_min_isr), kInt);
  return out;
}

// Topic config defaults from the broker's settings, as Kafka derives them (LogConfig's
// synonyms: retention.ms from log.retention.ms, max.message.bytes from message.max.bytes).
std::map<std::string, std::string> TopicConfigDefaults(const config::ServerConfig& c) {
  return {
      {"cleanup.policy", absl::StrJoin(c.log_cleanup_policy, ",")},
      {"flush.messages", absl::StrCat(c.log_flush_interval_messages)},
      {"flush.ms", absl::StrCat(c.log_flush_interval_ms.value_or(INT64_MAX))},
      {"index.interval.bytes", absl::StrCat(c.log_index_interval_bytes)},
      {"max.message.bytes", absl::StrCat(c.message_max_bytes)},
      {"min.insync.replicas", absl::StrCat(c.min_insync_replicas)},
      {"retention.bytes", absl::StrCat(c.log_retention_bytes)},
      {"retention.ms", absl::StrCat(c.log_retention_ms)},
      {"segment.bytes", absl::StrCat(c.log_segment_bytes)},
      {"segment.index.bytes", absl::StrCat(c.log_index_size_max_bytes)},
      {"segment.ms", absl::StrCat(c.log_roll_ms)},
      {"unclean.leader.election.enable", c.unclean_leader_election_enable ? "true" : "false"},
  };
}

}  // namespace

BrokerRole::BrokerRole(const config::ServerConfig& config, prometheus::Registry& registry)
    : config_(config),
      broker_metrics_(registry),
      group_metrics_(registry),
      replication_metrics_(registry) {}

std::shared_ptr<const controller::MetadataImage> BrokerRole::image() const {
  return lifecycle_->image();
}

bool BrokerRole::Ready() const {
  if (!started_) return false;
  const int64_t epoch = lifecycle_->broker_epoch();
  return epoch >= 0 && !lifecycle_->fenced() && lifecycle_->image()->offset >= epoch;
}

uint16_t BrokerRole::port(const std::string& listener_name) const {
  return server_ != nullptr ? server_->port(listener_name) : 0;
}

absl::Status BrokerRole::Start() {
  if (config_.log_dirs.empty()) return absl::InvalidArgumentError("a broker needs log.dirs");
  if (config_.controller_quorum_voters.empty()) {
    return absl::InvalidArgumentError(
        "a broker needs controller.quorum.voters to find the controllers");
  }
  broker::kafka::ServerOptions server_options{
      .max_request_bytes = config_.socket_request_max_bytes,
      .connections_max_idle = absl::Milliseconds(config_.connections_max_idle_ms),
      .network_threads = config_.num_network_threads,
      .handler_threads = config_.num_io_threads,
      .max_queued_requests_per_connection = config_.queued_max_requests};
  for (const config::Listener& l : config_.listeners) {
    if (IsControllerListener(config_, l.name)) continue;
    server_options.listeners.push_back({l.name, l.address.host, l.address.port});
  }
  if (server_options.listeners.empty()) {
    return absl::InvalidArgumentError("a broker needs a Kafka listener in listeners");
  }
  std::vector<controller::Endpoint> endpoints;
  for (const config::Listener& l : config_.advertised_listeners) {
    if (IsControllerListener(config_, l.name)) continue;
    // TODO(#11): listener.security.protocol.map; PLAINTEXT is the only protocol so far.
    endpoints.push_back({.name = l.name,
                         .host = l.address.host,
                         .port = l.address.port,
                         .security_protocol = "PLAINTEXT"});
  }

  broker::ControllerClientOptions client_options{
      .cluster_id = config_.cluster_id, .clock = &clock_, .local_address = SourceAddress(config_)};
  for (const config::Voter& v : config_.controller_quorum_voters) {
    client_options.voters.push_back({v.id, v.address.host, v.address.port});
  }
  controller_ = std::make_unique<broker::ControllerClient>(std::move(client_options));

  broker::replication::PartitionTableOptions table_options{
      .self = config_.node_id,
      .log_dir = config_.log_dirs.front(),
      .log_defaults = LogDefaults(config_),
      .inter_broker_listener = config_.inter_broker_listener_name,
      .replica_lag_time_max = absl::Milliseconds(config_.replica_lag_time_max_ms),
      .hw_checkpoint_interval =
          absl::Milliseconds(config_.replica_high_watermark_checkpoint_interval_ms),
      .clock = &clock_,
      .fs = &fs_,
      .min_insync_replicas = config_.min_insync_replicas,
      .metrics = &replication_metrics_,
      .alter_partition = [this](const broker::replication::IsrProposal& proposal) {
        controller_rpc::AlterPartitionRequest request;
        request.set_broker_id(config_.node_id.value());
        request.set_topic_id(proposal.topic_id);
        request.set_partition(proposal.partition);
        request.set_leader_epoch(proposal.leader_epoch.value());
        request.set_partition_epoch(proposal.partition_epoch);
        for (int32_t id : proposal.isr) request.add_new_isr(id);
        auto response = controller_->AlterPartition(request, absl::Seconds(10));
        if (!response.ok()) return response.status();
        if (response->error().code() != 0) {
          return absl::FailedPreconditionError(
              absl::StrCat("error ", response->error().code(), ": ", response->error().message()));
        }
        return absl::OkStatus();
      }};
  table_options.fetcher.local_address = SourceAddress(config_);
  table_options.fetcher.max_wait_ms = config_.replica_fetch_wait_max_ms;
  table_options.fetcher.partition_max_bytes = config_.replica_fetch_max_bytes;
  partitions_ = std::make_unique<broker::replication::PartitionTable>(std::move(table_options));
  partitions_->Start();

  broker::kafka::GroupServiceOptions group_options{
      .self = config_.node_id,
      .coordinator = {.offsets_topic_num_partitions = config_.offsets_topic_num_partitions,
                      .group_min_session_timeout =
                          absl::Milliseconds(config_.group_min_session_timeout_ms),
                      .group_max_session_timeout =
                          absl::Milliseconds(config_.group_max_session_timeout_ms),
                      .group_initial_rebalance_delay =
                          absl::Milliseconds(config_.group_initial_rebalance_delay_ms),
                      .group_max_size = config_.group_max_size,
                      .offsets_retention = absl::Minutes(config_.offsets_retention_minutes),
                      .offsets_retention_check_interval =
                          absl::Milliseconds(config_.offsets_retention_check_interval_ms),
                      .offset_metadata_max_bytes = config_.offset_metadata_max_bytes},
      .commit_timeout = absl::Milliseconds(config_.offsets_commit_timeout_ms),
      .clock = &clock_,
      .partitions = partitions_.get(),
      .min_insync_replicas =
          [this] {
            std::shared_ptr<const controller::MetadataImage> image = lifecycle_->image();
            return broker::kafka::TopicInt(
                *image, broker::kafka::kOffsetsTopic, "min.insync.replicas",
                static_cast<int32_t>(controller::EffectiveBrokerInt(
                    *image, config_.node_id, "min.insync.replicas", config_.min_insync_replicas)));
          },
      .max_message_bytes = config_.message_max_bytes,
      .metrics = &group_metrics_};
  groups_ = std::make_unique<broker::kafka::GroupService>(std::move(group_options));
  groups_->Start();

  lifecycle_ = std::make_unique<broker::BrokerLifecycle>(
      broker::BrokerLifecycleOptions{
          .broker_id = config_.node_id,
          .endpoints = endpoints,
          .heartbeat_interval = absl::Milliseconds(config_.broker_heartbeat_interval_ms)},
      *controller_);
  lifecycle_->SetListener([this](std::shared_ptr<const controller::MetadataImage> image) {
    partitions_->ApplyImage(*image);
    groups_->OnImage(*image);
  });

  context_.self = config_.node_id;
  context_.settings = {.cluster_id = config_.cluster_id,
                       .num_partitions = config_.num_partitions,
                       .default_replication_factor = config_.default_replication_factor,
                       .min_insync_replicas = config_.min_insync_replicas,
                       .auto_create_topics_enable = config_.auto_create_topics_enable,
                       .message_max_bytes = config_.message_max_bytes,
                       .static_configs = StaticConfigs(config_),
                       .topic_config_defaults = TopicConfigDefaults(config_)};
  for (const controller::Endpoint& e : endpoints) {
    context_.settings.advertised[e.name] = {e.host, e.port};
  }
  if (!config_.controller_listener_names.empty()) {
    context_.settings.controller_listener_name = config_.controller_listener_names.front();
  }
  context_.image = [this] { return lifecycle_->image(); };
  context_.caught_up = [this] { return Ready(); };
  context_.partitions = partitions_.get();
  context_.controller = controller_.get();
  context_.clock = &clock_;
  context_.metrics = &broker_metrics_;
  context_.groups = groups_.get();
  context_.settings.offsets_topic_num_partitions = config_.offsets_topic_num_partitions;
  context_.settings.offsets_topic_replication_factor = config_.offsets_topic_replication_factor;
  context_.settings.offsets_topic_segment_bytes = config_.offsets_topic_segment_bytes;
  context_.settings.transaction_state_log_num_partitions =
      config_.transaction_state_log_num_partitions;
  context_.settings.transaction_state_log_replication_factor =
      config_.transaction_state_log_replication_factor;
  context_.settings.transaction_state_log_min_isr = config_.transaction_state_log_min_isr;
  dispatcher_ = std::make_unique<broker::kafka::KafkaDispatcher>(context_);
  server_ = std::make_unique<broker::kafka::Server>(std::move(server_options), *dispatcher_);
  if (absl::Status s = server_->Start(); !s.ok()) {
    groups_->Stop();
    partitions_->Stop();
    return s;
  }
  if (absl::Status s = lifecycle_->Start(); !s.ok()) {
    server_->Stop();
    groups_->Stop();
    partitions_->Stop();
    return s;
  }
  started_ = true;
  for (const auto& l : server_options.listeners) {
    spdlog::info("kafka listener {} on {}:{}", l.name, l.host.empty() ? "0.0.0.0" : l.host,
                 server_->port(l.name));
  }
  return absl::OkStatus();
}

void BrokerRole::Stop() {
  if (!started_) return;
  std::call_once(stopped_, [this] {
    if (absl::Status s = lifecycle_->ControlledShutdown(kControlledShutdownBudget); !s.ok()) {
      spdlog::warn("controlled shutdown: {}", std::string(s.message()));
    }
    server_->Stop();
    lifecycle_->Stop();
    groups_->Stop();
    partitions_->Stop();
    controller_->Shutdown();
  });
}

}  // namespace karst
