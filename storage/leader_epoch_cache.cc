#include "storage/leader_epoch_cache.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace karst::storage {
namespace {

absl::Status Malformed(const std::string& path, int line, absl::string_view why) {
  return absl::DataLossError(absl::StrCat(path, ":", line, ": ", why));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LeaderEpochCache>> LeaderEpochCache::Load(FileSystem& fs,
                                                                         std::string path) {
  auto cache = std::unique_ptr<LeaderEpochCache>(new LeaderEpochCache(fs, path));
  absl::StatusOr<std::string> text = fs.ReadFile(path);
  if (absl::IsNotFound(text.status())) return cache;
  if (!text.ok()) return text.status();
  std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  if (lines.size() < 2 || lines[0] != "0") return Malformed(path, 1, "expected version 0");
  size_t count = 0;
  if (!absl::SimpleAtoi(lines[1], &count) || count != lines.size() - 2) {
    return Malformed(path, 2, "entry count does not match the entries");
  }
  for (size_t i = 2; i < lines.size(); ++i) {
    std::vector<std::string> parts = absl::StrSplit(lines[i], ' ', absl::SkipEmpty());
    int32_t epoch = 0;
    int64_t offset = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &epoch) ||
        !absl::SimpleAtoi(parts[1], &offset)) {
      return Malformed(path, static_cast<int>(i + 1), "expected '<epoch> <start offset>'");
    }
    if (!cache->entries_.empty() && (epoch <= cache->entries_.back().epoch.value() ||
                                     offset < cache->entries_.back().start_offset.value())) {
      return Malformed(path, static_cast<int>(i + 1), "entries out of order");
    }
    cache->entries_.push_back({LeaderEpoch(epoch), Offset(offset)});
  }
  return cache;
}

absl::Status LeaderEpochCache::Persist() {
  std::string text = absl::StrCat("0\n", entries_.size(), "\n");
  for (const EpochEntry& e : entries_) {
    absl::StrAppend(&text, e.epoch.value(), " ", e.start_offset.value(), "\n");
  }
  return fs_.WriteFileAtomically(path_, text);
}

absl::Status LeaderEpochCache::Assign(LeaderEpoch epoch, Offset start_offset) {
  if (epoch.value() < 0) return absl::OkStatus();  // Batches written without an epoch.
  if (!entries_.empty() && epoch <= entries_.back().epoch) return absl::OkStatus();
  if (!entries_.empty() && start_offset < entries_.back().start_offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader epoch ", epoch.value(), " would start at ", start_offset.value(), ", before epoch ",
        entries_.back().epoch.value(), " at ", entries_.back().start_offset.value()));
  }
  entries_.push_back({epoch, start_offset});
  return Persist();
}

absl::Status LeaderEpochCache::TruncateFromEnd(Offset end_offset) {
  const size_t before = entries_.size();
  while (!entries_.empty() && entries_.back().start_offset >= end_offset) entries_.pop_back();
  return entries_.size() == before ? absl::OkStatus() : Persist();
}

absl::Status LeaderEpochCache::TruncateFromStart(Offset start_offset) {
  size_t first_kept = 0;
  // Keep the last entry starting at or below start_offset; it covers start_offset.
  while (first_kept + 1 < entries_.size() &&
         entries_[first_kept + 1].start_offset <= start_offset) {
    ++first_kept;
  }
  bool changed = first_kept > 0;
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<ptrdiff_t>(first_kept));
  if (!entries_.empty() && entries_.front().start_offset < start_offset) {
    entries_.front().start_offset = start_offset;
    changed = true;
  }
  return changed ? Persist() : absl::OkStatus();
}

std::optional<std::pair<LeaderEpoch, Offset>> LeaderEpochCache::EndOffsetFor(
    LeaderEpoch epoch, Offset log_end_offset) const {
  for (size_t i = entries_.size(); i-- > 0;) {
    if (entries_[i].epoch <= epoch) {
      const Offset end = i + 1 < entries_.size() ? entries_[i + 1].start_offset : log_end_offset;
      return std::make_pair(entries_[i].epoch, end);
    }
  }
  return std::nullopt;
}

std::optional<LeaderEpoch> LeaderEpochCache::LatestEpoch() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back().epoch;
}

}  // namespace karst::storage
