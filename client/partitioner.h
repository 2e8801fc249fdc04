// The Java client's default partitioning, so keyed records land where Kafka's producers put
// them: murmur2 of the key bytes, masked positive, modulo the partition count
// (org.apache.kafka.common.utils.Utils.murmur2 / toPositive). Pure functions; thread-safe.
#ifndef KARST_CLIENT_PARTITIONER_H_
#define KARST_CLIENT_PARTITIONER_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace karst::client {

// Java's Utils.murmur2: MurmurHash2 with seed 0x9747b28c, as a signed 32-bit value.
int32_t Murmur2(absl::string_view data);

// The partition of a keyed record. REQUIRES: partition_count > 0.
int32_t KeyPartition(absl::string_view key, int32_t partition_count);

}  // namespace karst::client

#endif  // KARST_CLIENT_PARTITIONER_H_
