#include "controller/config_control.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace karst::controller {
namespace {

namespace proto = ::karst::metadata::proto;

}  // namespace

ApiError ValidateTopicConfig(const std::string& name, const std::string& value) {
  if (absl::Status s = CheckTopicConfig(name, value); !s.ok()) {
    return {ErrorCode::kInvalidConfig, std::string(s.message())};
  }
  return {};
}

ControllerResult<ApiError> GenerateIncrementalAlterTopicConfigs(
    const MetadataImage& image, const std::string& topic, const std::vector<AlterConfigOp>& ops) {
  ControllerResult<ApiError> result;
  if (image.FindTopic(topic) == nullptr) {
    result.response = {ErrorCode::kUnknownTopicOrPartition,
                       "This server does not host this topic-partition."};
    return result;
  }
  std::map<std::string, std::string> current;
  if (auto it = image.configs.find({static_cast<int32_t>(ResourceType::kTopic), topic});
      it != image.configs.end()) {
    current = it->second;
  }
  std::vector<proto::MetadataRecord> records;
  for (const AlterConfigOp& op : ops) {
    const TopicConfigDef* def = FindTopicConfigDef(op.name);
    if (def == nullptr) {
      result.response = {ErrorCode::kInvalidConfig,
                         absl::StrCat("Unknown topic config name: ", op.name)};
      return result;
    }
    std::optional<std::string> next;
    if (op.op == AlterOp::kSet) {
      next = op.value;
    } else if (op.op == AlterOp::kAppend || op.op == AlterOp::kSubtract) {
      if (def->kind != TopicConfigKind::kList) {
        result.response = {
            ErrorCode::kInvalidConfig,
            absl::StrCat("Config value append/subtract is not allowed for config ", op.name)};
        return result;
      }
      auto base = current.count(op.name) ? current[op.name] : def->default_value;
      std::vector<std::string> items = absl::StrSplit(base, ',', absl::SkipEmpty());
      const auto pos = std::find(items.begin(), items.end(), op.value);
      if (op.op == AlterOp::kAppend && pos == items.end()) items.push_back(op.value);
      if (op.op == AlterOp::kSubtract && pos != items.end()) items.erase(pos);
      next = absl::StrJoin(items, ",");
    }
    if (next.has_value()) {
      if (ApiError e = ValidateTopicConfig(op.name, *next); !e.ok()) {
        result.response = e;
        return result;
      }
      current[op.name] = *next;
    } else {
      current.erase(op.name);
    }
    proto::ConfigRecord* r = records.emplace_back().mutable_config();
    r->set_resource_type(static_cast<int32_t>(ResourceType::kTopic));
    r->set_resource_name(topic);
    r->set_name(op.name);
    if (next.has_value()) r->set_value(*next);
  }
  result.records = std::move(records);
  return result;
}

ControllerResult<ApiError> GenerateIncrementalAlterBrokerConfigs(
    const MetadataImage& /*image*/, const std::string& broker,
    const std::vector<AlterConfigOp>& ops) {
  ControllerResult<ApiError> result;
  if (absl::Status s = CheckBrokerResourceName(broker); !s.ok()) {
    result.response = {ErrorCode::kInvalidRequest, std::string(s.message())};
    return result;
  }
  std::vector<std::string> names;
  for (const AlterConfigOp& op : ops) names.push_back(op.name);
  if (absl::Status s = CheckDynamicBrokerConfigNames(names); !s.ok()) {
    result.response = {ErrorCode::kInvalidRequest, std::string(s.message())};
    return result;
  }
  std::vector<proto::MetadataRecord> records;
  for (const AlterConfigOp& op : ops) {
    std::optional<std::string> value;
    if (op.op == AlterOp::kAppend || op.op == AlterOp::kSubtract) {
      result.response = {
          ErrorCode::kInvalidConfig,
          absl::StrCat("Config value append/subtract is not allowed for config ", op.name)};
      return result;
    }
    if (op.op == AlterOp::kSet) {
      absl::StatusOr<std::string> checked = CheckBrokerConfig(op.name, op.value);
      if (!checked.ok()) {
        result.response = {ErrorCode::kInvalidConfig, std::string(checked.status().message())};
        return result;
      }
      value = *std::move(checked);
    }
    proto::ConfigRecord* r = records.emplace_back().mutable_config();
    r->set_resource_type(static_cast<int32_t>(ResourceType::kBroker));
    r->set_resource_name(broker);
    r->set_name(op.name);
    if (value.has_value()) r->set_value(*value);
  }
  result.records = std::move(records);
  return result;
}

}  // namespace karst::controller
