// OffsetCommit (fencing, simple consumers, retention), OffsetFetch (versions, multiple groups),
// OffsetDelete and the offsets.retention.ms expiry.
#include "broker/group/offsets_records.h"
#include "broker/group/testing/coordinator_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

using testing::Code;
using testing::Harness;
using E = kp::ErrorCode;

int16_t CommitError(const kp::OffsetCommitResponse& r) { return Harness::CommitError(r); }

kp::OffsetFetchResponse Fetch(Harness& h, int16_t version, const std::string& group,
                              std::optional<std::vector<std::pair<std::string, int32_t>>> tps) {
  kp::OffsetFetchRequest r;
  r.group_id = group;
  if (tps.has_value()) {
    r.topics.emplace();
    for (auto& [topic, partition] : *tps) {
      auto& t = r.topics->emplace_back();
      t.name = topic;
      t.partition_indexes.push_back(partition);
    }
  } else {
    r.topics.reset();
  }
  return h.c().OffsetFetch(h.Meta(version), r);
}

TEST(OffsetCommit, MemberCommitIsPersistedAndFetched) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 1);
  const size_t records = h.log.size();
  EXPECT_EQ(CommitError(h.Commit("g", ids[0], 1, "t", 2, 42)), 0);
  ASSERT_EQ(h.log.size(), records + 1);
  auto key = DecodeOffsetsKey(h.log.back().key);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(std::get<OffsetCommitKey>(*key),
            (OffsetCommitKey{.group = "g", .topic = "t", .partition = PartitionIndex(2)}));
  auto value = DecodeOffsetCommitValue(*h.log.back().value);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->offset, Offset(42));
  EXPECT_EQ(value->leader_epoch, LeaderEpoch(3));
  EXPECT_EQ(value->metadata, "m");
  EXPECT_EQ(value->commit_timestamp_ms, absl::ToUnixMillis(h.now));
  EXPECT_EQ(value->expire_timestamp_ms, -1);
  EXPECT_EQ(h.log.back().value->at(1), 3);  // value version 3

  kp::OffsetFetchResponse f = Fetch(h, 5, "g", {{{"t", 2}, {"t", 9}}});
  EXPECT_EQ(f.error_code, 0);
  ASSERT_EQ(f.topics.size(), 1u);
  ASSERT_EQ(f.topics[0].partitions.size(), 2u);
  EXPECT_EQ(f.topics[0].partitions[0].committed_offset, 42);
  EXPECT_EQ(f.topics[0].partitions[0].committed_leader_epoch, 3);
  EXPECT_EQ(f.topics[0].partitions[0].metadata, "m");
  EXPECT_EQ(f.topics[0].partitions[1].committed_offset, -1);  // never committed
  EXPECT_EQ(f.topics[0].partitions[1].metadata, "");
}

TEST(OffsetCommit, GenerationAndMemberFencing) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const int32_t gen = h.Generation("g");
  EXPECT_EQ(CommitError(h.Commit("g", ids[0], gen - 1, "t", 0, 1)), Code(E::kIllegalGeneration));
  EXPECT_EQ(CommitError(h.Commit("g", "who", gen, "t", 0, 1)), Code(E::kUnknownMemberId));
  // A simple consumer (generation -1, no member) may not commit for a group with members.
  EXPECT_EQ(CommitError(h.Commit("g", "", -1, "t", 0, 1)), Code(E::kUnknownMemberId));
  // An unknown group with a generation: the commit is from a generation that is gone.
  EXPECT_EQ(CommitError(h.Commit("gone", "m", 3, "t", 0, 1)), Code(E::kIllegalGeneration));
  // PreparingRebalance still accepts the old generation's commits.
  h.Rejoin("g", ids[0]);
  EXPECT_EQ(CommitError(h.Commit("g", ids[1], gen, "t", 0, 1)), 0);
  // CompletingRebalance does not: the member must sync first.
  h.Rejoin("g", ids[1]);
  EXPECT_EQ(CommitError(h.Commit("g", ids[1], gen + 1, "t", 0, 1)), Code(E::kRebalanceInProgress));
  EXPECT_EQ(CommitError(h.Commit("", "", -1, "t", 0, 1)), 0);  // empty group ids are allowed
}

TEST(OffsetCommit, StaticMemberFencing) {
  Harness h;
  const uint64_t a = h.Join("g", {.instance_id = "i1"});
  h.Advance(absl::Seconds(3));
  const std::string id = h.joins[a].member_id;
  h.Sync("g", id, 1, {{id, "p"}}, "i1");
  EXPECT_EQ(CommitError(h.Commit("g", "stale", 1, "t", 0, 1, "i1")), Code(E::kFencedInstanceId));
  EXPECT_EQ(CommitError(h.Commit("g", id, 1, "t", 0, 1, "i9")), Code(E::kUnknownMemberId));
  EXPECT_EQ(CommitError(h.Commit("g", id, 1, "t", 0, 1, "i1")), 0);
}

TEST(OffsetCommit, SimpleConsumerCreatesAnEmptyGroupWithoutProtocol) {
  Harness h;
  EXPECT_EQ(CommitError(h.Commit("simple", "", -1, "t", 0, 7)), 0);
  const Group* g = h.c().FindGroup("simple");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(g->Is(GroupState::kEmpty));
  EXPECT_FALSE(g->protocol_type.has_value());
  EXPECT_EQ(Fetch(h, 1, "simple", {{{"t", 0}}}).topics[0].partitions[0].committed_offset, 7);
}

TEST(OffsetCommit, CommitCountsAsHeartbeat) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 1);
  for (int i = 0; i < 5; ++i) {
    h.Advance(absl::Seconds(8));
    EXPECT_EQ(CommitError(h.Commit("g", ids[0], 1, "t", 0, i)), 0);
  }
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kStable));
}

TEST(OffsetCommit, MetadataTooLargeAndRetentionTime) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offset_metadata_max_bytes = 4;
  Harness h(o);
  kp::OffsetCommitRequest r;
  r.group_id = "g";
  r.retention_time_ms = 60000;  // OffsetCommit v2-v4
  auto& t = r.topics.emplace_back();
  t.name = "t";
  auto& p0 = t.partitions.emplace_back();
  p0.partition_index = 0;
  p0.committed_offset = 5;
  p0.committed_metadata = "12345";
  auto& p1 = t.partitions.emplace_back();
  p1.partition_index = 1;
  p1.committed_offset = 6;
  Answer<kp::OffsetCommitResponse> a = h.c().OffsetCommit(h.Meta(2), r, h.now);
  EXPECT_EQ(a.response.topics[0].partitions[0].error_code, Code(E::kOffsetMetadataTooLarge));
  EXPECT_EQ(a.response.topics[0].partitions[1].error_code, 0);
  ASSERT_EQ(a.effects.records.size(), 1u);
  auto value = DecodeOffsetCommitValue(*a.effects.records[0].value);
  EXPECT_EQ(a.effects.records[0].value->at(1), 1);  // an expire timestamp: value version 1
  EXPECT_EQ(value->expire_timestamp_ms, absl::ToUnixMillis(h.now) + 60000);
}

TEST(OffsetCommit, CoordinatorErrors) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_topic_num_partitions = 2;
  Harness h(o);
  h.c().Unload(PartitionIndex(1));
  EXPECT_EQ(CommitError(h.Commit("a", "", -1, "t", 0, 1)), Code(E::kNotCoordinator));
  h.c().BeginLoad(PartitionIndex(1));
  EXPECT_EQ(CommitError(h.Commit("a", "", -1, "t", 0, 1)), Code(E::kCoordinatorLoadInProgress));
}

TEST(OffsetFetch, ErrorsByVersion) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_topic_num_partitions = 2;
  Harness h(o);
  h.c().Unload(PartitionIndex(1));
  h.c().BeginLoad(PartitionIndex(1));
  // v0-1: no top-level error; each requested partition carries it.
  kp::OffsetFetchResponse v1 = Fetch(h, 1, "a", {{{"t", 0}}});
  EXPECT_EQ(v1.topics[0].partitions[0].error_code, Code(E::kCoordinatorLoadInProgress));
  EXPECT_EQ(v1.topics[0].partitions[0].committed_offset, -1);
  // v2+: a top-level error and no partitions.
  kp::OffsetFetchResponse v2 = Fetch(h, 2, "a", {{{"t", 0}}});
  EXPECT_EQ(v2.error_code, Code(E::kCoordinatorLoadInProgress));
  EXPECT_TRUE(v2.topics.empty());
}

TEST(OffsetFetch, AllTopicsAndMultipleGroups) {
  Harness h;
  h.Commit("g1", "", -1, "b", 1, 11);
  h.Commit("g1", "", -1, "a", 0, 10);
  EXPECT_TRUE(Fetch(h, 3, "unknown", std::nullopt).topics.empty());
  kp::OffsetFetchResponse all = Fetch(h, 3, "g1", std::nullopt);  // null topics: all
  ASSERT_EQ(all.topics.size(), 2u);
  EXPECT_EQ(all.topics[0].name, "a");
  EXPECT_EQ(all.topics[1].partitions[0].committed_offset, 11);

  kp::OffsetFetchRequest r;
  auto& g1 = r.groups.emplace_back();
  g1.group_id = "g1";
  g1.topics.emplace();
  auto& t = g1.topics->emplace_back();
  t.name = "a";
  t.partition_indexes = {0, 5};
  auto& g2 = r.groups.emplace_back();
  g2.group_id = "g2";
  g2.topics.reset();
  kp::OffsetFetchResponse v8 = h.c().OffsetFetch(h.Meta(8), r);
  ASSERT_EQ(v8.groups.size(), 2u);
  EXPECT_EQ(v8.groups[0].topics[0].partitions[0].committed_offset, 10);
  EXPECT_EQ(v8.groups[0].topics[0].partitions[1].committed_offset, -1);
  EXPECT_EQ(v8.groups[1].error_code, 0);
  EXPECT_TRUE(v8.groups[1].topics.empty());
}

kp::OffsetDeleteResponse DeleteOffsets(Harness& h, const std::string& group,
                                       std::vector<std::pair<std::string, int32_t>> tps) {
  kp::OffsetDeleteRequest r;
  r.group_id = group;
  for (auto& [topic, partition] : tps) {
    auto& t = r.topics.emplace_back();
    t.name = topic;
    t.partitions.emplace_back().partition_index = partition;
  }
  Answer<kp::OffsetDeleteResponse> a = h.c().OffsetDelete(r);
  h.Take(std::move(a.effects));
  return a.response;
}

TEST(OffsetDelete, SubscribedTopicsOfAnActiveConsumerGroupAreKept) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 1);  // subscribed to "t"
  h.Commit("g", ids[0], 1, "t", 0, 1);
  h.Commit("g", ids[0], 1, "u", 0, 2);
  kp::OffsetDeleteResponse r = DeleteOffsets(h, "g", {{"t", 0}, {"u", 0}});
  EXPECT_EQ(r.error_code, 0);
  EXPECT_EQ(r.topics[0].partitions[0].error_code, Code(E::kGroupSubscribedToTopic));
  EXPECT_EQ(r.topics[1].partitions[0].error_code, 0);
  EXPECT_EQ(h.log.back(),
            (OffsetsRecord{.partition = PartitionIndex(0),
                           .key = EncodeOffsetCommitKey({"g", "u", PartitionIndex(0)}),
                           .value = std::nullopt}));
  EXPECT_EQ(Fetch(h, 5, "g", {{{"u", 0}}}).topics[0].partitions[0].committed_offset, -1);
  EXPECT_EQ(Fetch(h, 5, "g", {{{"t", 0}}}).topics[0].partitions[0].committed_offset, 1);
}

TEST(OffsetDelete, EmptyGroupsDeleteAnythingOtherGroupsAreNonEmpty) {
  Harness h;
  h.Commit("simple", "", -1, "t", 0, 1);
  EXPECT_EQ(DeleteOffsets(h, "simple", {{"t", 0}}).topics[0].partitions[0].error_code, 0);
  EXPECT_EQ(DeleteOffsets(h, "nope", {{"t", 0}}).error_code, Code(E::kGroupIdNotFound));
  h.StableGroup("connect", 1, {.protocols = {{"default", "x"}}, .protocol_type = "connect"});
  EXPECT_EQ(DeleteOffsets(h, "connect", {{"t", 0}}).error_code, Code(E::kNonEmptyGroup));
}

TEST(OffsetExpiry, EmptyGroupOffsetsExpireRetentionAfterTheGroupEmptied) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_retention = absl::Hours(1);
  o.offsets_retention_check_interval = absl::Minutes(1);
  Harness h(o);
  std::vector<std::string> ids = h.StableGroup("g", 1, {.session_timeout_ms = 600000});
  h.Commit("g", ids[0], 1, "t", 0, 5);
  // The member stays 2 h (heartbeating): no expiry while the group is Stable and subscribed.
  for (int i = 0; i < 24; ++i) {
    h.Advance(absl::Minutes(5));
    EXPECT_EQ(h.Heartbeat("g", ids[0], 1), 0);
  }
  ASSERT_EQ(h.c().FindGroup("g")->offsets.size(), 1u);
  kp::LeaveGroupRequest leave;
  leave.group_id = "g";
  leave.member_id = ids[0];
  h.Take(h.c().LeaveGroup(h.Meta(1), leave, h.now).effects);
  ASSERT_TRUE(h.c().FindGroup("g")->Is(GroupState::kEmpty));
  h.Advance(absl::Minutes(59));
  ASSERT_NE(h.c().FindGroup("g"), nullptr);
  const size_t records = h.log.size();
  h.Advance(absl::Minutes(2));
  EXPECT_EQ(h.c().FindGroup("g"), nullptr);  // offsets expired, then the empty group died
  ASSERT_EQ(h.log.size(), records + 2);
  EXPECT_EQ(h.log[records].key, EncodeOffsetCommitKey({"g", "t", PartitionIndex(0)}));
  EXPECT_FALSE(h.log[records].value.has_value());
  EXPECT_EQ(h.log[records + 1].key, EncodeGroupMetadataKey({"g"}));
  EXPECT_FALSE(h.log[records + 1].value.has_value());
}

TEST(OffsetExpiry, StableGroupLosesOnlyUnsubscribedTopicsAndSimpleGroupsByCommitTime) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_retention = absl::Hours(1);
  o.offsets_retention_check_interval = absl::Minutes(1);
  Harness h(o);
  std::vector<std::string> ids = h.StableGroup("g", 1, {.session_timeout_ms = 600000});
  h.Commit("g", ids[0], 1, "t", 0, 5);
  h.Commit("g", ids[0], 1, "old-topic", 0, 5);
  h.Commit("simple", "", -1, "t", 0, 5);
  for (int i = 0; i < 14; ++i) {
    h.Advance(absl::Minutes(5));
    h.Heartbeat("g", ids[0], 1);
  }
  const Group* g = h.c().FindGroup("g");
  EXPECT_EQ(g->offsets.size(), 1u);
  EXPECT_TRUE(g->offsets.contains({"t", PartitionIndex(0)}));
  EXPECT_EQ(h.c().FindGroup("simple"), nullptr);
}

TEST(OffsetExpiry, ExplicitExpireTimestampWins) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_retention_check_interval = absl::Minutes(1);
  Harness h(o);
  kp::OffsetCommitRequest r;
  r.group_id = "g";
  r.retention_time_ms = 120000;
  auto& t = r.topics.emplace_back();
  t.name = "t";
  t.partitions.emplace_back().committed_offset = 1;
  h.Take(h.c().OffsetCommit(h.Meta(2), r, h.now).effects);
  h.Advance(absl::Minutes(1));
  EXPECT_NE(h.c().FindGroup("g"), nullptr);
  h.Advance(absl::Minutes(2));
  EXPECT_EQ(h.c().FindGroup("g"), nullptr);
}

}  // namespace
}  // namespace karst::broker::group
