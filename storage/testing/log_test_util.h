// Helpers shared by the storage tests: build record batches of a given shape and read back
// the offsets of the batches a read returned.
#ifndef KARST_STORAGE_TESTING_LOG_TEST_UTIL_H_
#define KARST_STORAGE_TESTING_LOG_TEST_UTIL_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"

namespace karst::storage::testing {

// A batch of `records` records of `value_bytes` each, base offset 0 (a leader assigns the
// real one), timestamps from `timestamp`.
inline std::string MakeBatch(int records, int64_t timestamp, size_t value_bytes = 16,
                             int64_t base_offset = 0, int32_t leader_epoch = -1) {
  kafka::record::BatchBuilder b(
      {.base_offset = base_offset, .partition_leader_epoch = leader_epoch});
  for (int i = 0; i < records; ++i) {
    b.Add(base_offset + i, timestamp + i, absl::StrCat("k", i),
          std::string(value_bytes, static_cast<char>('a' + i % 26)));
  }
  return *b.Build();
}

// One (key, value) per record; a nullopt value is a tombstone.
using KeyValues = std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>>;

// A batch of keyed records, base offset `base_offset`, timestamps from `timestamp`.
inline std::string MakeKeyedBatch(
    const KeyValues& records, int64_t timestamp,
    kafka::record::Compression compression = kafka::record::Compression::kNone,
    int64_t base_offset = 0) {
  kafka::record::BatchBuilder b({.compression = compression, .base_offset = base_offset});
  for (size_t i = 0; i < records.size(); ++i) {
    b.Add(base_offset + static_cast<int64_t>(i), timestamp + static_cast<int64_t>(i),
          records[i].first, records[i].second);
  }
  return *b.Build();
}

// A record as read back: its absolute offset and timestamp, key and value.
struct ReadRecord {
  int64_t offset;
  int64_t timestamp;
  std::optional<std::string> key;
  std::optional<std::string> value;
  bool operator==(const ReadRecord&) const = default;
};

// Every record of the whole batches in `records`, in order.
inline std::vector<ReadRecord> DecodeAll(absl::string_view records) {
  std::vector<ReadRecord> out;
  while (true) {
    auto next = kafka::record::NextBatch(records, 1 << 30);
    if (!next.ok() || !next->has_value()) break;
    auto h = kafka::record::ValidateBatch(**next);
    auto decoded = kafka::record::DecodeRecords(**next);
    if (!h.ok() || !decoded.ok()) break;
    for (const kafka::record::Record& r : *decoded) {
      out.push_back(
          {h->base_offset + r.offset_delta, h->base_timestamp + r.timestamp_delta, r.key, r.value});
    }
  }
  return out;
}

struct BatchInfo {
  int64_t base_offset;
  int64_t last_offset;
  int32_t leader_epoch;
};

// The batches in `records` (whole batches, as Log::Read returns them).
inline std::vector<BatchInfo> Batches(absl::string_view records) {
  std::vector<BatchInfo> out;
  while (true) {
    auto next = kafka::record::NextBatch(records, 1 << 30);
    if (!next.ok() || !next->has_value()) break;
    auto h = kafka::record::ValidateBatch(**next);
    if (!h.ok()) break;
    out.push_back({h->base_offset, h->last_offset(), h->partition_leader_epoch});
  }
  return out;
}

}  // namespace karst::storage::testing

#endif  // KARST_STORAGE_TESTING_LOG_TEST_UTIL_H_
