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

void MemLog::Compact(LogIndex index, const ConfState& conf, std::string data) {
  const LogIndex snap = state_.snapshot.metadata.index;
  if (index <= snap) return;
  ABSL_RAW_CHECK(index <= LastIndex(), "MemLog: compaction past the last index");
  const Term term = *TermAt(index);
  state_.entries.erase(
      state_.entries.begin(),
      state_.entries.begin() + static_cast<ptrdiff_t>(index.value() - snap.value()));
  state_.snapshot = {{index, term, conf}, std::move(data)};
}

}  // namespace karst::raft::testing
