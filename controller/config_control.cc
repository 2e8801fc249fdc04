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

enum class Kind { kInt, kLong, kBool, kString, kList };

struct TopicConfigDef {
  Kind kind;
  const char* default_value;
  int64_t min = INT64_MIN;
  std::vector<std::string> allowed;  // kString and each kList item; empty: any.
};

// Kafka's topic-level configs (TopicConfig / LogConfig), with Kafka's defaults.
const std::map<std::string, TopicConfigDef>& Defs() {
  static const auto* defs = new std::map<std::string, TopicConfigDef>{
      {"cleanup.policy", {Kind::kList, "delete", 0, {"delete", "compact"}}},
      {"compression.type",
       {Kind::kString,
        "producer",
        0,
        {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}}},
      {"delete.retention.ms", {Kind::kLong, "86400000", 0}},
      {"file.delete.delay.ms", {Kind::kLong, "60000", 0}},
      {"flush.messages", {Kind::kLong, "9223372036854775807", 1}},
      {"flush.ms", {Kind::kLong, "9223372036854775807", 0}},
      {"index.interval.bytes", {Kind::kInt, "4096", 0}},
      {"max.compaction.lag.ms", {Kind::kLong, "9223372036854775807", 1}},
      {"max.message.bytes", {Kind::kInt, "1048588", 0}},
      {"message.timestamp.type", {Kind::kString, "CreateTime", 0, {"CreateTime", "LogAppendTime"}}},
      {"min.cleanable.dirty.ratio", {Kind::kString, "0.5", 0}},
      {"min.compaction.lag.ms", {Kind::kLong, "0", 0}},
      {"min.insync.replicas", {Kind::kInt, "1", 1}},
      {"preallocate", {Kind::kBool, "false", 0}},
      {"retention.bytes", {Kind::kLong, "-1", -1}},
      {"retention.ms", {Kind::kLong, "604800000", -1}},
      {"segment.bytes", {Kind::kInt, "1073741824", 14}},
      {"segment.index.bytes", {Kind::kInt, "10485760", 4}},
      {"segment.ms", {Kind::kLong, "604800000", 1}},
      {"unclean.leader.election.enable", {Kind::kBool, "false", 0}},
  };
  return *defs;
}

ApiError Invalid(const std::string& name, const std::string& value, const std::string& why) {
  return {ErrorCode::kInvalidConfig,
          absl::StrCat("Invalid value ", value, " for configuration ", name, ": ", why)};
}

bool Allowed(const TopicConfigDef& def, const std::string& item) {
  return def.allowed.empty() ||
         std::find(def.allowed.begin(), def.allowed.end(), item) != def.allowed.end();
}

}  // namespace

ApiError ValidateTopicConfig(const std::string& name, const std::string& value) {
  auto it = Defs().find(name);
  if (it == Defs().end()) {
    return {ErrorCode::kInvalidConfig, absl::StrCat("Unknown topic config name: ", name)};
  }
  const TopicConfigDef& def = it->second;
  switch (def.kind) {
    case Kind::kInt:
    case Kind::kLong: {
      int64_t v;
      const bool parsed = def.kind == Kind::kInt
                              ? [&] {
                                  int32_t i;
                                  const bool ok = absl::SimpleAtoi(value, &i);
                                  v = i;
                                  return ok;
                                }()
                              : absl::SimpleAtoi(value, &v);
      if (!parsed) {
        return Invalid(
            name, value,
            def.kind == Kind::kInt ? "Not a number of type INT" : "Not a number of type LONG");
      }
      if (v < def.min)
        return Invalid(name, value, absl::StrCat("Value must be at least ", def.min));
      return {};
    }
    case Kind::kBool:
      if (value != "true" && value != "false") {
        return Invalid(name, value, "Expected value to be either true or false");
      }
      return {};
    case Kind::kString:
      if (!Allowed(def, value)) {
        return Invalid(name, value,
                       absl::StrCat("String must be one of: ", absl::StrJoin(def.allowed, ", ")));
      }
      return {};
    case Kind::kList:
      for (absl::string_view item : absl::StrSplit(value, ',')) {
        if (!Allowed(def, std::string(item))) {
          return Invalid(name, value,
                         absl::StrCat("List items must be in: ", absl::StrJoin(def.allowed, ", ")));
        }
      }
      return {};
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
    auto def = Defs().find(op.name);
    if (def == Defs().end()) {
      result.response = {ErrorCode::kInvalidConfig,
                         absl::StrCat("Unknown topic config name: ", op.name)};
      return result;
    }
    std::optional<std::string> next;
    if (op.op == AlterOp::kSet) {
      next = op.value;
    } else if (op.op == AlterOp::kAppend || op.op == AlterOp::kSubtract) {
      if (def->second.kind != Kind::kList) {
        result.response = {
            ErrorCode::kInvalidConfig,
            absl::StrCat("Config value append/subtract is not allowed for config ", op.name)};
        return result;
      }
      auto base = current.count(op.name) ? current[op.name] : def->second.default_value;
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

std::optional<std::vector<ConfigEntry>> DescribeTopicConfigs(const MetadataImage& image,
                                                             const std::string& topic) {
  if (image.FindTopic(topic) == nullptr) return std::nullopt;
  const std::map<std::string, std::string>* dynamic = nullptr;
  if (auto it = image.configs.find({static_cast<int32_t>(ResourceType::kTopic), topic});
      it != image.configs.end()) {
    dynamic = &it->second;
  }
  std::vector<ConfigEntry> out;
  for (const auto& [name, def] : Defs()) {
    if (dynamic != nullptr && dynamic->count(name) > 0) {
      out.push_back({name, dynamic->at(name), false});
    } else {
      out.push_back({name, def.default_value, true});
    }
  }
  return out;
}

}  // namespace karst::controller
