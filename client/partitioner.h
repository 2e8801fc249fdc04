// The Java client's default partitioning, so keyed records land where Kafka's producers put
// them: murmur2 of the key bytes, masked positive, modulo the partition count
// (org.apache.kafka.common.utils.Utils.murmur2 / toPositive). Pure functions; thread-safe.
#ifndef KARST_CLIENT_PARTITIONER_H_
#define KARST_CLIENT_PARTITIONER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace karst::client {

// Java's Utils.murmur2: MurmurHash2 with seed 0x9747b28c, as a signed 32-bit value.
int32_t Murmur2(absl::string_view data);

// The partition of a keyed record. REQUIRES: partition_count > 0.
int32_t KeyPartition(absl::string_view key, int32_t partition_count);

// A custom partitioner for Producer (Java's org.apache.kafka.clients.producer.Partitioner):
// chooses the partition of records sent without one. The producer calls it on its I/O thread
// only, so an implementation needs no locking of its own unless it shares state elsewhere.
class Partitioner {
 public:
  virtual ~Partitioner() = default;
  // A partition in [0, partition_count); anything else fails the record with
  // kInvalidArgument. partition_count > 0.
  virtual int32_t Partition(const std::string& topic, const std::optional<std::string>& key,
                            const std::optional<std::string>& value, int32_t partition_count) = 0;
};

}  // namespace karst::client

#endif  // KARST_CLIENT_PARTITIONER_H_
