#include "common/config/server_config.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace karst::config {
namespace {

absl::StatusOr<Listener> ParseListener(absl::string_view text) {
  const size_t sep = text.find("://");
  if (sep == absl::string_view::npos || sep == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a listener (expected NAME://host:port)"));
  }
  Listener listener{std::string(text.substr(0, sep)), {}};
  absl::StatusOr<HostPort> address = ParseHostPort(text.substr(sep + 3));
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not a listener: ", address.status().message()));
  }
  listener.address = *std::move(address);
  return listener;
}

absl::StatusOr<std::vector<Listener>> ParseListeners(const Config& config, absl::string_view key) {
  std::vector<Listener> listeners;
  absl::flat_hash_set<std::string> names;
  for (const std::string& item : config.GetList(key)) {
    absl::StatusOr<Listener> listener = ParseListener(item);
    if (!listener.ok()) return KeyError(config, key, listener.status().message());
    if (!names.insert(listener->name).second) {
      return KeyError(
          config, key,
          absl::StrCat("listener name ", listener->name, " appears twice; names must be unique"));
    }
    listeners.push_back(*std::move(listener));
  }
  return listeners;
}

absl::StatusOr<std::vector<Voter>> ParseVoters(const Config& config) {
  constexpr absl::string_view kKey = "controller.quorum.voters";
  std::vector<Voter> voters;
  absl::flat_hash_set<int32_t> ids;
  for (const std::string& item : config.GetList(kKey)) {
    const size_t at = item.find('@');
    int32_t id = -1;
    if (at == std::string::npos || !absl::SimpleAtoi(item.substr(0, at), &id) || id < 0) {
      return KeyError(config, kKey,
                      absl::StrCat("'", item, "' is not a voter (expected id@host:port)"));
    }
    absl::StatusOr<HostPort> address = ParseHostPort(item.substr(at + 1));
    if (!address.ok() || address->host.empty()) {
      return KeyError(config, kKey,
                      absl::StrCat("'", item, "' is not a voter (expected id@host:port)"));
    }
    if (!ids.insert(id).second) {
      return KeyError(config, kKey, absl::StrCat("voter id ", id, " appears twice"));
    }
    voters.push_back({NodeId(id), *std::move(address)});
  }
  if (voters.size() % 2 == 0 && !voters.empty()) {
    // 2k voters need k+1 for a majority, so they survive no more failures than 2k-1 do.
    return KeyError(config, kKey,
                    absl::StrCat(voters.size(), " voters is an even count: a quorum of ",
                                 voters.size(), " tolerates no more failures than one of ",
                                 voters.size() - 1, "; use an odd count"));
  }
  return voters;
}

absl::Status ResolveListeners(const Config& config, ServerConfig& out) {
  ASSIGN_OR_RETURN(out.listeners, ParseListeners(config, "listeners"));
  if (out.listeners.empty()) return KeyError(config, "listeners", "at least one is required");
  if (!config.IsSet("advertised.listeners")) {
    out.advertised_listeners = out.listeners;
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(out.advertised_listeners, ParseListeners(config, "advertised.listeners"));
  for (const Listener& advertised : out.advertised_listeners) {
    const bool found = std::any_of(out.listeners.begin(), out.listeners.end(),
                                   [&](const Listener& l) { return l.name == advertised.name; });
    if (!found) {
      return KeyError(config, "advertised.listeners",
                      absl::StrCat("listener ", advertised.name, " is not in listeners"));
    }
  }
  return absl::OkStatus();
}

absl::Status ResolveRoles(const Config& config, ServerConfig& out) {
  for (const std::string& role : config.GetList("process.roles")) {
    const Role r = role == "broker" ? Role::kBroker : Role::kController;
    if (out.HasRole(r)) {
      return KeyError(config, "process.roles", absl::StrCat("role ", role, " appears twice"));
    }
    out.roles.push_back(r);
  }
  if (out.roles.empty()) {
    return KeyError(config, "process.roles", "expected broker, controller, or both");
  }
  ASSIGN_OR_RETURN(out.controller_quorum_voters, ParseVoters(config));
  if (out.HasRole(Role::kController)) {
    const bool voter =
        std::any_of(out.controller_quorum_voters.begin(), out.controller_quorum_voters.end(),
                    [&](const Voter& v) { return v.id == out.node_id; });
    if (!voter) {
      return KeyError(config, "controller.quorum.voters",
                      absl::StrCat("a controller's node.id (", out.node_id.value(),
                                   ") must be one of the voters"));
    }
  }
  return absl::OkStatus();
}

void ResolveLog(const Config& config, ServerConfig& out) {
  out.log_dirs = config.IsSet("log.dirs") && !config.GetList("log.dirs").empty()
                     ? config.GetList("log.dirs")
                     : std::vector<std::string>{config.GetString("log.dir")};
  out.metadata_log_dir = config.IsSet("metadata.log.dir") ? config.GetString("metadata.log.dir")
                                                          : out.log_dirs.front();
  constexpr int64_t kMinute = 60 * 1000;
  auto minutes_to_ms = [](int64_t m) { return m < 0 ? -1 : m * kMinute; };
  if (config.IsSet("log.retention.ms")) {
    out.log_retention_ms = config.GetInt("log.retention.ms");
  } else if (config.IsSet("log.retention.minutes")) {
    out.log_retention_ms = minutes_to_ms(config.GetInt("log.retention.minutes"));
  } else {
    const int64_t hours = config.GetInt("log.retention.hours");
    out.log_retention_ms = hours < 0 ? -1 : hours * 60 * kMinute;
  }
  out.log_retention_bytes = config.GetInt("log.retention.bytes");
  out.log_segment_bytes = static_cast<int32_t>(config.GetInt("log.segment.bytes"));
  out.log_roll_ms = config.IsSet("log.roll.ms") ? config.GetInt("log.roll.ms")
                                                : config.GetInt("log.roll.hours") * 60 * kMinute;
  out.log_flush_interval_messages = config.GetInt("log.flush.interval.messages");
  if (config.IsSet("log.flush.interval.ms")) {
    out.log_flush_interval_ms = config.GetInt("log.flush.interval.ms");
  }
  out.log_index_interval_bytes = static_cast<int32_t>(config.GetInt("log.index.interval.bytes"));
  out.log_index_size_max_bytes = static_cast<int32_t>(config.GetInt("log.index.size.max.bytes"));
  out.log_cleanup_policy = config.GetList("log.cleanup.policy");
  out.message_max_bytes = static_cast<int32_t>(config.GetInt("message.max.bytes"));
}

int32_t I32(const Config& c, absl::string_view key) { return static_cast<int32_t>(c.GetInt(key)); }
int16_t I16(const Config& c, absl::string_view key) { return static_cast<int16_t>(c.GetInt(key)); }

void ResolveScalars(const Config& c, ServerConfig& out) {
  out.inter_broker_listener_name = c.GetString("inter.broker.listener.name");
  out.controller_listener_names = c.GetList("controller.listener.names");
  out.num_partitions = I32(c, "num.partitions");
  out.default_replication_factor = I16(c, "default.replication.factor");
  out.min_insync_replicas = I32(c, "min.insync.replicas");
  out.auto_create_topics_enable = c.GetBool("auto.create.topics.enable");
  out.delete_topic_enable = c.GetBool("delete.topic.enable");
  out.unclean_leader_election_enable = c.GetBool("unclean.leader.election.enable");
  out.auto_leader_rebalance_enable = c.GetBool("auto.leader.rebalance.enable");
  out.leader_imbalance_check_interval_seconds = c.GetInt("leader.imbalance.check.interval.seconds");
  out.leader_imbalance_per_broker_percentage = I32(c, "leader.imbalance.per.broker.percentage");
  out.replica_lag_time_max_ms = c.GetInt("replica.lag.time.max.ms");
  out.replica_high_watermark_checkpoint_interval_ms =
      c.GetInt("replica.high.watermark.checkpoint.interval.ms");
  out.replica_fetch_max_bytes = I32(c, "replica.fetch.max.bytes");
  out.replica_fetch_wait_max_ms = I32(c, "replica.fetch.wait.max.ms");
  out.num_replica_fetchers = I32(c, "num.replica.fetchers");
  out.num_network_threads = I32(c, "num.network.threads");
  out.num_io_threads = I32(c, "num.io.threads");
  out.socket_request_max_bytes = I32(c, "socket.request.max.bytes");
  out.connections_max_idle_ms = c.GetInt("connections.max.idle.ms");
  out.queued_max_requests = I32(c, "queued.max.requests");
  out.offsets_topic_replication_factor = I16(c, "offsets.topic.replication.factor");
  out.offsets_topic_num_partitions = I32(c, "offsets.topic.num.partitions");
  out.transaction_state_log_replication_factor = I16(c, "transaction.state.log.replication.factor");
  out.transaction_state_log_min_isr = I32(c, "transaction.state.log.min.isr");
  out.transaction_state_log_num_partitions = I32(c, "transaction.state.log.num.partitions");
  out.group_initial_rebalance_delay_ms = I32(c, "group.initial.rebalance.delay.ms");
  out.group_min_session_timeout_ms = I32(c, "group.min.session.timeout.ms");
  out.group_max_session_timeout_ms = I32(c, "group.max.session.timeout.ms");
  out.group_max_size = I32(c, "group.max.size");
  out.offsets_retention_minutes = I32(c, "offsets.retention.minutes");
  out.offsets_retention_check_interval_ms = c.GetInt("offsets.retention.check.interval.ms");
  out.offsets_commit_timeout_ms = I32(c, "offsets.commit.timeout.ms");
  out.offset_metadata_max_bytes = I32(c, "offset.metadata.max.bytes");
  out.offsets_topic_segment_bytes = I32(c, "offsets.topic.segment.bytes");
  out.broker_heartbeat_interval_ms = I32(c, "broker.heartbeat.interval.ms");
  out.broker_session_timeout_ms = I32(c, "broker.session.timeout.ms");
  out.controller_quorum_election_timeout_ms = I32(c, "controller.quorum.election.timeout.ms");
  out.controller_quorum_fetch_timeout_ms = I32(c, "controller.quorum.fetch.timeout.ms");
  out.logger_level = c.GetString("logger.level");
  out.logger_pattern = c.GetString("logger.pattern");
}

// Kafka's cluster ids are 22 base64url characters; any short id of that alphabet (plus '.')
// is accepted here. It travels in gRPC metadata and meta.properties, so nothing fancier.
absl::Status ResolveClusterId(const Config& c, ServerConfig& out) {
  constexpr size_t kMaxLength = 64;
  out.cluster_id = c.GetString("cluster.id");
  out.cluster_id_origin = c.OriginOf("cluster.id").ToString();
  out.node_id_origin = c.OriginOf("node.id").ToString();
  const bool valid = std::all_of(out.cluster_id.begin(), out.cluster_id.end(), [](char ch) {
    return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ||
           ch == '.';
  });
  if (!valid || out.cluster_id.size() > kMaxLength) {
    return KeyError(c, "cluster.id",
                    absl::StrCat("'", out.cluster_id, "' is not a cluster id (expected 1 to ",
                                 kMaxLength, " of A-Z a-z 0-9 . _ -)"));
  }
  return absl::OkStatus();
}

absl::Status CheckOrdering(const Config& c, const ServerConfig& out) {
  if (out.group_min_session_timeout_ms > out.group_max_session_timeout_ms) {
    return KeyError(c, "group.min.session.timeout.ms",
                    "must not exceed group.max.session.timeout.ms");
  }
  if (out.broker_heartbeat_interval_ms >= out.broker_session_timeout_ms) {
    return KeyError(c, "broker.heartbeat.interval.ms",
                    "must be less than broker.session.timeout.ms");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text) {
  size_t colon;
  HostPort result;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not [v6-host]:port"));
    }
    result.host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' has no :port"));
    }
    result.host = std::string(text.substr(0, colon));
    if (result.host.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "': write an IPv6 host in brackets, [::1]:9092"));
    }
  }
  int port = -1;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' has no valid port (expected 0 to 65535)"));
  }
  result.port = static_cast<uint16_t>(port);
  return result;
}

bool ServerConfig::HasRole(Role role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

absl::StatusOr<ServerConfig> ServerConfig::Load(const Sources& sources) {
  ASSIGN_OR_RETURN(Config config, Config::Resolve(Defs(), sources));
  ServerConfig out;
  out.node_id = NodeId(static_cast<int32_t>(config.GetInt("node.id")));
  RETURN_IF_ERROR(ResolveRoles(config, out));
  RETURN_IF_ERROR(ResolveListeners(config, out));
  ResolveLog(config, out);
  ResolveScalars(config, out);
  RETURN_IF_ERROR(CheckOrdering(config, out));
  RETURN_IF_ERROR(ResolveClusterId(config, out));
  absl::StatusOr<HostPort> admin = ParseHostPort(config.GetString("admin.listener"));
  if (!admin.ok()) return KeyError(config, "admin.listener", admin.status().message());
  out.admin_listener = *std::move(admin);
  out.effective = config.Describe();
  return out;
}

}  // namespace karst::config
