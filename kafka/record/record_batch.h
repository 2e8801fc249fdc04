// Kafka's record batch v2 (magic 2), the unit Karst stores and serves exactly as a producer
// sent it (KIP-98 format; see Kafka's implementation docs, "Record Batch").
//
//   offset  field                 offset  field
//   0       baseOffset int64      35      maxTimestamp int64
//   8       batchLength int32     43      producerId int64
//   12      partitionLeaderEpoch  51      producerEpoch int16
//   16      magic int8 (= 2)      53      baseSequence int32
//   17      crc uint32            57      records count int32
//   21      attributes int16      61      records...
//   23      lastOffsetDelta int32
//   27      baseTimestamp int64
//
// The CRC-32C covers attributes to the end, so assigning offsets rewrites only baseOffset and
// partitionLeaderEpoch, never the CRC. Parsing never trusts a length: every size is checked
// against the bytes present and a configured maximum. Pure functions and plain values.
#ifndef KARST_KAFKA_RECORD_RECORD_BATCH_H_
#define KARST_KAFKA_RECORD_RECORD_BATCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/record/compression.h"

namespace karst::kafka::record {

inline constexpr size_t kLogOverhead = 12;      // baseOffset + batchLength.
inline constexpr size_t kBatchHeaderSize = 61;  // Everything before the records.
inline constexpr size_t kCrcOffset = 17;
inline constexpr size_t kAttributesOffset = 21;
inline constexpr int8_t kMagic = 2;
inline constexpr int16_t kDeleteHorizonFlag = 0x40;  // Attribute bit 6 (KIP-534).

enum class TimestampType : int8_t { kCreateTime = 0, kLogAppendTime = 1 };

struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = -1;
  int8_t magic = kMagic;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = -1;
  int64_t max_timestamp = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  Compression compression() const { return static_cast<Compression>(attributes & 0x7); }
  TimestampType timestamp_type() const {
    return (attributes & 0x8) ? TimestampType::kLogAppendTime : TimestampType::kCreateTime;
  }
  bool is_transactional() const { return (attributes & 0x10) != 0; }
  bool is_control() const { return (attributes & 0x20) != 0; }
  // KIP-534: the log cleaner set baseTimestamp to the time after which this batch's
  // tombstones may be removed (record timestamps stay baseTimestamp + timestampDelta).
  bool has_delete_horizon() const { return (attributes & kDeleteHorizonFlag) != 0; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  // The whole batch's size in bytes, log overhead included.
  size_t size() const { return static_cast<size_t>(batch_length) + kLogOverhead; }
};

// Parses the 61-byte header at the start of `data` (which may hold more). kDataLoss if fewer
// bytes are present, the magic is not 2, batchLength is below the header's size, the codec id
// is unknown, or the record count or lastOffsetDelta is negative.
absl::StatusOr<BatchHeader> ParseBatchHeader(absl::string_view data);

// Full check of one batch: header, batchLength equal to data.size(), stored CRC equal to the
// computed one. kDataLoss naming what is wrong ("crc mismatch: stored 0x.., computed 0x..").
absl::StatusOr<BatchHeader> ValidateBatch(absl::string_view batch);

// Splits the front batch off `data`. Returns nullopt when `data` holds less than a whole
// batch (a fetch response may end with a partial one); kDataLoss for a malformed header or
// a batch larger than `max_batch_bytes`.
absl::StatusOr<std::optional<absl::string_view>> NextBatch(absl::string_view& data,
                                                           size_t max_batch_bytes);

// In-place rewrites that leave the CRC valid. REQUIRES: `batch` holds a whole header.
void SetBaseOffset(char* batch, int64_t base_offset);
void SetPartitionLeaderEpoch(char* batch, int32_t epoch);

// The CRC-32C of a batch's covered bytes (attributes to the end).
uint32_t ComputeBatchCrc(absl::string_view batch);

}  // namespace karst::kafka::record

#endif  // KARST_KAFKA_RECORD_RECORD_BATCH_H_
