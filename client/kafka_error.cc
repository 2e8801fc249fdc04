#include "client/kafka_error.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "kafka/protocol/errors.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

absl::StatusCode CodeFor(kp::ErrorCode code) {
  switch (code) {
    case kp::ErrorCode::kTopicAlreadyExists:
      return absl::StatusCode::kAlreadyExists;
    case kp::ErrorCode::kUnknownTopicOrPartition:
    case kp::ErrorCode::kUnknownTopicId:
      return absl::StatusCode::kNotFound;
    case kp::ErrorCode::kInvalidPartitions:
    case kp::ErrorCode::kInvalidReplicationFactor:
    case kp::ErrorCode::kInvalidReplicaAssignment:
    case kp::ErrorCode::kInvalidConfig:
    case kp::ErrorCode::kInvalidTopicException:
    case kp::ErrorCode::kInvalidRequest:
    case kp::ErrorCode::kPolicyViolation:
      return absl::StatusCode::kInvalidArgument;
    default:
      return kp::IsRetriable(code) ? absl::StatusCode::kUnavailable
                                   : absl::StatusCode::kFailedPrecondition;
  }
}

}  // namespace

absl::Status KafkaErrorStatus(int16_t error_code, const std::optional<std::string>& error_message) {
  if (error_code == 0) return absl::OkStatus();
  const auto code = static_cast<kp::ErrorCode>(error_code);
  const char* name = kp::IsKnownError(error_code) ? kp::ErrorName(code) : "UNKNOWN";
  std::string message = error_message.value_or("");
  if (message.empty()) message = kp::ErrorMessage(code);
  if (message.empty()) message = absl::StrCat("error code ", error_code);
  return absl::Status(CodeFor(code), absl::StrCat(name, ": ", message));
}

std::string KafkaErrorName(const absl::Status& status) {
  const absl::string_view message = status.message();
  const size_t colon = message.find(':');
  if (colon == absl::string_view::npos || colon == 0) return "";
  for (char c : message.substr(0, colon)) {
    if (!absl::ascii_isupper(c) && c != '_') return "";
  }
  return std::string(message.substr(0, colon));
}

}  // namespace karst::client
