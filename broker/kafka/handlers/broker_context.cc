#include "broker/kafka/handlers/broker_context.h"

#include <cstring>

#include "absl/strings/numbers.h"

namespace karst::broker::kafka {

std::optional<std::string> TopicConfig(const controller::MetadataImage& image,
                                       const std::string& topic, const std::string& key) {
  auto it = image.configs.find({static_cast<int32_t>(controller::ResourceType::kTopic), topic});
  if (it == image.configs.end()) return std::nullopt;
  auto value = it->second.find(key);
  if (value == it->second.end()) return std::nullopt;
  return value->second;
}

int32_t TopicInt(const controller::MetadataImage& image, const std::string& topic,
                 const std::string& key, int32_t broker_default) {
  std::optional<std::string> value = TopicConfig(image, topic, key);
  int32_t parsed;
  if (value.has_value() && absl::SimpleAtoi(*value, &parsed)) return parsed;
  return broker_default;
}

ErrorCode ControllerCallError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return ErrorCode::kNone;
    case absl::StatusCode::kDeadlineExceeded:
      return ErrorCode::kRequestTimedOut;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled:
      return ErrorCode::kNotController;
    default:
      return ErrorCode::kUnknownServerError;
  }
}

::karst::kafka::protocol::Uuid ToUuid(const std::string& id) {
  ::karst::kafka::protocol::Uuid uuid{};
  std::memcpy(uuid.data(), id.data(), std::min(id.size(), uuid.size()));
  return uuid;
}

std::string FromUuid(const ::karst::kafka::protocol::Uuid& id) {
  return std::string(reinterpret_cast<const char*>(id.data()), id.size());
}

}  // namespace karst::broker::kafka
