// Kafka's offset checkpoint files (replication-offset-checkpoint: each partition's high
// watermark, so a restarted leader serves what was committed before it stopped instead of
// starting from its log start). The text format is Kafka's CheckpointFile:
//   0                      the version
//   N                      the number of entries
//   <topic> <partition> <offset>   N lines
// Pure functions; thread-safe.
#ifndef KARST_BROKER_REPLICATION_OFFSET_CHECKPOINT_H_
#define KARST_BROKER_REPLICATION_OFFSET_CHECKPOINT_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "broker/replication/partition.h"

namespace karst::broker::replication {

// The file name in each log dir, as Kafka names it.
inline constexpr char kReplicationOffsetCheckpoint[] = "replication-offset-checkpoint";

// The file's text for `offsets`, entries sorted by topic and partition.
std::string FormatOffsetCheckpoint(const std::map<TopicPartition, int64_t>& offsets);

// Parses a checkpoint. Errors: kDataLoss "<file>:<line>: <what>" for an unknown version, a
// count that does not match the entries, a malformed entry (a topic name may not contain a
// space, as in Kafka) or a negative offset.
absl::StatusOr<std::map<TopicPartition, int64_t>> ParseOffsetCheckpoint(absl::string_view text,
                                                                        absl::string_view file);

}  // namespace karst::broker::replication

#endif  // KARST_BROKER_REPLICATION_OFFSET_CHECKPOINT_H_
