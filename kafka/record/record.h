// Records inside a v2 batch: decoding (with bounded decompression) and building whole
// batches, plus transaction control records (KIP-98). Pure functions and plain values.
//
//   record: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
//           keyLength varint (-1: null), key, valueLength varint (-1: null), value,
//           headerCount varint, headers [keyLength varint, key, valueLength varint, value]
#ifndef KARST_KAFKA_RECORD_RECORD_H_
#define KARST_KAFKA_RECORD_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/record/compression.h"
#include "kafka/record/record_batch.h"

namespace karst::kafka::record {

struct RecordHeader {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const RecordHeader&) const = default;
};

struct Record {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<RecordHeader> headers;
  bool operator==(const Record&) const = default;
};

struct DecodeLimits {
  // The largest payload a compressed batch may inflate to.
  size_t max_uncompressed_bytes = 64 * 1024 * 1024;
};

// Decodes the records of one whole batch (ValidateBatch's checks included). kDataLoss when a
// record is truncated or malformed, the count differs from the header's, an offsetDelta runs
// past lastOffsetDelta, or bytes trail the last record; kResourceExhausted when decompression
// would exceed limits.max_uncompressed_bytes.
absl::StatusOr<std::vector<Record>> DecodeRecords(absl::string_view batch,
                                                  const DecodeLimits& limits = {});

// Builds one batch. Offsets and timestamps of added records are given as absolute values and
// stored as deltas from the first. The CRC is computed over the final bytes.
class BatchBuilder {
 public:
  struct Options {
    Compression compression = Compression::kNone;
    TimestampType timestamp_type = TimestampType::kCreateTime;
    int64_t base_offset = 0;
    int32_t partition_leader_epoch = -1;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    bool transactional = false;
    bool control = false;
  };

  explicit BatchBuilder(Options options) : options_(options) {}

  // REQUIRES: offsets strictly increase from one Add to the next.
  void Add(int64_t offset, int64_t timestamp, std::optional<std::string> key,
           std::optional<std::string> value, std::vector<RecordHeader> headers = {});

  size_t record_count() const { return records_.size(); }

  // kInvalidArgument if no record was added; the codec's error if compression fails.
  absl::StatusOr<std::string> Build() const;

 private:
  Options options_;
  std::vector<Record> records_;
  int64_t first_offset_ = 0;
  int64_t first_timestamp_ = 0;
  int64_t max_timestamp_ = -1;
};

// Encodes `records` (offset and timestamp deltas kept as given) into one batch with the
// header fields of `header`: base offset, lastOffsetDelta, timestamps, attributes (codec
// included), producer state and epoch. record_count, batchLength and the CRC are computed.
// The log cleaner uses it to rewrite a batch it removed records from (Kafka keeps a cleaned
// batch's base and last offsets). kInvalidArgument if `records` is empty.
absl::StatusOr<std::string> EncodeBatch(const BatchHeader& header,
                                        const std::vector<Record>& records);

// A transaction marker: the key and value of a control batch's single record.
enum class ControlType : int16_t { kAbort = 0, kCommit = 1 };

struct ControlRecord {
  ControlType type = ControlType::kCommit;
  int32_t coordinator_epoch = 0;
};

std::string EncodeControlKey(ControlType type);
std::string EncodeControlValue(int32_t coordinator_epoch);
// kDataLoss for a key or value that is not a version-0 control record.
absl::StatusOr<ControlRecord> DecodeControlRecord(const Record& record);

}  // namespace karst::kafka::record

#endif  // KARST_KAFKA_RECORD_RECORD_H_
