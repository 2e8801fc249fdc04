#include "client/consumer_group_description.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "client/kafka_error.h"
#include "kafka/protocol/consumer_protocol.h"
#include "kafka/protocol/errors.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

int16_t Code(kp::ErrorCode code) { return static_cast<int16_t>(code); }

absl::Status MemberError(const std::string& group, const std::string& member,
                         absl::string_view what, const absl::Status& status) {
  return absl::InvalidArgumentError(
      absl::StrCat("group ", group, ", member ", member, ": ", what, ": ", status.message()));
}

}  // namespace

bool IsCoordinatorError(int16_t error_code) {
  return error_code == Code(kp::ErrorCode::kNotCoordinator) ||
         error_code == Code(kp::ErrorCode::kCoordinatorNotAvailable) ||
         error_code == Code(kp::ErrorCode::kCoordinatorLoadInProgress);
}

absl::StatusOr<ConsumerGroupDescription> ToConsumerGroupDescription(
    const kp::DescribeGroupsResponse::DescribedGroup& group) {
  ConsumerGroupDescription out;
  out.group_id = group.group_id;
  if (group.error_code == Code(kp::ErrorCode::kGroupIdNotFound)) {
    out.state = "Dead";
    return out;
  }
  if (group.error_code != 0) return KafkaErrorStatus(group.error_code);
  const bool consumer = group.protocol_type == kp::kConsumerProtocolType;
  if (!consumer && !group.protocol_type.empty()) {
    // Kafka's admin refuses to describe a Connect or other non-consumer group the same way.
    return absl::InvalidArgumentError(absl::StrCat("group ", group.group_id,
                                                   " is not a consumer group (protocol type \"",
                                                   group.protocol_type, "\")"));
  }
  out.state = group.group_state;
  out.protocol_type = group.protocol_type;
  out.protocol = group.protocol_data;
  for (const auto& m : group.members) {
    GroupMemberDescription& member = out.members.emplace_back();
    member.member_id = m.member_id;
    member.group_instance_id = m.group_instance_id;
    member.client_id = m.client_id;
    member.host = m.client_host;
    // Zero bytes: the member has not synced (or sent no metadata), as Kafka's admin reads it.
    if (!consumer) continue;
    if (!m.member_metadata.empty()) {
      absl::StatusOr<kp::Subscription> subscription = kp::DecodeSubscription(m.member_metadata);
      if (!subscription.ok()) {
        return MemberError(group.group_id, m.member_id, "subscription", subscription.status());
      }
      member.subscribed_topics = std::move(subscription->topics);
    }
    if (!m.member_assignment.empty()) {
      absl::StatusOr<kp::Assignment> assignment = kp::DecodeAssignment(m.member_assignment);
      if (!assignment.ok()) {
        return MemberError(group.group_id, m.member_id, "assignment", assignment.status());
      }
      member.assignment = std::move(assignment->partitions);
    }
  }
  return out;
}

}  // namespace karst::client
