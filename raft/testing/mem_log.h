// MemLog: an in-memory Raft log store implementing LogReader, with the writes a driver makes
// (append, hard state, snapshots, compaction) and crash semantics: Sync() makes the current
// state durable and Crash() throws away everything written since. Not thread-safe.
#ifndef KARST_RAFT_TESTING_MEM_LOG_H_
#define KARST_RAFT_TESTING_MEM_LOG_H_

#include <vector>

#include "raft/core/log_reader.h"
#include "raft/core/types.h"

namespace karst::raft::testing {

class MemLog final : public LogReader {
 public:
  explicit MemLog(ConfState initial = {}) { state_.snapshot.metadata.conf_state = initial; }

  HardState InitialHardState() const override { return state_.hard_state; }
  ConfState InitialConfState() const override { return state_.snapshot.metadata.conf_state; }
  LogIndex FirstIndex() const override { return state_.snapshot.metadata.index.Next(); }
  LogIndex LastIndex() const override;
  absl::StatusOr<Term> TermAt(LogIndex index) const override;
  std::vector<Entry> Entries(LogIndex lo, LogIndex hi, size_t max_bytes) const override;
  Snapshot LatestSnapshot() const override { return state_.snapshot; }

  // Appends entries, replacing any existing suffix from entries[0].index.
  void Append(const std::vector<Entry>& entries);
  void SetHardState(const HardState& hs) { state_.hard_state = hs; }
  // Replaces everything with `snapshot` (a follower installing the leader's snapshot).
  void InstallSnapshot(const Snapshot& snapshot);
  // Takes a snapshot at `index` (<= last index) with `data` and `conf`, and drops the entries
  // it covers.
  void Compact(LogIndex index, const ConfState& conf, std::string data);

  void Sync() { durable_ = state_; }
  void Crash() { state_ = durable_; }

 private:
  struct State {
    HardState hard_state;
    Snapshot snapshot;
    std::vector<Entry> entries;  // snapshot.index + 1, ...
  };
  State state_;
  State durable_;
};

}  // namespace karst::raft::testing

#endif  // KARST_RAFT_TESTING_MEM_LOG_H_
