// Helpers shared by the storage tests: build record batches of a given shape and read back
// the offsets of the batches a read returned.
#ifndef KARST_STORAGE_TESTING_LOG_TEST_UTIL_H_
#define KARST_STORAGE_TESTING_LOG_TEST_UTIL_H_

#include <string>
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
