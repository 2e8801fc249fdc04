#include "controller/metadata/topic_configs.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace karst::controller {
namespace {

using Kind = TopicConfigKind;

absl::Status Invalid(const std::string& name, const std::string& value, const std::string& why) {
  return absl::InvalidArgumentError(
      absl::StrCat("Invalid value ", value, " for configuration ", name, ": ", why));
}

bool Allowed(const TopicConfigDef& def, const std::string& item) {
  return def.allowed.empty() ||
         std::find(def.allowed.begin(), def.allowed.end(), item) != def.allowed.end();
}

absl::Status CheckNumber(const std::string& name, const TopicConfigDef& def,
                         const std::string& value) {
  int64_t v = 0;
  bool parsed;
  if (def.kind == Kind::kInt) {
    int32_t i = 0;
    parsed = absl::SimpleAtoi(value, &i);
    v = i;
  } else {
    parsed = absl::SimpleAtoi(value, &v);
  }
  if (!parsed) {
    return Invalid(
        name, value,
        def.kind == Kind::kInt ? "Not a number of type INT" : "Not a number of type LONG");
  }
  if (v < def.min) return Invalid(name, value, absl::StrCat("Value must be at least ", def.min));
  return absl::OkStatus();
}

}  // namespace

// Kafka's topic-level configs (TopicConfig / LogConfig), with Kafka's defaults.
const std::map<std::string, TopicConfigDef>& TopicConfigDefs() {
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

const TopicConfigDef* FindTopicConfigDef(const std::string& name) {
  auto it = TopicConfigDefs().find(name);
  return it == TopicConfigDefs().end() ? nullptr : &it->second;
}

absl::Status CheckTopicConfig(const std::string& name, const std::string& value) {
  const TopicConfigDef* def = FindTopicConfigDef(name);
  if (def == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("Unknown topic config name: ", name));
  }
  switch (def->kind) {
    case Kind::kInt:
    case Kind::kLong:
      return CheckNumber(name, *def, value);
    case Kind::kBool:
      if (value != "true" && value != "false") {
        return Invalid(name, value, "Expected value to be either true or false");
      }
      return absl::OkStatus();
    case Kind::kString:
      if (!Allowed(*def, value)) {
        return Invalid(name, value,
                       absl::StrCat("String must be one of: ", absl::StrJoin(def->allowed, ", ")));
      }
      return absl::OkStatus();
    case Kind::kList:
      for (absl::string_view item : absl::StrSplit(value, ',')) {
        if (!Allowed(*def, std::string(item))) {
          return Invalid(
              name, value,
              absl::StrCat("List items must be in: ", absl::StrJoin(def->allowed, ", ")));
        }
      }
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

std::optional<std::vector<ConfigEntry>> DescribeTopicConfigs(
    const MetadataImage& image, const std::string& topic,
    const std::map<std::string, std::string>& defaults) {
  if (image.FindTopic(topic) == nullptr) return std::nullopt;
  const std::map<std::string, std::string>* dynamic = nullptr;
  if (auto it = image.configs.find({static_cast<int32_t>(ResourceType::kTopic), topic});
      it != image.configs.end()) {
    dynamic = &it->second;
  }
  std::vector<ConfigEntry> out;
  for (const auto& [name, def] : TopicConfigDefs()) {
    if (dynamic != nullptr && dynamic->count(name) > 0) {
      out.push_back({name, dynamic->at(name), false});
    } else if (auto d = defaults.find(name); d != defaults.end()) {
      out.push_back({name, d->second, true});
    } else {
      out.push_back({name, def.default_value, true});
    }
  }
  return out;
}

}  // namespace karst::controller
