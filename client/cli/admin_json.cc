#include "client/cli/admin_json.h"

#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

absl::Status Invalid(const std::string& where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// The array member `key` of the top-level object.
absl::StatusOr<const std::vector<Json>*> TopArray(const Json& json, const std::string& key) {
  if (!json.is_object()) return absl::InvalidArgumentError("expected a JSON object");
  const Json* array = json.Find(key);
  if (array == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("missing \"", key, "\""));
  }
  if (!array->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" must be an array"));
  }
  return &array->items();
}

absl::StatusOr<std::string> StringMember(const Json& entry, const std::string& where,
                                         const std::string& key) {
  const Json* value = entry.Find(key);
  if (value == nullptr) return Invalid(where, absl::StrCat("missing \"", key, "\""));
  if (!value->is_string() || value->string_value().empty()) {
    return Invalid(where, absl::StrCat("\"", key, "\" must be a non-empty string"));
  }
  return value->string_value();
}

absl::StatusOr<int64_t> IntMember(const Json& entry, const std::string& where,
                                  const std::string& key, int64_t min, int64_t max) {
  const Json* value = entry.Find(key);
  if (value == nullptr) return Invalid(where, absl::StrCat("missing \"", key, "\""));
  if (!value->is_int() || value->int_value() < min || value->int_value() > max) {
    return Invalid(where, absl::StrCat("\"", key, "\" must be an integer from ", min, " to ", max));
  }
  return value->int_value();
}

// The topic and partition of `entry`, checked against `seen`.
absl::StatusOr<client::TopicPartition> EntryPartition(const Json& entry, const std::string& where,
                                                      std::set<client::TopicPartition>& seen) {
  if (!entry.is_object()) return Invalid(where, "expected an object");
  ASSIGN_OR_RETURN(std::string topic, StringMember(entry, where, "topic"));
  ASSIGN_OR_RETURN(const int64_t partition,
                   IntMember(entry, where, "partition", 0, std::numeric_limits<int32_t>::max()));
  client::TopicPartition tp{std::move(topic), static_cast<int32_t>(partition)};
  if (!seen.insert(tp).second) {
    return Invalid(where, absl::StrCat("partition ", client::ToString(tp), " is listed twice"));
  }
  return tp;
}

absl::StatusOr<std::vector<int32_t>> Replicas(const Json& entry, const std::string& where) {
  const Json* replicas = entry.Find("replicas");
  if (replicas == nullptr) return Invalid(where, "missing \"replicas\"");
  std::vector<int32_t> out;
  std::set<int32_t> seen;
  const std::string wrong = "\"replicas\" must be a non-empty array of broker ids";
  if (!replicas->is_array() || replicas->items().empty()) return Invalid(where, wrong);
  for (const Json& r : replicas->items()) {
    if (!r.is_int() || r.int_value() < 0 || r.int_value() > std::numeric_limits<int32_t>::max()) {
      return Invalid(where, wrong);
    }
    if (!seen.insert(static_cast<int32_t>(r.int_value())).second) {
      return Invalid(where, absl::StrCat("broker ", r.int_value(), " is listed twice in replicas"));
    }
    out.push_back(static_cast<int32_t>(r.int_value()));
  }
  if (const Json* dirs = entry.Find("log_dirs"); dirs != nullptr) {
    if (!dirs->is_array() || dirs->items().size() != out.size()) {
      return Invalid(where, "\"log_dirs\" must be an array with one entry per replica");
    }
    for (const Json& dir : dirs->items()) {
      if (!dir.is_string()) return Invalid(where, "\"log_dirs\" entries must be strings");
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<Json> ReadJsonFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": cannot read file"));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<Json> json = ParseJson(text.str());
  if (!json.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": ", json.status().message()));
  }
  return json;
}

absl::StatusOr<ReplicaAssignment> ParseReassignmentJson(const Json& json) {
  ASSIGN_OR_RETURN(const std::vector<Json>* partitions, TopArray(json, "partitions"));
  if (partitions->empty()) return absl::InvalidArgumentError("\"partitions\" is empty");
  ReplicaAssignment out;
  std::set<client::TopicPartition> seen;
  for (size_t i = 0; i < partitions->size(); ++i) {
    const std::string where = absl::StrCat("partitions[", i, "]");
    ASSIGN_OR_RETURN(client::TopicPartition tp, EntryPartition((*partitions)[i], where, seen));
    ASSIGN_OR_RETURN(out[tp], Replicas((*partitions)[i], where));
  }
  return out;
}

Json ReassignmentJson(const ReplicaAssignment& assignment) {
  Json partitions = Json::Array();
  for (const auto& [tp, replicas] : assignment) {
    Json ids = Json::Array(), dirs = Json::Array();
    for (int32_t r : replicas) {
      ids.Push(Json::Int(r));
      dirs.Push(Json::String("any"));
    }
    partitions.Push(Json::Object({{"topic", Json::String(tp.topic)},
                                  {"partition", Json::Int(tp.partition)},
                                  {"replicas", std::move(ids)},
                                  {"log_dirs", std::move(dirs)}}));
  }
  return Json::Object({{"version", Json::Int(1)}, {"partitions", std::move(partitions)}});
}

absl::StatusOr<std::vector<std::string>> ParseTopicsToMoveJson(const Json& json) {
  ASSIGN_OR_RETURN(const std::vector<Json>* topics, TopArray(json, "topics"));
  if (topics->empty()) return absl::InvalidArgumentError("\"topics\" is empty");
  std::vector<std::string> out;
  for (size_t i = 0; i < topics->size(); ++i) {
    const std::string where = absl::StrCat("topics[", i, "]");
    if (!(*topics)[i].is_object()) return Invalid(where, "expected an object");
    ASSIGN_OR_RETURN(std::string topic, StringMember((*topics)[i], where, "topic"));
    out.push_back(std::move(topic));
  }
  return out;
}

absl::StatusOr<std::set<client::TopicPartition>> ParseTopicPartitionsJson(const Json& json) {
  ASSIGN_OR_RETURN(const std::vector<Json>* partitions, TopArray(json, "partitions"));
  if (partitions->empty()) return absl::InvalidArgumentError("\"partitions\" is empty");
  std::set<client::TopicPartition> out;
  for (size_t i = 0; i < partitions->size(); ++i) {
    RETURN_IF_ERROR(
        EntryPartition((*partitions)[i], absl::StrCat("partitions[", i, "]"), out).status());
  }
  return out;
}

absl::StatusOr<std::map<client::TopicPartition, int64_t>> ParseOffsetJson(const Json& json) {
  ASSIGN_OR_RETURN(const std::vector<Json>* partitions, TopArray(json, "partitions"));
  if (partitions->empty()) return absl::InvalidArgumentError("\"partitions\" is empty");
  std::map<client::TopicPartition, int64_t> out;
  std::set<client::TopicPartition> seen;
  for (size_t i = 0; i < partitions->size(); ++i) {
    const std::string where = absl::StrCat("partitions[", i, "]");
    ASSIGN_OR_RETURN(client::TopicPartition tp, EntryPartition((*partitions)[i], where, seen));
    // -1: the high watermark, as kafka-delete-records allows.
    ASSIGN_OR_RETURN(out[tp], IntMember((*partitions)[i], where, "offset", -1,
                                        std::numeric_limits<int64_t>::max()));
  }
  return out;
}

absl::StatusOr<std::vector<int32_t>> ParseIdList(const std::string& flag, const std::string& list) {
  std::vector<int32_t> out;
  std::set<int32_t> seen;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    int32_t id = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &id) || id < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": expected comma-separated integers, got \"", list, "\""));
    }
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": ", id, " is listed twice"));
    }
    out.push_back(id);
  }
  return out;
}

absl::StatusOr<ReplicaAssignment> ProposeAssignment(const ReplicaAssignment& current,
                                                    const std::vector<int32_t>& brokers) {
  ReplicaAssignment out;
  const size_t n = brokers.size();
  for (const auto& [tp, replicas] : current) {
    if (replicas.size() > n) {
      return absl::InvalidArgumentError(absl::StrCat("topic ", tp.topic, ": replication factor ",
                                                     replicas.size(), " is larger than the ", n,
                                                     " brokers in --broker-list"));
    }
    std::vector<int32_t>& proposed = out[tp];
    for (size_t j = 0; j < replicas.size(); ++j) {
      proposed.push_back(brokers[(static_cast<size_t>(tp.partition) + j) % n]);
    }
  }
  return out;
}

}  // namespace karst::cli
