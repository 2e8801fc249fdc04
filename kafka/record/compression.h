// Kafka's compression codecs for record batch payloads, framed as Kafka clients frame them:
// gzip (RFC 1952), snappy (reads Kafka's xerial framing or raw; writes raw, as the Java client
// does), lz4 (the LZ4 frame format) and zstd (a zstd frame). Pure functions over buffers.
// Decompression is bounded: output beyond `max_output` bytes is an error, never an allocation,
// so a small batch that inflates to gigabytes is rejected cheaply.
#ifndef KARST_KAFKA_RECORD_COMPRESSION_H_
#define KARST_KAFKA_RECORD_COMPRESSION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace karst::kafka::record {

// The attributes' low three bits (Kafka's CompressionType ids).
enum class Compression : int8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

const char* CompressionName(Compression codec);

// kInvalidArgument for an unknown codec id (5, 6, 7).
absl::StatusOr<Compression> CompressionFromId(int id);

absl::StatusOr<std::string> Compress(Compression codec, absl::string_view input);

// kDataLoss for corrupt input; kResourceExhausted naming the limit when the output would
// exceed `max_output` bytes.
absl::StatusOr<std::string> Decompress(Compression codec, absl::string_view input,
                                       size_t max_output);

}  // namespace karst::kafka::record

#endif  // KARST_KAFKA_RECORD_COMPRESSION_H_
