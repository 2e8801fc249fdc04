// The JSON files of Kafka's partition tools, as `karst reassign`, `karst leader-election` and
// `karst delete-records` read and write them: reassignment plans, topics-to-move lists,
// partition lists and offset lists. Pure functions except ReadJsonFile.
#ifndef KARST_CLIENT_CLI_ADMIN_JSON_H_
#define KARST_CLIENT_CLI_ADMIN_JSON_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/cli/json.h"
#include "client/topic_partition.h"

namespace karst::cli {

// Each partition's replicas, in preference order.
using ReplicaAssignment = std::map<client::TopicPartition, std::vector<int32_t>>;

// Reads and parses the JSON file `path` given to `flag`. Errors: kInvalidArgument
// "<flag> <path>: <what>", e.g. "--offset-json-file f.json: line 2, column 7: expected ':'".
absl::StatusOr<Json> ReadJsonFile(const std::string& flag, const std::string& path);

// ReadJsonFile, then `parse` (one of the Parse*Json below); its errors get the same
// "<flag> <path>: " prefix.
template <typename T>
absl::StatusOr<T> ReadJsonFileAs(const std::string& flag, const std::string& path,
                                 absl::StatusOr<T> (*parse)(const Json&)) {
  absl::StatusOr<Json> json = ReadJsonFile(flag, path);
  if (!json.ok()) return json.status();
  absl::StatusOr<T> parsed = parse(*json);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": ", parsed.status().message()));
  }
  return parsed;
}

// {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],"log_dirs":["any","any"]}]}
// (log_dirs optional; when given, one entry per replica). Errors: kInvalidArgument naming the
// entry, e.g. "partitions[1]: \"replicas\" must be an array of broker ids", an empty or
// duplicated replica, a partition listed twice, or no partitions.
absl::StatusOr<ReplicaAssignment> ParseReassignmentJson(const Json& json);
// The same format, with "any" log dirs, in Kafka's compact form.
Json ReassignmentJson(const ReplicaAssignment& assignment);

// {"topics":[{"topic":"a"}],"version":1} -> the topic names, in order.
absl::StatusOr<std::vector<std::string>> ParseTopicsToMoveJson(const Json& json);
// {"partitions":[{"topic":"t","partition":0}]}. A partition listed twice is an error.
absl::StatusOr<std::set<client::TopicPartition>> ParseTopicPartitionsJson(const Json& json);
// {"partitions":[{"topic":"t","partition":0,"offset":10}],"version":1}.
absl::StatusOr<std::map<client::TopicPartition, int64_t>> ParseOffsetJson(const Json& json);

// "1,2,3" -> {1, 2, 3}. Errors: kInvalidArgument for an empty list, a non-integer or a
// repeated id.
absl::StatusOr<std::vector<int32_t>> ParseIdList(const std::string& flag, const std::string& list);

// kafka-reassign-partitions --generate: moves every partition of `current` onto `brokers`,
// keeping each topic's replication factor: replica j of partition p goes to
// brokers[(p + j) % brokers.size()], so leaders and replicas spread evenly (deterministically,
// where Kafka starts at a random broker). Errors: kInvalidArgument when a topic's replication
// factor exceeds the broker count.
absl::StatusOr<ReplicaAssignment> ProposeAssignment(const ReplicaAssignment& current,
                                                    const std::vector<int32_t>& brokers);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_ADMIN_JSON_H_
