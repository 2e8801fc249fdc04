// Decode and encode of Produce and Fetch messages carrying 1 MiB of records, against a memcpy
// of the same bytes: bazel run -c opt //kafka/protocol:codec_benchmark
// Records stay views on decode, so decoding costs the same whatever the payload size; encode
// copies the payload once, so it should cost about one memcpy.
#include <cstring>
#include <string>

#include "benchmark/benchmark.h"
#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/produce.h"

namespace karst::kafka::protocol {
namespace {

constexpr size_t kPayload = 1 << 20;

const std::string& Payload() {
  static const std::string* payload = new std::string(kPayload, 'r');
  return *payload;
}

ProduceRequest MakeProduce() {
  ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 30000;
  request.topic_data.push_back({"orders", {{0, absl::string_view(Payload()), {}}}, {}});
  return request;
}

FetchResponse MakeFetch() {
  FetchResponse response;
  FetchResponse::FetchableTopicResponse topic;
  topic.topic = "orders";
  FetchResponse::PartitionData partition;
  partition.high_watermark = 1000;
  partition.records = absl::string_view(Payload());
  topic.partitions.push_back(partition);
  response.responses.push_back(topic);
  return response;
}

void BM_Memcpy(benchmark::State& state) {
  std::string out(kPayload, '\0');
  for (auto _ : state) {
    std::memcpy(out.data(), Payload().data(), kPayload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_Memcpy);

template <typename Message>
void Encode(benchmark::State& state, const Message& message, int16_t version) {
  std::string out;
  out.reserve(kPayload + 1024);
  for (auto _ : state) {
    out.clear();
    Writer w(&out);
    message.Encode(w, version);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}

template <typename Message>
void Decode(benchmark::State& state, const Message& message, int16_t version) {
  std::string bytes;
  Writer w(&bytes);
  message.Encode(w, version);
  for (auto _ : state) {
    Message decoded;
    Reader r(bytes);
    if (!decoded.Decode(r, version).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}

void BM_EncodeProduceV9(benchmark::State& state) { Encode(state, MakeProduce(), 9); }
void BM_DecodeProduceV9(benchmark::State& state) { Decode(state, MakeProduce(), 9); }
void BM_EncodeProduceV3(benchmark::State& state) { Encode(state, MakeProduce(), 3); }
void BM_DecodeProduceV3(benchmark::State& state) { Decode(state, MakeProduce(), 3); }
void BM_EncodeFetchResponseV12(benchmark::State& state) { Encode(state, MakeFetch(), 12); }
void BM_DecodeFetchResponseV12(benchmark::State& state) { Decode(state, MakeFetch(), 12); }
BENCHMARK(BM_EncodeProduceV9);
BENCHMARK(BM_DecodeProduceV9);
BENCHMARK(BM_EncodeProduceV3);
BENCHMARK(BM_DecodeProduceV3);
BENCHMARK(BM_EncodeFetchResponseV12);
BENCHMARK(BM_DecodeFetchResponseV12);

}  // namespace
}  // namespace karst::kafka::protocol
