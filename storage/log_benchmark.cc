// Partition log throughput against the raw ceiling, in one run on the same disk:
//   bazel run -c opt //storage:log_benchmark -- --benchmark_min_time=2
// BM_Append*/BM_RawWrite*: 1 KiB records in 16 KiB and 1 MiB batches, appended through Log
// versus write(2) of the same bytes to one file (the page cache absorbs both; no fsync).
// BM_Read*/BM_RawRead*: sequential reads by offset through Log versus read(2), 1 MiB at a
// time, from a warm 256 MiB log. Compare bytes_per_second between the pairs.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "kafka/record/record.h"
#include "storage/file_system.h"
#include "storage/log.h"

namespace karst::storage {
namespace {

constexpr size_t kRecordBytes = 1024;
constexpr size_t kResetBytes = 512 << 20;  // Start over so the disk never fills.

std::string BenchDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/karst-bench-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string MakeBatch(size_t batch_bytes) {
  kafka::record::BatchBuilder b({});
  const std::string value(kRecordBytes, 'v');
  for (size_t i = 0; i < batch_bytes / kRecordBytes; ++i) {
    b.Add(static_cast<int64_t>(i), 1'700'000'000'000, std::nullopt, value);
  }
  return *b.Build();
}

void BM_RawWrite(benchmark::State& state) {
  const std::string batch = MakeBatch(static_cast<size_t>(state.range(0)));
  const std::string path = BenchDir("raw-write") + "/file";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  size_t written = 0;
  for (auto _ : state) {
    if (write(fd, batch.data(), batch.size()) != static_cast<ssize_t>(batch.size())) {
      state.SkipWithError("write failed");
      break;
    }
    written += batch.size();
    if (written >= kResetBytes) {
      state.PauseTiming();
      if (ftruncate(fd, 0) != 0) state.SkipWithError("ftruncate failed");
      written = 0;
      state.ResumeTiming();
    }
  }
  close(fd);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
}
BENCHMARK(BM_RawWrite)->Arg(16 << 10)->Arg(1 << 20)->UseRealTime();

void BM_Append(benchmark::State& state) {
  const std::string batch = MakeBatch(static_cast<size_t>(state.range(0)));
  PosixFileSystem fs;
  const std::string dir = BenchDir("append");
  auto log = *Log::Open(dir + "/p-0", {}, fs, SystemClock::Get());
  size_t written = 0;
  for (auto _ : state) {
    if (!log->Append(batch, AppendOrigin::kLeader, LeaderEpoch(0)).ok()) {
      state.SkipWithError("append failed");
      break;
    }
    written += batch.size();
    if (written >= kResetBytes) {
      state.PauseTiming();
      log.reset();
      std::filesystem::remove_all(dir + "/p-0");
      log = *Log::Open(dir + "/p-0", {}, fs, SystemClock::Get());
      written = 0;
      state.ResumeTiming();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
}
BENCHMARK(BM_Append)->Arg(16 << 10)->Arg(1 << 20)->UseRealTime();

constexpr size_t kReadLogBytes = 256 << 20;
constexpr size_t kReadChunk = 1 << 20;

// One 256 MiB log of 16 KiB batches, shared by the read benchmarks (page cache warm).
struct ReadFixture {
  PosixFileSystem fs;
  std::string dir = BenchDir("read");
  std::unique_ptr<Log> log;
  std::string segment_path;

  ReadFixture() {
    log = *Log::Open(dir + "/p-0", {}, fs, SystemClock::Get());
    const std::string batch = MakeBatch(16 << 10);
    for (size_t n = 0; n < kReadLogBytes; n += batch.size()) {
      (void)log->Append(batch, AppendOrigin::kLeader, LeaderEpoch(0));
    }
    segment_path = dir + "/p-0/00000000000000000000.log";
  }
};

ReadFixture& Fixture() {
  static ReadFixture* fixture = new ReadFixture();
  return *fixture;
}

void BM_Read(benchmark::State& state) {
  ReadFixture& f = Fixture();
  Offset next(0);
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<ReadResult> r = f.log->Read(next, kReadChunk);
    if (!r.ok()) {
      state.SkipWithError("read failed");
      break;
    }
    bytes += r->records.size();
    next = r->next_offset >= f.log->LogEndOffset() ? Offset(0) : r->next_offset;
    benchmark::DoNotOptimize(r->records.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Read)->UseRealTime();

void BM_RawRead(benchmark::State& state) {
  ReadFixture& f = Fixture();
  const int fd = open(f.segment_path.c_str(), O_RDONLY | O_CLOEXEC);
  std::string buffer(kReadChunk, '\0');
  size_t bytes = 0;
  for (auto _ : state) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n <= 0) {
      lseek(fd, 0, SEEK_SET);
      n = read(fd, buffer.data(), buffer.size());
    }
    bytes += static_cast<size_t>(n);
    benchmark::DoNotOptimize(buffer.data());
  }
  close(fd);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RawRead)->UseRealTime();

}  // namespace
}  // namespace karst::storage
