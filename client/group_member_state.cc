#include "client/group_member_state.h"

#include <utility>

#include "kafka/protocol/errors.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

}  // namespace

GroupErrorAction ClassifyGroupError(int16_t error_code) {
  switch (static_cast<kp::ErrorCode>(error_code)) {
    case kp::ErrorCode::kNone:
      return GroupErrorAction::kNone;
    case kp::ErrorCode::kCoordinatorNotAvailable:
    case kp::ErrorCode::kNotCoordinator:
      return GroupErrorAction::kFindCoordinator;
    case kp::ErrorCode::kRebalanceInProgress:
      return GroupErrorAction::kRejoin;
    case kp::ErrorCode::kIllegalGeneration:
    case kp::ErrorCode::kUnknownMemberId:
      return GroupErrorAction::kResetAndRejoin;
    case kp::ErrorCode::kFencedInstanceId:
      return GroupErrorAction::kFatal;
    default:
      // COORDINATOR_LOAD_IN_PROGRESS, REQUEST_TIMED_OUT, UNSTABLE_OFFSET_COMMIT, ...
      return kp::IsKnownError(error_code) && kp::IsRetriable(static_cast<kp::ErrorCode>(error_code))
                 ? GroupErrorAction::kRetry
                 : GroupErrorAction::kFatal;
  }
}

void GroupMemberState::StartJoin() {
  phase_ = Phase::kPreparingRebalance;
  rejoin_needed_ = false;
}

void GroupMemberState::Joined(int32_t generation_id, std::string member_id,
                              std::string protocol_name) {
  phase_ = Phase::kCompletingRebalance;
  generation_id_ = generation_id;
  member_id_ = std::move(member_id);
  protocol_name_ = std::move(protocol_name);
}

void GroupMemberState::Synced() { phase_ = Phase::kStable; }

void GroupMemberState::Reset() {
  // Java's resetStateAndRejoin: NO_GENERATION drops the member id too.
  phase_ = Phase::kUnjoined;
  generation_id_ = kNoGeneration;
  member_id_.clear();
  protocol_name_.clear();
  rejoin_needed_ = true;
}

GroupErrorAction GroupMemberState::OnError(int16_t error_code) {
  const GroupErrorAction action = ClassifyGroupError(error_code);
  switch (action) {
    case GroupErrorAction::kRejoin:
      RequestRejoin();
      break;
    case GroupErrorAction::kResetAndRejoin:
      Reset();
      break;
    case GroupErrorAction::kFatal:
      // Another member holds our group.instance.id: this one is out of the group. Other
      // fatal errors (authorization, protocol) leave the membership as it is.
      if (error_code == static_cast<int16_t>(kp::ErrorCode::kFencedInstanceId)) Reset();
      break;
    default:
      break;
  }
  return action;
}

}  // namespace karst::client
