// Writes record batches encoded by BatchBuilder for every codec, plus a manifest of the records
// they hold, so that a real client (librdkafka, via librdkafka_reads_our_batches_test.py) can
// read our bytes back and be compared against what we meant to encode.
//
//   write_test_batches DIR
//     DIR/<codec>.bin   two batches of three records each, offsets 0..5, concatenated
//     DIR/<codec>.json  {"codec": ..., "records": [{"offset", "timestamp", "key", "value",
//                        "headers": [{"key", "value"}]}]}; bytes as lowercase hex, null as null
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kafka/record/compression.h"
#include "kafka/record/record.h"

namespace karst::kafka::record {
namespace {

constexpr int64_t kBaseTimestamp = 1700000000000;  // 2023-11-14T22:13:20Z

struct TestRecord {
  int64_t offset;
  int64_t timestamp;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<RecordHeader> headers;
};

std::string AllByteValues() {
  std::string out;
  for (int i = 0; i < 256; ++i) out.push_back(static_cast<char>(i));
  return out;
}

// Covers null and empty keys and values, null and empty header values, repeated header keys,
// non-UTF-8 bytes, a timestamp below the batch's first (a negative delta) and a value long
// enough for every codec to shrink it. Values name the codec so files cannot be swapped.
std::vector<std::vector<TestRecord>> TestBatches(Compression codec) {
  const std::string name = CompressionName(codec);
  std::string long_value = absl::StrCat(name, " value 1:");
  for (int i = 0; i < 200; ++i) absl::StrAppend(&long_value, " karst compressible text ", i);
  return {
      {
          {0, kBaseTimestamp, "key-0", absl::StrCat(name, " value 0"), {{"trace-id", "abc123"}}},
          {1,
           kBaseTimestamp + 5,
           std::nullopt,
           long_value,
           {{"h-null", std::nullopt}, {"h-empty", ""}}},
          {2, kBaseTimestamp - 3, "", std::nullopt, {}},
      },
      {
          {3,
           kBaseTimestamp + 1000,
           std::string("\x00\x01\xfe\xff", 4),
           AllByteValues(),
           {{"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", std::string("\x00\xff", 2)}}},
          {4, kBaseTimestamp + 70000, "key-4", "", {{"dup", "1"}, {"dup", "2"}}},
          {5,
           kBaseTimestamp + 70001,
           "key-5",
           absl::StrCat(name, " value 5"),
           {{"trace-id", std::nullopt}}},
      },
  };
}

std::string HexOrNull(const std::optional<std::string>& bytes) {
  if (!bytes.has_value()) return "null";
  return absl::StrCat("\"", absl::BytesToHexString(*bytes), "\"");
}

std::string RecordJson(const TestRecord& rec) {
  std::vector<std::string> headers;
  for (const RecordHeader& h : rec.headers) {
    headers.push_back(absl::StrCat("{\"key\": \"", absl::BytesToHexString(h.key),
                                   "\", \"value\": ", HexOrNull(h.value), "}"));
  }
  return absl::StrCat("    {\"offset\": ", rec.offset, ", \"timestamp\": ", rec.timestamp,
                      ", \"key\": ", HexOrNull(rec.key), ", \"value\": ", HexOrNull(rec.value),
                      ", \"headers\": [", absl::StrJoin(headers, ", "), "]}");
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

absl::Status WriteCodec(const std::string& dir, Compression codec) {
  std::string batches;
  std::vector<std::string> records;
  for (const std::vector<TestRecord>& batch : TestBatches(codec)) {
    BatchBuilder builder({.compression = codec, .base_offset = batch.front().offset});
    for (const TestRecord& rec : batch) {
      builder.Add(rec.offset, rec.timestamp, rec.key, rec.value, rec.headers);
      records.push_back(RecordJson(rec));
    }
    absl::StatusOr<std::string> bytes = builder.Build();
    if (!bytes.ok()) {
      return absl::Status(bytes.status().code(),
                          absl::StrCat(CompressionName(codec), ": ", bytes.status().message()));
    }
    batches += *bytes;
  }
  const std::string stem = absl::StrCat(dir, "/", CompressionName(codec));
  absl::Status status = WriteFile(stem + ".bin", batches);
  if (!status.ok()) return status;
  return WriteFile(stem + ".json",
                   absl::StrCat("{\"codec\": \"", CompressionName(codec), "\", \"records\": [\n",
                                absl::StrJoin(records, ",\n"), "\n]}\n"));
}

}  // namespace
}  // namespace karst::kafka::record

int main(int argc, char** argv) {
  using karst::kafka::record::Compression;
  if (argc != 2) {
    std::cerr << "usage: write_test_batches DIR\n";
    return 2;
  }
  for (Compression codec : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                            Compression::kLz4, Compression::kZstd}) {
    absl::Status status = karst::kafka::record::WriteCodec(argv[1], codec);
    if (!status.ok()) {
      std::cerr << "write_test_batches: " << status << "\n";
      return 1;
    }
  }
  return 0;
}
