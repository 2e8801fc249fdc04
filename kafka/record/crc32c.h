// CRC-32C (Castagnoli), the checksum of Kafka's record batch v2. Uses the SSE4.2 crc32
// instruction when the CPU has it and a portable slicing-by-8 table otherwise; both give the
// same results. Pure functions, safe from any thread.
#ifndef KARST_KAFKA_RECORD_CRC32C_H_
#define KARST_KAFKA_RECORD_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace karst::kafka::record {

// The CRC-32C of `data`, continuing from `crc` (the result of a previous call, or 0).
uint32_t Crc32c(absl::string_view data, uint32_t crc = 0);

// The two implementations, exposed so tests can prove they agree.
uint32_t Crc32cPortable(absl::string_view data, uint32_t crc = 0);
// REQUIRES: HasHardwareCrc32c().
uint32_t Crc32cHardware(absl::string_view data, uint32_t crc = 0);
bool HasHardwareCrc32c();

}  // namespace karst::kafka::record

#endif  // KARST_KAFKA_RECORD_CRC32C_H_
