// ServerConfig: karstd's settings, with Kafka's property names and defaults wherever Kafka has
// the setting (node.id, process.roles, listeners, log.dirs, ...), typed and validated. Loaded
// once at start-up by main() and passed down as plain values; immutable afterwards.
#ifndef KARST_COMMON_CONFIG_SERVER_CONFIG_H_
#define KARST_COMMON_CONFIG_SERVER_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/config.h"
#include "common/config/config_def.h"
#include "common/strong_id.h"

namespace karst::config {

struct HostPort {
  std::string host;  // Empty: every interface.
  uint16_t port = 0;
};

// A listener from `listeners` / `advertised.listeners`: "PLAINTEXT://127.0.0.2:9092".
struct Listener {
  std::string name;
  HostPort address;
};

// A voter from `controller.quorum.voters`: "1@127.0.0.2:9093".
struct Voter {
  NodeId id;
  HostPort address;
};

enum class Role { kBroker, kController };

struct ServerConfig {
  NodeId node_id;
  // cluster.id; empty when unset. main() replaces it with the effective id (from formatted
  // storage, common/config/storage_meta.h) before any role starts.
  std::string cluster_id;
  // Where node.id and cluster.id came from ("flag --override cluster.id=b"), for messages.
  std::string node_id_origin;
  std::string cluster_id_origin;
  std::vector<Role> roles;
  std::vector<Listener> listeners;
  std::vector<Listener> advertised_listeners;  // `listeners` when unset.
  std::string inter_broker_listener_name;
  std::vector<std::string> controller_listener_names;
  std::vector<Voter> controller_quorum_voters;
  std::vector<std::string> log_dirs;  // log.dirs, or log.dir when log.dirs is unset.
  std::string metadata_log_dir;       // The first log dir when unset.

  int32_t num_partitions = 1;
  int16_t default_replication_factor = 1;
  int32_t min_insync_replicas = 1;
  bool auto_create_topics_enable = true;
  bool delete_topic_enable = true;
  bool unclean_leader_election_enable = false;
  bool auto_leader_rebalance_enable = true;
  int64_t leader_imbalance_check_interval_seconds = 300;
  int32_t leader_imbalance_per_broker_percentage = 10;

  int64_t log_retention_ms = 0;  // log.retention.ms > .minutes > .hours; -1: unlimited.
  int64_t log_retention_bytes = -1;
  int32_t log_segment_bytes = 0;
  int64_t log_roll_ms = 0;  // log.roll.ms > log.roll.hours.
  int64_t log_flush_interval_messages = 0;
  std::optional<int64_t> log_flush_interval_ms;
  int32_t log_index_interval_bytes = 0;
  int32_t log_index_size_max_bytes = 0;
  std::vector<std::string> log_cleanup_policy;
  int32_t message_max_bytes = 0;

  int64_t replica_lag_time_max_ms = 0;
  int64_t replica_high_watermark_checkpoint_interval_ms = 0;
  int32_t replica_fetch_max_bytes = 0;
  int32_t replica_fetch_wait_max_ms = 0;
  int32_t num_replica_fetchers = 1;
  int32_t num_network_threads = 0;
  int32_t num_io_threads = 0;
  int32_t socket_request_max_bytes = 0;
  int64_t connections_max_idle_ms = 0;
  int32_t queued_max_requests = 0;

  int16_t offsets_topic_replication_factor = 0;
  int32_t offsets_topic_num_partitions = 0;
  int16_t transaction_state_log_replication_factor = 0;
  int32_t transaction_state_log_min_isr = 0;
  int32_t transaction_state_log_num_partitions = 0;
  int32_t group_initial_rebalance_delay_ms = 0;
  int32_t group_min_session_timeout_ms = 0;
  int32_t group_max_session_timeout_ms = 0;
  int32_t group_max_size = 0;
  int32_t offsets_retention_minutes = 0;
  int64_t offsets_retention_check_interval_ms = 0;
  int32_t offsets_commit_timeout_ms = 0;
  int32_t offset_metadata_max_bytes = 0;
  int32_t offsets_topic_segment_bytes = 0;

  int32_t broker_heartbeat_interval_ms = 0;
  int32_t broker_session_timeout_ms = 0;
  int32_t controller_quorum_election_timeout_ms = 0;
  int32_t controller_quorum_fetch_timeout_ms = 0;

  HostPort admin_listener;  // admin.listener: /metrics, /healthz.
  std::string logger_level;
  std::string logger_pattern;

  bool HasRole(Role role) const;

  // Every key karstd accepts, with Kafka's defaults.
  static const std::vector<ConfigDef>& Defs();

  // Resolves and validates. kInvalidArgument naming the key, its source and what is allowed,
  // for everything Config::Resolve rejects and for: an unknown role, a malformed listener or
  // voter, duplicate listener names, an advertised listener with no matching listener,
  // a controller role with no voters or not among them, default.replication.factor or
  // min.insync.replicas out of order, and a cluster.id with characters other than
  // [A-Za-z0-9._-] or longer than 64.
  static absl::StatusOr<ServerConfig> Load(const Sources& sources);

  // The resolved settings, one "key=value (origin)" line each, for the start-up log.
  std::vector<std::string> effective;
};

// Parses "host:port" / "[v6]:port" / ":port"; kInvalidArgument otherwise (no key named).
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

}  // namespace karst::config

#endif  // KARST_COMMON_CONFIG_SERVER_CONFIG_H_
