// The keys karstd accepts. Names, defaults and ranges follow Apache Kafka's KafkaConfig
// (kafka.server.KafkaConfig, 3.x) wherever Kafka has the setting; Karst's own keys
// (admin.listener, logger.*) use names Kafka does not.
#include <limits>

#include "common/config/server_config.h"

namespace karst::config {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
constexpr int64_t kShortMax = std::numeric_limits<int16_t>::max();
constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();

ConfigDef Int(std::string name, std::optional<std::string> def, int64_t min, int64_t max,
              std::string doc) {
  return ConfigDef{std::move(name), Type::kInt, std::move(def), false, min, max, {},
                   std::move(doc)};
}

ConfigDef Long(std::string name, std::optional<std::string> def, int64_t min, std::string doc) {
  return ConfigDef{std::move(name), Type::kLong, std::move(def), false, min,
                   kLongMax,        {},          std::move(doc)};
}

ConfigDef Bool(std::string name, std::string def, std::string doc) {
  return ConfigDef{std::move(name), Type::kBool, std::move(def), false, 0, 0, {}, std::move(doc)};
}

ConfigDef String(std::string name, std::optional<std::string> def, std::string doc,
                 std::vector<std::string> allowed = {}) {
  return ConfigDef{std::move(name),    Type::kString, std::move(def), false, 0, 0,
                   std::move(allowed), std::move(doc)};
}

ConfigDef List(std::string name, std::optional<std::string> def, std::string doc,
               std::vector<std::string> allowed = {}) {
  return ConfigDef{std::move(name),    Type::kList,   std::move(def), false, 0, 0,
                   std::move(allowed), std::move(doc)};
}

template <typename T>
T Required(T def) {
  def.required = true;
  return def;
}

std::vector<ConfigDef> MakeDefs() {
  return {
      // Identity and roles.
      Required(Int("node.id", std::nullopt, 0, kIntMax, "this node's id, unique in the cluster")),
      String("cluster.id", "",
             "the cluster this node belongs to; formats empty storage on first start"),
      Required(List("process.roles", std::nullopt, "broker, controller, or both (combined)",
                    {"broker", "controller"})),
      // Listeners.
      List("listeners", "PLAINTEXT://:9092", "NAME://host:port, comma-separated"),
      List("advertised.listeners", std::nullopt, "what clients are told; default: listeners"),
      String("inter.broker.listener.name", "PLAINTEXT", "listener followers fetch through"),
      List("controller.listener.names", "CONTROLLER", "listeners of the controller quorum"),
      List("controller.quorum.voters", "", "id@host:port of each controller, comma-separated"),
      // Log directories.
      String("log.dir", "/tmp/karst-logs", "log directory, used when log.dirs is unset"),
      List("log.dirs", std::nullopt, "log directories, comma-separated"),
      String("metadata.log.dir", std::nullopt, "metadata log directory; default: first log dir"),
      // Topic defaults.
      Int("num.partitions", "1", 1, kIntMax, "partitions of an auto-created topic"),
      Int("default.replication.factor", "1", 1, kShortMax, "replicas of an auto-created topic"),
      Int("min.insync.replicas", "1", 1, kIntMax, "ISR size an acks=all write needs"),
      Bool("auto.create.topics.enable", "true", "create a topic on first metadata request"),
      Bool("delete.topic.enable", "true", "allow DeleteTopics"),
      Bool("unclean.leader.election.enable", "false", "elect a leader from outside the ISR"),
      Bool("auto.leader.rebalance.enable", "true", "move leadership back to preferred replicas"),
      Long("leader.imbalance.check.interval.seconds", "300", 1,
           "how often the controller checks leader imbalance"),
      Int("leader.imbalance.per.broker.percentage", "10", 0, 100,
          "a broker's share of preferred partitions led elsewhere that triggers a rebalance"),
      // The partition log.
      Int("log.retention.hours", "168", -1, kIntMax, "retention in hours; -1: unlimited"),
      Int("log.retention.minutes", std::nullopt, -1, kIntMax, "overrides log.retention.hours"),
      Long("log.retention.ms", std::nullopt, -1, "overrides log.retention.minutes"),
      Long("log.retention.bytes", "-1", -1, "partition size limit; -1: unlimited"),
      Int("log.segment.bytes", "1073741824", 14, kIntMax, "segment size before a roll"),
      Int("log.roll.hours", "168", 1, kIntMax, "segment age before a roll"),
      Long("log.roll.ms", std::nullopt, 1, "overrides log.roll.hours"),
      Long("log.flush.interval.messages", "9223372036854775807", 1, "messages between fsyncs"),
      Long("log.flush.interval.ms", std::nullopt, 0, "ms between fsyncs; unset: OS decides"),
      Int("log.index.interval.bytes", "4096", 0, kIntMax, "bytes between index entries"),
      Int("log.index.size.max.bytes", "10485760", 4, kIntMax, "largest offset index file"),
      List("log.cleanup.policy", "delete", "delete and/or compact", {"delete", "compact"}),
      Int("message.max.bytes", "1048588", 0, kIntMax, "largest record batch accepted"),
      // Replication.
      Long("replica.lag.time.max.ms", "30000", 1, "a follower behind this long leaves the ISR"),
      Long("replica.high.watermark.checkpoint.interval.ms", "5000", 1,
           "how often high watermarks are saved to replication-offset-checkpoint"),
      Int("replica.fetch.max.bytes", "1048576", 0, kIntMax, "bytes a follower fetch asks for"),
      Int("replica.fetch.wait.max.ms", "500", 0, kIntMax, "longest a follower fetch waits"),
      Int("num.replica.fetchers", "1", 1, kIntMax, "fetcher threads per source broker"),
      // Threads and sockets.
      Int("num.network.threads", "3", 1, kIntMax, "network I/O threads"),
      Int("num.io.threads", "8", 1, kIntMax, "request handler threads"),
      Int("socket.request.max.bytes", "104857600", 1, kIntMax, "largest request accepted"),
      Long("connections.max.idle.ms", "600000", 1, "idle connections are closed after this"),
      Int("queued.max.requests", "500", 1, kIntMax,
          "requests a connection may have waiting before the broker stops reading it"),
      // Internal topics and groups.
      Int("offsets.topic.replication.factor", "3", 1, kShortMax, "__consumer_offsets replicas"),
      Int("offsets.topic.num.partitions", "50", 1, kIntMax, "__consumer_offsets partitions"),
      Int("transaction.state.log.replication.factor", "3", 1, kShortMax,
          "__transaction_state replicas"),
      Int("transaction.state.log.min.isr", "2", 1, kIntMax, "__transaction_state min ISR"),
      Int("transaction.state.log.num.partitions", "50", 1, kIntMax,
          "__transaction_state partitions"),
      Int("group.initial.rebalance.delay.ms", "3000", 0, kIntMax, "first rebalance delay"),
      Int("group.min.session.timeout.ms", "6000", 0, kIntMax, "smallest session timeout"),
      Int("group.max.session.timeout.ms", "1800000", 0, kIntMax, "largest session timeout"),
      Int("group.max.size", "2147483647", 1, kIntMax, "most members a group may have"),
      Int("offsets.retention.minutes", "10080", 1, kIntMax,
          "committed offsets of an empty group are kept this long"),
      Long("offsets.retention.check.interval.ms", "600000", 1, "how often offsets expire"),
      Int("offsets.commit.timeout.ms", "5000", 1, kIntMax,
          "an offset commit waits this long for its replicas"),
      Int("offset.metadata.max.bytes", "4096", 0, kIntMax, "largest commit metadata string"),
      Int("offsets.topic.segment.bytes", "104857600", 1, kIntMax,
          "__consumer_offsets segment size"),
      // KRaft.
      Int("broker.heartbeat.interval.ms", "2000", 1, kIntMax, "broker to controller heartbeat"),
      Int("broker.session.timeout.ms", "9000", 1, kIntMax, "broker fenced after this silence"),
      Int("controller.quorum.election.timeout.ms", "1000", 1, kIntMax, "Raft election timeout"),
      Int("controller.quorum.fetch.timeout.ms", "2000", 1, kIntMax, "Raft leader silence limit"),
      // Karst's own.
      String("admin.listener", "0.0.0.0:9644", "host:port of the admin HTTP server (/metrics)"),
      String("logger.level", "info", "log level",
             {"trace", "debug", "info", "warn", "error", "critical", "off"}),
      String("logger.pattern", "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v", "spdlog pattern"),
  };
}

}  // namespace

const std::vector<ConfigDef>& ServerConfig::Defs() {
  static const std::vector<ConfigDef>* defs = new std::vector<ConfigDef>(MakeDefs());
  return *defs;
}

}  // namespace karst::config
