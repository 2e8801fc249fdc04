// Round trips between raft/core/types.h values and their protobuf form, and the refusals of
// values this build does not know.
#include "raft/transport/convert.h"

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::raft {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

constexpr MessageType kAllTypes[] = {
    MessageType::kPreVote,           MessageType::kPreVoteResponse, MessageType::kVote,
    MessageType::kVoteResponse,      MessageType::kAppend,          MessageType::kAppendResponse,
    MessageType::kSnapshot,          MessageType::kTimeoutNow,      MessageType::kHeartbeat,
    MessageType::kHeartbeatResponse,
};

// Every field set to something other than its default.
Message FullMessage(MessageType type) {
  Message m;
  m.type = type;
  m.from = NodeId(1);
  m.to = NodeId(3);
  m.term = Term(7);
  m.index = LogIndex(41);
  m.log_term = Term(6);
  m.entries = {
      Entry{.term = Term(6), .index = LogIndex(42), .type = EntryType::kNormal, .data = "a"},
      Entry{.term = Term(7),
            .index = LogIndex(43),
            .type = EntryType::kConfChange,
            .data = EncodeConfChange(
                ConfChange{.type = ConfChange::Type::kAddLearner, .node = NodeId(4)})},
      Entry{.term = Term(7), .index = LogIndex(44), .data = std::string("\0\xff\n", 3)},
  };
  m.commit = LogIndex(40);
  m.reject = true;
  m.reject_hint = LogIndex(39);
  m.snapshot.metadata = SnapshotMetadata{
      .index = LogIndex(30),
      .term = Term(5),
      .conf_state = ConfState{.voters = {NodeId(1), NodeId(2), NodeId(3)}, .learners = {NodeId(4)}},
  };
  m.context = "read-17";
  return m;
}

TEST(Convert, EveryMessageTypeRoundTripsWithEveryField) {
  for (MessageType type : kAllTypes) {
    SCOPED_TRACE(MessageTypeName(type));
    Message in = FullMessage(type);
    proto::Message wire = ToProto(in);
    // Through bytes too, as the transport sends it.
    proto::Message parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire.SerializeAsString()));
    ASSERT_OK_AND_ASSIGN(Message out, FromProto(parsed));
    EXPECT_EQ(out, in);
  }
}

TEST(Convert, DefaultMessageRoundTrips) {
  Message in;
  ASSERT_OK_AND_ASSIGN(Message out, FromProto(ToProto(in)));
  EXPECT_EQ(out, in);
}

TEST(Convert, MessageTypesMapOneToOne) {
  std::vector<proto::MessageType> seen;
  for (MessageType type : kAllTypes) {
    proto::MessageType wire = ToProto(type);
    EXPECT_NE(wire, proto::MESSAGE_TYPE_UNSPECIFIED);
    EXPECT_THAT(seen, ::testing::Not(::testing::Contains(wire)));
    seen.push_back(wire);
    ASSERT_OK_AND_ASSIGN(MessageType back, FromProto(wire));
    EXPECT_EQ(back, type);
  }
}

TEST(Convert, SnapshotDataIsNotCarried) {
  Message in = FullMessage(MessageType::kSnapshot);
  in.snapshot.data = "state machine bytes";
  proto::Message wire = ToProto(in);
  EXPECT_EQ(wire.snapshot().index(), 30);
  ASSERT_OK_AND_ASSIGN(Message out, FromProto(wire));
  EXPECT_TRUE(out.snapshot.data.empty());
  EXPECT_EQ(out.snapshot.metadata, in.snapshot.metadata);
}

TEST(Convert, NonSnapshotMessageLeavesMetadataUnset) {
  Message in;
  in.type = MessageType::kHeartbeat;
  EXPECT_FALSE(ToProto(in).has_snapshot());
}

TEST(Convert, EntriesRoundTrip) {
  Entry in{.term = Term(9), .index = LogIndex(100), .type = EntryType::kConfChange, .data = "x"};
  ASSERT_OK_AND_ASSIGN(Entry out, FromProto(ToProto(in)));
  EXPECT_EQ(out, in);
}

TEST(Convert, ConfStateRoundTrips) {
  ConfState in{.voters = {NodeId(1), NodeId(5)}, .learners = {NodeId(2)}};
  EXPECT_EQ(FromProto(ToProto(in)), in);
  EXPECT_EQ(FromProto(ToProto(ConfState{})), ConfState{});
}

TEST(Convert, SnapshotMetadataRoundTrips) {
  SnapshotMetadata in{
      .index = LogIndex(12), .term = Term(3), .conf_state = ConfState{.voters = {NodeId(1)}}};
  EXPECT_EQ(FromProto(ToProto(in)), in);
}

TEST(Convert, RefusesUnspecifiedMessageType) {
  proto::Message wire;
  wire.set_from(2);
  wire.set_to(1);
  EXPECT_THAT(FromProto(wire), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("message from node 2 to node 1")));
}

TEST(Convert, RefusesUnknownMessageType) {
  proto::Message wire;
  wire.set_type(static_cast<proto::MessageType>(99));
  EXPECT_THAT(FromProto(wire),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown message type 99")));
}

TEST(Convert, RefusesUnknownEntryType) {
  proto::Message wire = ToProto(FullMessage(MessageType::kAppend));
  wire.mutable_entries(1)->set_type(static_cast<proto::Entry::Type>(7));
  EXPECT_THAT(FromProto(wire), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("entry 43: unknown entry type 7")));
}

}  // namespace
}  // namespace karst::raft
