#include "client/group_member_state.h"

#include "gtest/gtest.h"
#include "kafka/protocol/errors.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;
using Phase = GroupMemberState::Phase;

int16_t Code(kp::ErrorCode code) { return static_cast<int16_t>(code); }

GroupMemberState Stable() {
  GroupMemberState state;
  state.StartJoin();
  state.Joined(3, "m-1", "range");
  state.Synced();
  return state;
}

TEST(GroupMemberState, StartsUnjoinedWithNoGenerationAndNeedsToJoin) {
  GroupMemberState state;
  EXPECT_EQ(state.phase(), Phase::kUnjoined);
  EXPECT_EQ(state.generation_id(), GroupMemberState::kNoGeneration);
  EXPECT_TRUE(state.rejoin_needed());
  EXPECT_TRUE(state.generation_lost());
}

TEST(GroupMemberState, JoinThenSyncIsStable) {
  GroupMemberState state;
  state.StartJoin();
  EXPECT_EQ(state.phase(), Phase::kPreparingRebalance);
  EXPECT_TRUE(state.rejoin_needed());  // Not stable until synced.
  state.Joined(3, "m-1", "range");
  EXPECT_EQ(state.phase(), Phase::kCompletingRebalance);
  state.Synced();
  EXPECT_EQ(state.phase(), Phase::kStable);
  EXPECT_FALSE(state.rejoin_needed());
  EXPECT_FALSE(state.generation_lost());
  EXPECT_EQ(state.generation_id(), 3);
  EXPECT_EQ(state.member_id(), "m-1");
  EXPECT_EQ(state.protocol_name(), "range");
}

TEST(GroupMemberState, RebalanceInProgressRejoinsKeepingTheGeneration) {
  GroupMemberState state = Stable();
  EXPECT_EQ(state.OnError(Code(kp::ErrorCode::kRebalanceInProgress)), GroupErrorAction::kRejoin);
  EXPECT_TRUE(state.rejoin_needed());
  EXPECT_FALSE(state.generation_lost());
  EXPECT_EQ(state.generation_id(), 3);
  EXPECT_EQ(state.member_id(), "m-1");
}

TEST(GroupMemberState, ExpelledMemberLosesGenerationAndMemberId) {
  for (kp::ErrorCode code : {kp::ErrorCode::kIllegalGeneration, kp::ErrorCode::kUnknownMemberId}) {
    GroupMemberState state = Stable();
    EXPECT_EQ(state.OnError(Code(code)), GroupErrorAction::kResetAndRejoin);
    EXPECT_EQ(state.phase(), Phase::kUnjoined);
    EXPECT_TRUE(state.generation_lost());
    EXPECT_EQ(state.member_id(), "");
  }
}

TEST(GroupMemberState, FencedInstanceIsFatalAndResets) {
  GroupMemberState state = Stable();
  EXPECT_EQ(state.OnError(Code(kp::ErrorCode::kFencedInstanceId)), GroupErrorAction::kFatal);
  EXPECT_TRUE(state.generation_lost());
}

TEST(GroupMemberState, OtherFatalErrorsKeepTheMembership) {
  GroupMemberState state = Stable();
  EXPECT_EQ(state.OnError(Code(kp::ErrorCode::kGroupAuthorizationFailed)),
            GroupErrorAction::kFatal);
  EXPECT_EQ(state.phase(), Phase::kStable);
  EXPECT_EQ(state.generation_id(), 3);
}

TEST(GroupMemberState, ClassifiesCoordinatorErrors) {
  EXPECT_EQ(ClassifyGroupError(0), GroupErrorAction::kNone);
  EXPECT_EQ(ClassifyGroupError(Code(kp::ErrorCode::kNotCoordinator)),
            GroupErrorAction::kFindCoordinator);
  EXPECT_EQ(ClassifyGroupError(Code(kp::ErrorCode::kCoordinatorNotAvailable)),
            GroupErrorAction::kFindCoordinator);
  EXPECT_EQ(ClassifyGroupError(Code(kp::ErrorCode::kCoordinatorLoadInProgress)),
            GroupErrorAction::kRetry);
  EXPECT_EQ(ClassifyGroupError(Code(kp::ErrorCode::kOffsetMetadataTooLarge)),
            GroupErrorAction::kFatal);
}

}  // namespace
}  // namespace karst::client
