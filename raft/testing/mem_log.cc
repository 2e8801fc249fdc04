#include "raft/testing/mem_log.h"

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"

namespace karst::raft::testing {

LogIndex MemLog::LastIndex() const {
  return state_.snapshot.metadata.index.Plus(static_cast<int64_t>(state_.entries.size()));
}

absl::StatusOr<Term> MemLog::TermAt(LogIndex index) const {
  const LogIndex snap = state_.snapshot.metadata.index;
  if (index == snap) return state_.snapshot.metadata.term;
  if (index < snap)
    return absl::OutOfRangeError(absl::StrCat("index ", index.value(), " compacted"));
  if (index > LastIndex()) return absl::NotFoundError(absl::StrCat("index ", index.value()));
  return state_.entries[static_cast<size_t>(index.value() - snap.value() - 1)].term;
}

std::vector<Entry> MemLog::Entries(LogIndex lo, LogIndex hi, size_t max_bytes) const {
  std::vector<Entry> out;
  size_t bytes = 0;
  const LogIndex snap = state_.snapshot.metadata.index;
  for (LogIndex i = lo; i < hi && i <= LastIndex(); i = i.Next()) {
    ABSL_RAW_CHECK(i > snap, "MemLog: read of a compacted entry");
    const Entry& e = state_.entries[static_cast<size_t>(i.value() - snap.value() - 1)];
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

void MemLog::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  const LogIndex snap = state_.snapshot.metadata.index;
  const LogIndex first = entries.front().index;
  ABSL_RAW_CHECK(first > snap && first <= LastIndex().Next(), "MemLog: append leaves a gap");
  state_.entries.resize(static_cast<size_t>(first.value() - snap.value() - 1));
  state_.entries.insert(state_.entries.end(), entries.begin(), entries.end());
}

void MemLog::InstallSnapshot(const Snapshot& snapshot) {
  state_.snapshot = snapshot;
  state_.entries.clear();
  if (state_.hard_state.commit < snapshot.metadata.index) {
    state_.hard_state.commit = snapshot.metadata.index;
  }
}

absl::Status MemLog::Save(const std::optional<HardState>& hard_state,
                          const std::optional<Snapshot>& snapshot,
                          const std::vector<Entry>& entries, bool sync) {
  if (!entries.empty()) {
    const LogIndex snap =
        snapshot.has_value() ? snapshot->metadata.index : state_.snapshot.metadata.index;
    const LogIndex last = snapshot.has_value() ? snap : LastIndex();
    const LogIndex first = entries.front().index;
    if (first <= snap || first > last.Next()) {
      return absl::InvalidArgumentError(absl::StrCat("mem log: entries from index ", first.value(),
                                                     " do not fit a log holding ",
                                                     snap.Next().value(), "..", last.value()));
    }
    for (size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].index != entries[i - 1].index.Next()) {
        return absl::InvalidArgumentError(absl::StrCat("mem log: entry index ",
                                                       entries[i].index.value(), " follows ",
                                                       entries[i - 1].index.value()));
      }
    }
  }
  if (snapshot.has_value()) InstallSnapshot(*snapshot);
  Append(entries);
  if (hard_state.has_value()) SetHardState(*hard_state);
  if (sync) Sync();
  return absl::OkStatus();
}

absl::Status MemLog::Compact(LogIndex index, const ConfState& conf, std::string data) {
  const LogIndex snap = state_.snapshot.metadata.index;
  if (index <= snap) return absl::OkStatus();
  if (index > LastIndex()) {
    return absl::InvalidArgumentError(absl::StrCat("mem log: compaction at index ", index.value(),
                                                   " is past the last index ",
                                                   LastIndex().value()));
  }
  const Term term = *TermAt(index);
  state_.entries.erase(
      state_.entries.begin(),
      state_.entries.begin() + static_cast<ptrdiff_t>(index.value() - snap.value()));
  state_.snapshot = {{index, term, conf}, std::move(data)};
  Sync();  // LogStore: durable on return.
  return absl::OkStatus();
}

}  // namespace karst::raft::testing
