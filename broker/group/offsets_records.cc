// Layouts from Kafka's OffsetCommitKey.json, OffsetCommitValue.json, GroupMetadataKey.json and
// GroupMetadataValue.json (group-coordinator module); the first flexible value version is 4.
#include "broker/group/offsets_records.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kafka/protocol/wire.h"

namespace karst::broker::group {
namespace {

using ::karst::kafka::protocol::Reader;
using ::karst::kafka::protocol::Writer;

constexpr int16_t kFirstFlexibleValueVersion = 4;
constexpr int16_t kMaxValueVersion = 4;

// Reads a flexible struct's tagged-field section and drops it: no tagged field of these
// records matters to the coordinator.
absl::Status SkipTaggedFields(Reader& r) {
  uint32_t n = 0;
  RETURN_IF_ERROR(r.UnsignedVarint(&n));
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t tag = 0;
    uint32_t size = 0;
    RETURN_IF_ERROR(r.UnsignedVarint(&tag));
    RETURN_IF_ERROR(r.UnsignedVarint(&size));
    absl::string_view skipped;
    RETURN_IF_ERROR(r.Raw(size, &skipped));
  }
  return absl::OkStatus();
}

absl::Status CheckValueVersion(int16_t version, absl::string_view what) {
  if (version < 0 || version > kMaxValueVersion) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": unknown version ", version));
  }
  return absl::OkStatus();
}

absl::Status DecodeMember(Reader& r, int16_t version, bool flexible,
                          GroupMetadataValue::Member* m) {
  RETURN_IF_ERROR(r.String(&m->member_id, flexible));
  if (version >= 3) RETURN_IF_ERROR(r.NullableString(&m->group_instance_id, flexible));
  RETURN_IF_ERROR(r.String(&m->client_id, flexible));
  RETURN_IF_ERROR(r.String(&m->client_host, flexible));
  if (version >= 1) RETURN_IF_ERROR(r.Int32(&m->rebalance_timeout_ms));
  RETURN_IF_ERROR(r.Int32(&m->session_timeout_ms));
  // Version 0 has no rebalance timeout: Kafka then uses the session timeout.
  if (version == 0) m->rebalance_timeout_ms = m->session_timeout_ms;
  RETURN_IF_ERROR(r.Bytes(&m->subscription, flexible));
  RETURN_IF_ERROR(r.Bytes(&m->assignment, flexible));
  if (flexible) RETURN_IF_ERROR(SkipTaggedFields(r));
  return absl::OkStatus();
}

}  // namespace

std::string EncodeOffsetCommitKey(const OffsetCommitKey& key) {
  std::string out;
  Writer w(&out);
  w.Int16(1);
  w.String(key.group, false);
  w.String(key.topic, false);
  w.Int32(key.partition.value());
  return out;
}

std::string EncodeGroupMetadataKey(const GroupMetadataKey& key) {
  std::string out;
  Writer w(&out);
  w.Int16(2);
  w.String(key.group, false);
  return out;
}

absl::StatusOr<OffsetsKey> DecodeOffsetsKey(absl::string_view bytes) {
  Reader r(bytes);
  int16_t version = 0;
  RETURN_IF_ERROR(r.Int16(&version));
  if (version == 0 || version == 1) {
    OffsetCommitKey key;
    int32_t partition = 0;
    RETURN_IF_ERROR(r.String(&key.group, false));
    RETURN_IF_ERROR(r.String(&key.topic, false));
    RETURN_IF_ERROR(r.Int32(&partition));
    key.partition = PartitionIndex(partition);
    return key;
  }
  if (version == 2) {
    GroupMetadataKey key;
    RETURN_IF_ERROR(r.String(&key.group, false));
    return key;
  }
  return absl::InvalidArgumentError(absl::StrCat("offsets record key: unknown version ", version));
}

int16_t OffsetCommitValueVersion(const OffsetCommitValue& value) {
  return value.expire_timestamp_ms >= 0 ? 1 : 3;
}

std::string EncodeOffsetCommitValue(const OffsetCommitValue& value) {
  return EncodeOffsetCommitValue(value, OffsetCommitValueVersion(value));
}

std::string EncodeOffsetCommitValue(const OffsetCommitValue& v, int16_t version) {
  const bool flexible = version >= kFirstFlexibleValueVersion;
  std::string out;
  Writer w(&out);
  w.Int16(version);
  w.Int64(v.offset.value());
  if (version >= 3) w.Int32(v.leader_epoch.value());
  w.String(v.metadata, flexible);
  w.Int64(v.commit_timestamp_ms);
  if (version == 1) w.Int64(v.expire_timestamp_ms);
  if (flexible) w.TaggedFields({});
  return out;
}

absl::StatusOr<OffsetCommitValue> DecodeOffsetCommitValue(absl::string_view bytes) {
  Reader r(bytes);
  int16_t version = 0;
  RETURN_IF_ERROR(r.Int16(&version));
  RETURN_IF_ERROR(CheckValueVersion(version, "offset commit value"));
  const bool flexible = version >= kFirstFlexibleValueVersion;
  OffsetCommitValue v;
  int64_t offset = 0;
  RETURN_IF_ERROR(r.Int64(&offset));
  v.offset = Offset(offset);
  if (version >= 3) {
    int32_t epoch = -1;
    RETURN_IF_ERROR(r.Int32(&epoch));
    v.leader_epoch = LeaderEpoch(epoch);
  }
  RETURN_IF_ERROR(r.String(&v.metadata, flexible));
  RETURN_IF_ERROR(r.Int64(&v.commit_timestamp_ms));
  if (version == 1) RETURN_IF_ERROR(r.Int64(&v.expire_timestamp_ms));
  if (flexible) RETURN_IF_ERROR(SkipTaggedFields(r));
  return v;
}

std::string EncodeGroupMetadataValue(const GroupMetadataValue& v, int16_t version) {
  const bool flexible = version >= kFirstFlexibleValueVersion;
  std::string out;
  Writer w(&out);
  w.Int16(version);
  w.String(v.protocol_type, flexible);
  w.Int32(v.generation);
  w.NullableString(v.protocol, flexible);
  w.NullableString(v.leader, flexible);
  if (version >= 2) w.Int64(v.current_state_timestamp_ms);
  w.ArrayLength(v.members.size(), flexible);
  for (const GroupMetadataValue::Member& m : v.members) {
    w.String(m.member_id, flexible);
    if (version >= 3) w.NullableString(m.group_instance_id, flexible);
    w.String(m.client_id, flexible);
    w.String(m.client_host, flexible);
    if (version >= 1) w.Int32(m.rebalance_timeout_ms);
    w.Int32(m.session_timeout_ms);
    w.Bytes(m.subscription, flexible);
    w.Bytes(m.assignment, flexible);
    if (flexible) w.TaggedFields({});
  }
  if (flexible) w.TaggedFields({});
  return out;
}

absl::StatusOr<GroupMetadataValue> DecodeGroupMetadataValue(absl::string_view bytes) {
  Reader r(bytes);
  int16_t version = 0;
  RETURN_IF_ERROR(r.Int16(&version));
  RETURN_IF_ERROR(CheckValueVersion(version, "group metadata value"));
  const bool flexible = version >= kFirstFlexibleValueVersion;
  GroupMetadataValue v;
  RETURN_IF_ERROR(r.String(&v.protocol_type, flexible));
  RETURN_IF_ERROR(r.Int32(&v.generation));
  RETURN_IF_ERROR(r.NullableString(&v.protocol, flexible));
  RETURN_IF_ERROR(r.NullableString(&v.leader, flexible));
  if (version >= 2) RETURN_IF_ERROR(r.Int64(&v.current_state_timestamp_ms));
  int32_t n = 0;
  RETURN_IF_ERROR(r.ArrayLength(&n, flexible));
  if (n < 0) return absl::InvalidArgumentError("group metadata value: null members array");
  for (int32_t i = 0; i < n; ++i) {
    RETURN_IF_ERROR(DecodeMember(r, version, flexible, &v.members.emplace_back()));
  }
  if (flexible) RETURN_IF_ERROR(SkipTaggedFields(r));
  return v;
}

}  // namespace karst::broker::group
