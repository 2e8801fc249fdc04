// Kafka's ConsumerProtocol Subscription (ConsumerProtocolSubscription, versions 0-3): what a
// member of a "consumer" group puts in its JoinGroup protocol metadata. The coordinator only
// needs the subscribed topics (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC, offset expiry of a
// Stable group); the other fields are decoded too so tests and clients can use them. Pure.
#ifndef KARST_BROKER_GROUP_CONSUMER_PROTOCOL_H_
#define KARST_BROKER_GROUP_CONSUMER_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace karst::broker::group {

// The protocol type of groups whose members speak the ConsumerProtocol.
inline constexpr absl::string_view kConsumerProtocolType = "consumer";

struct ConsumerSubscription {
  struct OwnedPartitions {
    std::string topic;
    std::vector<int32_t> partitions;
    bool operator==(const OwnedPartitions&) const = default;
  };
  std::vector<std::string> topics;
  std::optional<std::string> user_data;
  std::vector<OwnedPartitions> owned_partitions;  // version 1+
  int32_t generation_id = -1;                     // version 2+
  std::optional<std::string> rack_id;             // version 3+
  bool operator==(const ConsumerSubscription&) const = default;
};

// The highest Subscription version this build knows.
inline constexpr int16_t kMaxSubscriptionVersion = 3;

// Decodes a Subscription. As Kafka's ConsumerProtocol does, a version above 3 is read as
// version 3 (newer fields are appended, so the known prefix still parses) and trailing bytes
// are ignored. Errors: kInvalidArgument for a negative version or truncated/oversized fields.
absl::StatusOr<ConsumerSubscription> DecodeConsumerSubscription(absl::string_view bytes);

// Encodes at `version` (0-3); fields the version lacks are dropped. For tests and clients.
std::string EncodeConsumerSubscription(const ConsumerSubscription& subscription, int16_t version);

}  // namespace karst::broker::group

#endif  // KARST_BROKER_GROUP_CONSUMER_PROTOCOL_H_
