// The records of the __consumer_offsets topic, byte for byte as Kafka writes them, so that a
// partition written by Kafka (or by us) rebuilds the same groups and offsets when replayed.
// A record's key starts with an int16 version that names its type (0 and 1: OffsetCommitKey,
// 2: GroupMetadataKey); the value starts with its own version; a null value is a tombstone.
// Non-flexible versions use int16-length strings and int32-length bytes and arrays; version 4
// values (written by newer Kafka) are flexible and are decoded as well. Pure functions.
#ifndef KARST_BROKER_GROUP_OFFSETS_RECORDS_H_
#define KARST_BROKER_GROUP_OFFSETS_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/strong_id.h"

namespace karst::broker::group {

// Key versions 0 and 1 (identical layout): group, topic, partition.
struct OffsetCommitKey {
  std::string group;
  std::string topic;
  PartitionIndex partition;
  bool operator==(const OffsetCommitKey&) const = default;
};

// Key version 2: group.
struct GroupMetadataKey {
  std::string group;
  bool operator==(const GroupMetadataKey&) const = default;
};

using OffsetsKey = std::variant<OffsetCommitKey, GroupMetadataKey>;

// Value versions 0-4: offset (0+), leader_epoch (3+, -1 none), metadata (0+),
// commit_timestamp (0+), expire_timestamp (1 only, -1 none). Times in ms since the epoch.
struct OffsetCommitValue {
  Offset offset;
  LeaderEpoch leader_epoch{-1};
  std::string metadata;
  int64_t commit_timestamp_ms = 0;
  int64_t expire_timestamp_ms = -1;
  bool operator==(const OffsetCommitValue&) const = default;
};

// Value versions 0-4.
struct GroupMetadataValue {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // 3+
    std::string client_id;
    std::string client_host;
    int32_t rebalance_timeout_ms = 0;  // 1+ (version 0: the session timeout)
    int32_t session_timeout_ms = 0;
    std::string subscription;
    std::string assignment;
    bool operator==(const Member&) const = default;
  };
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp_ms = -1;  // 2+, -1 none
  std::vector<Member> members;
  bool operator==(const GroupMetadataValue&) const = default;
};

// Encodes key version 1, as Kafka writes offset commit keys.
std::string EncodeOffsetCommitKey(const OffsetCommitKey& key);
// Encodes key version 2.
std::string EncodeGroupMetadataKey(const GroupMetadataKey& key);
// Decodes either key. kInvalidArgument for an unknown version or malformed bytes.
absl::StatusOr<OffsetsKey> DecodeOffsetsKey(absl::string_view bytes);

// Kafka's choice of version: 1 when an expire timestamp is set (a commit with a retention
// time, OffsetCommit v2-v4), else 3.
int16_t OffsetCommitValueVersion(const OffsetCommitValue& value);
// REQUIRES: 0 <= version <= 4. Fields absent in `version` are not written.
std::string EncodeOffsetCommitValue(const OffsetCommitValue& value, int16_t version);
std::string EncodeOffsetCommitValue(const OffsetCommitValue& value);  // at the version above
absl::StatusOr<OffsetCommitValue> DecodeOffsetCommitValue(absl::string_view bytes);

// Kafka writes version 3. REQUIRES: 0 <= version <= 4.
inline constexpr int16_t kGroupMetadataValueVersion = 3;
std::string EncodeGroupMetadataValue(const GroupMetadataValue& value,
                                     int16_t version = kGroupMetadataValueVersion);
absl::StatusOr<GroupMetadataValue> DecodeGroupMetadataValue(absl::string_view bytes);

}  // namespace karst::broker::group

#endif  // KARST_BROKER_GROUP_OFFSETS_RECORDS_H_
