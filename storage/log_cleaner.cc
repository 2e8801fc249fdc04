#include "storage/log_cleaner.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"

namespace karst::storage {
namespace {

namespace rec = ::karst::kafka::record;

// Each whole batch of `batches`, validated, in order.
template <typename Fn>
absl::Status ForEachBatch(absl::string_view batches, Fn fn) {
  absl::string_view rest = batches;
  while (!rest.empty()) {
    ASSIGN_OR_RETURN(std::optional<absl::string_view> batch, rec::NextBatch(rest, SIZE_MAX));
    if (!batch.has_value()) return absl::DataLossError("cleaner: a partial batch at the end");
    ASSIGN_OR_RETURN(rec::BatchHeader h, rec::ValidateBatch(*batch));
    RETURN_IF_ERROR(fn(*batch, h));
  }
  return absl::OkStatus();
}

// Control batches (transaction markers) and transactional data wait for #10: cleaning them
// needs the aborted-transaction index so an aborted record never replaces a committed one.
bool KeepWhole(const rec::BatchHeader& h) { return h.is_control() || h.is_transactional(); }

struct Filtered {
  std::vector<rec::Record> kept;
  bool kept_tombstone = false;
};

Filtered FilterRecords(std::vector<rec::Record> records, const rec::BatchHeader& h,
                       const OffsetMap& map, const CleanerOptions& options, CleanerStats& stats) {
  Filtered out;
  const bool horizon_passed = h.has_delete_horizon() && options.now_ms >= h.base_timestamp;
  for (rec::Record& r : records) {
    const Offset offset(h.base_offset + r.offset_delta);
    // Kafka's cleaner drops keyless records: compacted topics refuse them on produce.
    bool keep = r.key.has_value();
    if (keep) {
      auto it = map.find(*r.key);
      keep = it == map.end() || it->second <= offset;
    }
    if (keep && !r.value.has_value()) {
      keep = !horizon_passed;
      if (!keep) ++stats.tombstones_removed;
      out.kept_tombstone = out.kept_tombstone || keep;
    }
    if (keep) {
      out.kept.push_back(std::move(r));
    } else {
      ++stats.records_removed;
    }
  }
  return out;
}

// Re-encodes what was kept of batch `h`, setting its delete horizon if it keeps a tombstone
// and has none yet (KIP-534: baseTimestamp becomes the horizon, deltas shift so every record
// keeps its timestamp).
absl::StatusOr<std::string> Rewrite(rec::BatchHeader h, std::vector<rec::Record> kept,
                                    bool set_horizon, const CleanerOptions& options) {
  const int64_t original_base = h.base_timestamp;
  if (set_horizon) {
    h.base_timestamp = options.now_ms + options.delete_retention_ms;
    h.attributes |= rec::kDeleteHorizonFlag;
  }
  int64_t max_timestamp = -1;
  for (rec::Record& r : kept) {
    const int64_t timestamp = original_base + r.timestamp_delta;
    max_timestamp = std::max(max_timestamp, timestamp);
    r.timestamp_delta = timestamp - h.base_timestamp;
  }
  // LogAppendTime batches carry the broker's time in maxTimestamp; keep it.
  if (h.timestamp_type() == rec::TimestampType::kCreateTime) h.max_timestamp = max_timestamp;
  return rec::EncodeBatch(h, kept);
}

}  // namespace

absl::Status LogCleaner::BuildOffsetMap(absl::string_view batches, Offset from, OffsetMap& map) {
  return ForEachBatch(batches, [&](absl::string_view batch, const rec::BatchHeader& h) {
    if (KeepWhole(h) || h.last_offset() < from.value()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<rec::Record> records, rec::DecodeRecords(batch));
    for (rec::Record& r : records) {
      const Offset offset(h.base_offset + r.offset_delta);
      if (!r.key.has_value() || offset < from) continue;
      auto [it, inserted] = map.try_emplace(*std::move(r.key), offset);
      if (!inserted) it->second = std::max(it->second, offset);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> LogCleaner::CleanBatches(absl::string_view batches,
                                                     const OffsetMap& map,
                                                     const CleanerOptions& options,
                                                     CleanerStats& stats) {
  std::string out;
  auto note_horizon = [&stats](int64_t horizon) {
    if (stats.earliest_delete_horizon_ms < 0 || horizon < stats.earliest_delete_horizon_ms) {
      stats.earliest_delete_horizon_ms = horizon;
    }
  };
  RETURN_IF_ERROR(ForEachBatch(batches, [&](absl::string_view batch, const rec::BatchHeader& h) {
    ++stats.batches_read;
    stats.records_read += h.record_count;
    if (KeepWhole(h)) {
      ++stats.batches_written;
      out.append(batch.data(), batch.size());
      return absl::OkStatus();
    }
    rec::DecodeLimits limits{.max_uncompressed_bytes = options.max_uncompressed_bytes};
    ASSIGN_OR_RETURN(std::vector<rec::Record> records, rec::DecodeRecords(batch, limits));
    const size_t count = records.size();
    Filtered f = FilterRecords(std::move(records), h, map, options, stats);
    // TODO(#10): keep an emptied batch's header while it holds its producer's latest
    // sequence, as Kafka does for idempotent producers.
    if (f.kept.empty()) return absl::OkStatus();
    ++stats.batches_written;
    const bool set_horizon = f.kept_tombstone && !h.has_delete_horizon();
    if (f.kept_tombstone) {
      note_horizon(set_horizon ? options.now_ms + options.delete_retention_ms : h.base_timestamp);
    }
    if (f.kept.size() == count && !set_horizon) {
      out.append(batch.data(), batch.size());
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(std::string rewritten, Rewrite(h, std::move(f.kept), set_horizon, options));
    out.append(rewritten);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status LogCleaner::CheckRecordsHaveKeys(absl::string_view batch) {
  ASSIGN_OR_RETURN(rec::BatchHeader h, rec::ValidateBatch(batch));
  if (h.is_control()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<rec::Record> records, rec::DecodeRecords(batch));
  for (const rec::Record& r : records) {
    if (!r.key.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "compacted topic cannot accept message without key (offset delta ", r.offset_delta, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace karst::storage
