// Client configuration in Kafka's property names: parsing Java .properties text (as given to
// `--command-config`) and turning properties into AdminClientOptions, ProducerOptions and
// ConsumerOptions. Pure functions.
#ifndef KARST_CLIENT_CLIENT_PROPERTIES_H_
#define KARST_CLIENT_CLIENT_PROPERTIES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kafka/record/compression.h"

namespace karst::client {

using Properties = std::map<std::string, std::string>;

// A host and port from bootstrap.servers.
struct BrokerAddress {
  std::string host;
  int port = 0;
  bool operator==(const BrokerAddress&) const = default;
};

struct AdminClientOptions {
  // bootstrap.servers: REQUIRED, at least one.
  std::vector<BrokerAddress> bootstrap_servers;
  // client.id
  std::string client_id = "karst-admin";
  // request.timeout.ms: bounds each request, and each connect.
  absl::Duration request_timeout = absl::Seconds(30);
};

// acks: how many replicas must have a record before the leader answers.
enum class Acks : int16_t { kNone = 0, kLeader = 1, kAll = -1 };

struct ProducerOptions {
  std::vector<BrokerAddress> bootstrap_servers;   // bootstrap.servers: REQUIRED.
  std::string client_id = "karst-producer";       // client.id
  Acks acks = Acks::kAll;                         // acks: 0, 1, all or -1
  absl::Duration linger = absl::Milliseconds(5);  // linger.ms
  int32_t batch_size = 16384;                     // batch.size: bytes per partition batch
  kafka::record::Compression compression = kafka::record::Compression::kNone;  // compression.type
  absl::Duration request_timeout = absl::Seconds(30);                          // request.timeout.ms
  absl::Duration delivery_timeout = absl::Seconds(120);    // delivery.timeout.ms
  int32_t retries = INT32_MAX;                             // retries
  absl::Duration retry_backoff = absl::Milliseconds(100);  // retry.backoff.ms
  int32_t max_in_flight = 5;                               // max.in.flight.requests.per.connection
  int64_t buffer_memory = int64_t{32} << 20;               // buffer.memory: bytes awaiting delivery
  absl::Duration max_block = absl::Seconds(60);  // max.block.ms: Send's wait for buffer.memory
  int32_t max_request_size = 1 << 20;            // max.request.size: largest record accepted
  // enable.idempotence: only false is accepted until the transactions issue (Java's default
  // is true; Kafka's tools accept false).
};

// auto.offset.reset: where a consumer starts without a valid position.
enum class OffsetReset { kEarliest, kLatest, kNone };

struct ConsumerOptions {
  std::vector<BrokerAddress> bootstrap_servers;               // bootstrap.servers: REQUIRED.
  std::string client_id = "karst-consumer";                   // client.id
  OffsetReset auto_offset_reset = OffsetReset::kLatest;       // auto.offset.reset
  int32_t fetch_min_bytes = 1;                                // fetch.min.bytes
  absl::Duration fetch_max_wait = absl::Milliseconds(500);    // fetch.max.wait.ms
  int32_t fetch_max_bytes = 50 << 20;                         // fetch.max.bytes
  int32_t max_partition_fetch_bytes = 1 << 20;                // max.partition.fetch.bytes
  int32_t max_poll_records = 500;                             // max.poll.records
  absl::Duration request_timeout = absl::Seconds(30);         // request.timeout.ms
  absl::Duration retry_backoff = absl::Milliseconds(100);     // retry.backoff.ms
  absl::Duration reconnect_backoff = absl::Milliseconds(50);  // reconnect.backoff.ms
  absl::Duration default_api_timeout = absl::Seconds(60);     // default.api.timeout.ms
  absl::Duration metadata_max_age = absl::Minutes(5);         // metadata.max.age.ms
  // Consumer groups (Subscribe, commits): group.id; empty means no group, as Java's null.
  std::string group_id;
  std::optional<std::string> group_instance_id;          // group.instance.id (KIP-345)
  absl::Duration session_timeout = absl::Seconds(45);    // session.timeout.ms
  absl::Duration heartbeat_interval = absl::Seconds(3);  // heartbeat.interval.ms
  absl::Duration max_poll_interval = absl::Minutes(5);   // max.poll.interval.ms
  // partition.assignment.strategy, preferred first: names MakeAssignor knows (protocol or
  // Java class names). Java 3.x's default.
  std::vector<std::string> partition_assignment_strategy = {"range", "cooperative-sticky"};
  bool enable_auto_commit = true;                          // enable.auto.commit (needs group.id)
  absl::Duration auto_commit_interval = absl::Seconds(5);  // auto.commit.interval.ms
};

// "key=value" or "key: value" lines; '#' and '!' start comment lines; whitespace around keys
// and values is trimmed. (Line continuations and escapes are not supported.) Errors:
// kInvalidArgument naming the line number of a line without a separator.
absl::StatusOr<Properties> ParseProperties(absl::string_view text);

// "host1:9092,host2:9092"; "[::1]:9092" for IPv6. kInvalidArgument naming a bad entry.
absl::StatusOr<std::vector<BrokerAddress>> ParseBootstrapServers(absl::string_view servers);

// Reads bootstrap.servers, client.id and request.timeout.ms. Errors: kInvalidArgument naming
// an unknown key ("unknown admin client property: foo"), a missing bootstrap.servers or a
// bad value.
absl::StatusOr<AdminClientOptions> AdminClientOptionsFromProperties(const Properties& properties);

// The producer and consumer properties named in their options above. Errors: kInvalidArgument
// naming an unknown key ("unknown producer property: foo"), a missing bootstrap.servers or a
// bad value ("acks: expected 0, 1, all or -1, got \"2\"").
absl::StatusOr<ProducerOptions> ProducerOptionsFromProperties(const Properties& properties);
absl::StatusOr<ConsumerOptions> ConsumerOptionsFromProperties(const Properties& properties);

}  // namespace karst::client

#endif  // KARST_CLIENT_CLIENT_PROPERTIES_H_
