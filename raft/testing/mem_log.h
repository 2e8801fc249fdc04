// MemLog: an in-memory LogStore (the fake of RocksDbLogStore, passing the same contract tests
// in raft/node/log_store_test.cc), with crash semantics: Sync() makes the current state durable
// and Crash() throws away everything written since, as a power loss would. Save(sync=true) and
// Compact() sync; Save(sync=false) does not, so a Crash() loses it (the worst case the real
// store allows). The simulation also drives the finer-grained Append/SetHardState/
// InstallSnapshot directly. Not thread-safe.
#ifndef KARST_RAFT_TESTING_MEM_LOG_H_
#define KARST_RAFT_TESTING_MEM_LOG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/core/log_reader.h"
#include "raft/core/types.h"
#include "raft/node/log_store.h"

namespace karst::raft::testing {

class MemLog final : public LogStore {
 public:
  explicit MemLog(ConfState initial = {}) { state_.snapshot.metadata.conf_state = initial; }

  HardState InitialHardState() const override { return state_.hard_state; }
  ConfState InitialConfState() const override { return state_.snapshot.metadata.conf_state; }
  LogIndex FirstIndex() const override { return state_.snapshot.metadata.index.Next(); }
  LogIndex LastIndex() const override;
  absl::StatusOr<Term> TermAt(LogIndex index) const override;
  std::vector<Entry> Entries(LogIndex lo, LogIndex hi, size_t max_bytes) const override;
  Snapshot LatestSnapshot() const override { return state_.snapshot; }

  // LogStore, with RocksDbLogStore's errors: kInvalidArgument for entries that would leave a
  // gap or are not contiguous (nothing is written), or for a compaction past the last index.
  // Compact() at or below the snapshot's index is a no-op.
  absl::Status Save(const std::optional<HardState>& hard_state,
                    const std::optional<Snapshot>& snapshot, const std::vector<Entry>& entries,
                    bool sync) override;
  absl::Status Compact(LogIndex index, const ConfState& conf, std::string data) override;

  // Appends entries, replacing any existing suffix from entries[0].index.
  void Append(const std::vector<Entry>& entries);
  void SetHardState(const HardState& hs) { state_.hard_state = hs; }
  // Replaces everything with `snapshot` (a follower installing the leader's snapshot).
  void InstallSnapshot(const Snapshot& snapshot);
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
