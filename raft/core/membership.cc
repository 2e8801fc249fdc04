// Membership changes one server at a time (thesis §4.1): a change takes effect when applied,
// and a leader accepts a new one only after the previous is applied.
#include "absl/strings/str_cat.h"
#include "raft/core/core.h"

namespace karst::raft {

absl::StatusOr<LogIndex> Core::ProposeConfChange(const ConfChange& change) {
  if (role_ != Role::kLeader) return absl::UnavailableError("not leader");
  if (lead_transferee_ != kNoNode) {
    return absl::UnavailableError(
        absl::StrCat("leadership is moving to node ", lead_transferee_.value()));
  }
  if (pending_conf_index_ > log_.applied()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "a configuration change at index ", pending_conf_index_.value(), " is not applied yet"));
  }
  const bool voter = conf_.voters.count(change.node) > 0;
  const bool learner = conf_.learners.count(change.node) > 0;
  switch (change.type) {
    case ConfChange::Type::kAddVoter:
      if (voter) return absl::InvalidArgumentError("already a voter");
      break;
    case ConfChange::Type::kAddLearner:
      if (learner || voter) return absl::InvalidArgumentError("already a member");
      break;
    case ConfChange::Type::kRemove:
      if (!voter && !learner) return absl::InvalidArgumentError("not a member");
      if (voter && conf_.voters.size() == 1) {
        return absl::FailedPreconditionError("cannot remove the last voter");
      }
      break;
  }
  AppendEntries({Entry{.type = EntryType::kConfChange, .data = EncodeConfChange(change)}});
  pending_conf_index_ = log_.LastIndex();
  BroadcastAppend();
  return log_.LastIndex();
}

void Core::ApplyConfChange(const ConfChange& change) {
  Note(absl::StrCat("applying membership change for node ", change.node.value()));
  switch (change.type) {
    case ConfChange::Type::kAddVoter:
      conf_.learners.erase(change.node);
      conf_.voters.insert(change.node);
      break;
    case ConfChange::Type::kAddLearner:
      conf_.learners.insert(change.node);
      break;
    case ConfChange::Type::kRemove:
      conf_.voters.erase(change.node);
      conf_.learners.erase(change.node);
      break;
  }
  if (role_ != Role::kLeader) return;
  if (change.type == ConfChange::Type::kRemove && change.node == id_) {
    BecomeFollower(term_, kNoNode);  // A removed leader steps down.
    return;
  }
  if (change.type == ConfChange::Type::kRemove) {
    progress_.erase(change.node);
  } else if (auto it = progress_.find(change.node); it != progress_.end()) {
    it->second.set_learner(conf_.learners.count(change.node) > 0);
  } else {
    progress_.emplace(change.node, Progress(log_.LastIndex().Next(), options_.max_inflight,
                                            conf_.learners.count(change.node) > 0));
  }
  // Fewer voters may let more entries commit.
  if (MaybeCommit()) BroadcastAppend();
}

void Core::ResetProgress() {
  progress_.clear();
  for (const std::set<NodeId>* members : {&conf_.voters, &conf_.learners}) {
    for (NodeId node : *members) {
      progress_.emplace(node, Progress(log_.LastIndex().Next(), options_.max_inflight,
                                       members == &conf_.learners));
    }
  }
  if (auto self = progress_.find(id_); self != progress_.end()) {
    self->second.MaybeUpdate(log_.LastIndex());
  }
}

}  // namespace karst::raft
