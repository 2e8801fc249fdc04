// CRC-32C throughput, hardware and portable: bazel run -c opt //kafka/record:crc32c_benchmark
#include <string>

#include "benchmark/benchmark.h"
#include "kafka/record/crc32c.h"

namespace karst::kafka::record {
namespace {

void BM_Crc32c(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Crc32c(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(1024)->Arg(16 * 1024)->Arg(1024 * 1024);

void BM_Crc32cPortable(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Crc32cPortable(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cPortable)->Arg(1024)->Arg(16 * 1024)->Arg(1024 * 1024);

}  // namespace
}  // namespace karst::kafka::record
