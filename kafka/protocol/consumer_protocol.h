// Kafka's ConsumerProtocol: the bytes a consumer puts in JoinGroup's protocol metadata
// (Subscription) and the leader puts in SyncGroup's assignments (Assignment), so that karst
// members can share a group with Java, librdkafka, kafkajs and kafka-python members. Pure
// functions on plain values; thread-compatible. Shared by the client (subscriptions,
// assignors) and the broker's group coordinator (which topics a group subscribes to).
//
// Both start with an int16 version; the bodies are ConsumerProtocolSubscription and
// ConsumerProtocolAssignment (versions 0-3, classic encoding: int16 string lengths, int32
// array and bytes lengths). As Kafka does, decoding a version above 3 reads the fields that
// version 3 knows and ignores the rest, and trailing bytes are ignored.
#ifndef KARST_KAFKA_PROTOCOL_CONSUMER_PROTOCOL_H_
#define KARST_KAFKA_PROTOCOL_CONSUMER_PROTOCOL_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/protocol/wire.h"

namespace karst::kafka::protocol {

// A topic name and a partition index, as the consumer protocol lists them (and the client
// library keys per-partition calls).
struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// The protocol type of consumer groups in JoinGroup ("consumer").
inline constexpr absl::string_view kConsumerProtocolType = "consumer";
inline constexpr int16_t kConsumerProtocolMaxVersion = 3;
// Kafka's AbstractStickyAssignor.DEFAULT_GENERATION: no generation known.
inline constexpr int32_t kDefaultGeneration = -1;

struct Subscription {
  std::vector<std::string> topics;
  std::optional<std::string> user_data;
  std::vector<TopicPartition> owned_partitions;  // Version 1+.
  int32_t generation_id = kDefaultGeneration;    // Version 2+; negative means none.
  std::optional<std::string> rack_id;            // Version 3+.
  // Not encoded: the member's group.instance.id (KIP-345), which the leader learns from
  // JoinGroup's member list; range and roundrobin order static members by it.
  std::optional<std::string> group_instance_id;

  bool operator==(const Subscription&) const = default;
};

struct Assignment {
  std::vector<TopicPartition> partitions;
  std::optional<std::string> user_data;

  bool operator==(const Assignment&) const = default;
};

// Encodes at `version`, clamped to [0, kConsumerProtocolMaxVersion]; fields the version lacks
// are dropped (they are ignorable in Kafka's schema). Partitions are grouped by topic in order
// of first appearance, as Kafka's serializer does.
std::string EncodeSubscription(const Subscription& subscription,
                               int16_t version = kConsumerProtocolMaxVersion);
std::string EncodeAssignment(const Assignment& assignment,
                             int16_t version = kConsumerProtocolMaxVersion);

// Errors: kInvalidArgument for a negative version, truncated input, or a null where the
// schema allows none ("consumer protocol subscription v1: array needs 4 bytes, 2 left ...").
// Zero bytes (a member that never synced) is such an error too: callers treat it as no
// assignment, as Kafka's DescribeGroups and group coordinator do.
absl::StatusOr<Subscription> DecodeSubscription(absl::string_view data);
absl::StatusOr<Assignment> DecodeAssignment(absl::string_view data);

// The version header of either message. Errors: kInvalidArgument when under 2 bytes.
absl::StatusOr<int16_t> DecodeConsumerProtocolVersion(absl::string_view data);

// The [](topic, []int32 partitions) layout both messages and the sticky assignor's user data
// use. Reading refuses null arrays and null topics.
void WriteTopicPartitions(Writer& writer, const std::vector<TopicPartition>& partitions);
absl::Status ReadTopicPartitions(Reader& reader, std::vector<TopicPartition>* partitions);

}  // namespace karst::kafka::protocol

#endif  // KARST_KAFKA_PROTOCOL_CONSUMER_PROTOCOL_H_
