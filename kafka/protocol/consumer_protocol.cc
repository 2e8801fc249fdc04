#include "kafka/protocol/consumer_protocol.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace karst::kafka::protocol {
namespace {

// Every field of the consumer protocol is in the classic (non-flexible) encoding.
constexpr bool kCompact = false;

int16_t ClampVersion(int16_t version) {
  return std::clamp<int16_t>(version, 0, kConsumerProtocolMaxVersion);
}

// A non-null array's element count (the schema has no nullable arrays).
absl::Status ReadArrayLength(Reader& reader, absl::string_view what, int32_t* n) {
  RETURN_IF_ERROR(reader.ArrayLength(n, kCompact));
  if (*n < 0) return absl::InvalidArgumentError(absl::StrCat(what, ": null array"));
  return absl::OkStatus();
}

absl::Status ReadSubscriptionBody(Reader& reader, int16_t version, Subscription* out) {
  int32_t topics = 0;
  RETURN_IF_ERROR(ReadArrayLength(reader, "topics", &topics));
  out->topics.resize(topics);
  for (std::string& topic : out->topics) RETURN_IF_ERROR(reader.String(&topic, kCompact));
  RETURN_IF_ERROR(reader.NullableBytes(&out->user_data, kCompact));
  if (version >= 1) RETURN_IF_ERROR(ReadTopicPartitions(reader, &out->owned_partitions));
  if (version >= 2) RETURN_IF_ERROR(reader.Int32(&out->generation_id));
  if (version >= 3) RETURN_IF_ERROR(reader.NullableString(&out->rack_id, kCompact));
  return absl::OkStatus();
}

absl::Status AddContext(const absl::Status& status, absl::string_view what, int16_t version) {
  return absl::Status(status.code(), absl::StrCat("consumer protocol ", what, " v", version, ": ",
                                                  status.message()));
}

}  // namespace

void WriteTopicPartitions(Writer& writer, const std::vector<TopicPartition>& partitions) {
  // Kafka groups by topic (ConsumerProtocol.serialize*); keep the first-seen topic order.
  std::vector<std::pair<std::string, std::vector<int32_t>>> by_topic;
  for (const TopicPartition& tp : partitions) {
    auto it = std::find_if(by_topic.begin(), by_topic.end(),
                           [&](const auto& entry) { return entry.first == tp.topic; });
    if (it == by_topic.end()) it = by_topic.insert(by_topic.end(), {tp.topic, {}});
    it->second.push_back(tp.partition);
  }
  writer.ArrayLength(by_topic.size(), kCompact);
  for (const auto& [topic, indexes] : by_topic) {
    writer.String(topic, kCompact);
    writer.ArrayLength(indexes.size(), kCompact);
    for (int32_t index : indexes) writer.Int32(index);
  }
}

absl::Status ReadTopicPartitions(Reader& reader, std::vector<TopicPartition>* partitions) {
  int32_t topics = 0;
  RETURN_IF_ERROR(ReadArrayLength(reader, "topic partitions", &topics));
  for (int32_t i = 0; i < topics; ++i) {
    std::string topic;
    RETURN_IF_ERROR(reader.String(&topic, kCompact));
    int32_t count = 0;
    RETURN_IF_ERROR(ReadArrayLength(reader, absl::StrCat("partitions of ", topic), &count));
    for (int32_t j = 0; j < count; ++j) {
      int32_t partition = 0;
      RETURN_IF_ERROR(reader.Int32(&partition));
      partitions->push_back({topic, partition});
    }
  }
  return absl::OkStatus();
}

std::string EncodeSubscription(const Subscription& subscription, int16_t version) {
  version = ClampVersion(version);
  std::string out;
  Writer writer(&out);
  writer.Int16(version);
  writer.ArrayLength(subscription.topics.size(), kCompact);
  for (const std::string& topic : subscription.topics) writer.String(topic, kCompact);
  writer.NullableBytes(subscription.user_data, kCompact);
  if (version >= 1) WriteTopicPartitions(writer, subscription.owned_partitions);
  if (version >= 2) writer.Int32(subscription.generation_id);
  if (version >= 3) writer.NullableString(subscription.rack_id, kCompact);
  return out;
}

std::string EncodeAssignment(const Assignment& assignment, int16_t version) {
  std::string out;
  Writer writer(&out);
  writer.Int16(ClampVersion(version));
  // Versions 1-3 of the assignment only exist to follow the subscription's; the body is v0's.
  WriteTopicPartitions(writer, assignment.partitions);
  writer.NullableBytes(assignment.user_data, kCompact);
  return out;
}

absl::StatusOr<int16_t> DecodeConsumerProtocolVersion(absl::string_view data) {
  Reader reader(data);
  int16_t version = 0;
  if (absl::Status s = reader.Int16(&version); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("consumer protocol header: ", s.message()));
  }
  return version;
}

absl::StatusOr<Subscription> DecodeSubscription(absl::string_view data) {
  ASSIGN_OR_RETURN(int16_t version, DecodeConsumerProtocolVersion(data));
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported subscription version ", version));
  }
  Reader reader(data.substr(2));  // After the version.
  Subscription subscription;
  if (absl::Status s = ReadSubscriptionBody(reader, ClampVersion(version), &subscription);
      !s.ok()) {
    return AddContext(s, "subscription", version);
  }
  return subscription;
}

absl::StatusOr<Assignment> DecodeAssignment(absl::string_view data) {
  ASSIGN_OR_RETURN(int16_t version, DecodeConsumerProtocolVersion(data));
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported assignment version ", version));
  }
  Reader reader(data.substr(2));  // After the version.
  Assignment assignment;
  absl::Status s = ReadTopicPartitions(reader, &assignment.partitions);
  if (s.ok()) s = reader.NullableBytes(&assignment.user_data, kCompact);
  if (!s.ok()) return AddContext(s, "assignment", version);
  return assignment;
}

}  // namespace karst::kafka::protocol
