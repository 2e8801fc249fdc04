// Bad input against one real karstd (process.roles=broker,controller, one voter), spoken to
// over raw TCP with the generated codecs (issue #7): a corrupt batch CRC, a magic-1 or
// truncated batch, an oversized or negative size prefix, a malformed frame, an unknown API key
// and an unsupported version each get Kafka's behaviour (a partition error code, or a closed
// connection; ApiVersions answers UNSUPPORTED_VERSION instead, KIP-511), another connection
// opened before the bad input is still served, and the log end offset does not move.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/codec.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/messages/all.h"
#include "kafka/protocol/wire.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"
#include "tests/harness/cluster.h"
#include "tests/harness/kafka_connection.h"
#include "tests/harness/tcp.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace kp = ::karst::kafka::protocol;
namespace rec = ::karst::kafka::record;

using ::testing::AnyOf;

constexpr char kTopic[] = "bad-input";
constexpr int16_t kNoError = 0;
constexpr int16_t kCorruptMessage = static_cast<int16_t>(kp::ErrorCode::kCorruptMessage);
constexpr int16_t kInvalidRecord = static_cast<int16_t>(kp::ErrorCode::kInvalidRecord);
constexpr int16_t kUnsupportedVersion = static_cast<int16_t>(kp::ErrorCode::kUnsupportedVersion);
constexpr int16_t kTopicAlreadyExists = static_cast<int16_t>(kp::ErrorCode::kTopicAlreadyExists);
// socket.request.max.bytes' default.
constexpr uint32_t kMaxRequestBytes = 100 * 1024 * 1024;
constexpr absl::Duration kTimeout = absl::Seconds(5);

// One valid, uncompressed batch holding `value`.
std::string ValidBatch(const std::string& value) {
  rec::BatchBuilder builder({});
  builder.Add(0, 1'700'000'000'000, "key", value);
  absl::StatusOr<std::string> batch = builder.Build();
  EXPECT_OK(batch.status());
  return batch.value_or("");
}

std::string BigEndian32(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}

kp::ProduceRequest Produce(absl::string_view records) {
  kp::ProduceRequest request;
  request.acks = 1;
  request.timeout_ms = 5000;
  auto& topic = request.topic_data.emplace_back();
  topic.name = kTopic;
  topic.partition_data.push_back({.index = 0, .records = records});
  return request;
}

class KarstdBadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.karstd_path = std::getenv("KARSTD");
    options.num_nodes = 1;
    options.logger_level = "info";
    options.properties = {
        {"default.replication.factor", "1"}, {"min.insync.replicas", "1"}, {"num.partitions", "1"}};
    absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Create(std::move(options));
    ASSERT_OK(cluster.status());
    cluster_ = cluster->release();
    ASSERT_OK(cluster_->StartAll());
    ASSERT_OK(CreateTopicAndProduceFirstBatch());
    ready_ = true;
  }

  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(ready_) << "the broker did not start";
    ASSERT_OK_AND_ASSIGN(bystander_, Connect());
    ASSERT_OK_AND_ASSIGN(log_end_before_, LogEndOffset(*bystander_));
  }

  // Every case ends here: nothing was written, and the connection opened before the bad input
  // is still served.
  void TearDown() override {
    if (ready_ && bystander_ != nullptr) {
      EXPECT_OK(ApiVersions(*bystander_, 3));
      absl::StatusOr<int64_t> log_end = LogEndOffset(*bystander_);
      EXPECT_OK(log_end.status());
      if (log_end.ok()) {
        EXPECT_EQ(*log_end, log_end_before_) << "the log end moved";
      }
    }
    if (HasFailure() && cluster_ != nullptr) cluster_->MarkFailed();
  }

  static absl::StatusOr<std::unique_ptr<KafkaConnection>> Connect() {
    return KafkaConnection::Open(cluster_->node(0));
  }

  // CreateTopics v4 until the broker is registered, then a first batch at offset 0.
  static absl::Status CreateTopicAndProduceFirstBatch() {
    // /healthz answers before the Kafka listener is bound.
    absl::StatusOr<std::unique_ptr<KafkaConnection>> c;
    if (absl::Status s = WaitForOk(
            [&] {
              c = Connect();
              return c.status();
            },
            absl::Seconds(30), "the Kafka listener");
        !s.ok()) {
      return s;
    }
    absl::Status created = WaitForOk(
        [&]() -> absl::Status {
          kp::CreateTopicsRequest request;
          request.timeout_ms = 5000;
          request.topics.push_back({.name = kTopic, .num_partitions = 1, .replication_factor = 1});
          kp::CreateTopicsResponse response;
          std::string frame;
          if (absl::Status s = (*c)->Call(request, 4, &response, &frame); !s.ok()) return s;
          const int16_t error = response.topics.at(0).error_code;
          if (error == kNoError || error == kTopicAlreadyExists) return absl::OkStatus();
          return absl::UnavailableError(absl::StrCat("CreateTopics error ", error));
        },
        absl::Seconds(30), "CreateTopics");
    if (!created.ok()) return created;
    // The partition exists on the broker once ListOffsets answers without an error.
    if (absl::Status s = WaitForOk([&] { return LogEndOffset(**c).status(); }, absl::Seconds(30),
                                   "the partition's leader");
        !s.ok()) {
      return s;
    }
    absl::StatusOr<kp::ProduceResponse::PartitionProduceResponse> produced =
        ProduceTo(**c, ValidBatch("first"));
    if (!produced.ok()) return produced.status();
    if (produced->error_code != kNoError || produced->base_offset != 0) {
      return absl::InternalError(absl::StrCat("first produce: error ", produced->error_code,
                                              ", base offset ", produced->base_offset));
    }
    return absl::OkStatus();
  }

  // Produce v7 with acks=1 of `records` to partition 0.
  static absl::StatusOr<kp::ProduceResponse::PartitionProduceResponse> ProduceTo(
      KafkaConnection& c, absl::string_view records) {
    kp::ProduceResponse response;
    std::string frame;
    if (absl::Status s = c.Call(Produce(records), 7, &response, &frame); !s.ok()) return s;
    if (response.responses.size() != 1 || response.responses[0].partition_responses.size() != 1) {
      return absl::DataLossError("produce response without exactly one partition");
    }
    return response.responses[0].partition_responses[0];
  }

  // ListOffsets v1, timestamp -1 (latest): the log end offset (the high watermark, which
  // with one replica is the log end).
  static absl::StatusOr<int64_t> LogEndOffset(KafkaConnection& c) {
    kp::ListOffsetsRequest request;
    request.replica_id = -1;
    auto& topic = request.topics.emplace_back();
    topic.name = kTopic;
    topic.partitions.push_back({.partition_index = 0, .timestamp = -1});
    kp::ListOffsetsResponse response;
    std::string frame;
    if (absl::Status s = c.Call(request, 1, &response, &frame); !s.ok()) return s;
    if (response.topics.size() != 1 || response.topics[0].partitions.size() != 1) {
      return absl::DataLossError("list offsets response without exactly one partition");
    }
    const auto& p = response.topics[0].partitions[0];
    if (p.error_code != kNoError) {
      return absl::UnavailableError(absl::StrCat("ListOffsets error ", p.error_code));
    }
    return p.offset;
  }

  // An ApiVersions exchange at `version` that lists Produce.
  static absl::Status ApiVersions(KafkaConnection& c, int16_t version) {
    kp::ApiVersionsRequest request;
    request.client_software_name = "karst-test";
    request.client_software_version = "1";
    kp::ApiVersionsResponse response;
    std::string frame;
    if (absl::Status s = c.Call(request, version, &response, &frame); !s.ok()) return s;
    if (response.error_code != kNoError) {
      return absl::InternalError(absl::StrCat("ApiVersions error ", response.error_code));
    }
    for (const auto& api : response.api_keys) {
      if (api.api_key == kp::ProduceRequest::kApiKey) return absl::OkStatus();
    }
    return absl::InternalError("ApiVersions does not list Produce");
  }

  // Sends `bytes` on a new connection, expects the broker to close it, and checks that a new
  // connection is then served.
  static void ExpectClosed(absl::string_view bytes, absl::string_view what) {
    SCOPED_TRACE(what);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect());
    ASSERT_OK(c->SendBytes(bytes));
    EXPECT_OK(c->WaitClosed());
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> next, Connect());
    EXPECT_OK(ApiVersions(*next, 0));
  }

  static Cluster* cluster_;
  static bool ready_;
  std::unique_ptr<KafkaConnection> bystander_;
  int64_t log_end_before_ = -1;
};

Cluster* KarstdBadInput::cluster_ = nullptr;
bool KarstdBadInput::ready_ = false;

TEST_F(KarstdBadInput, CorruptCrcIsCorruptMessageAndTheConnectionStaysOpen) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect());
  std::string batch = ValidBatch("corrupt");
  batch.back() ^= 0x01;  // Inside the last record's value: covered by the CRC.
  ASSERT_OK_AND_ASSIGN(auto flipped, ProduceTo(*c, batch));
  EXPECT_EQ(flipped.error_code, kCorruptMessage);
  EXPECT_EQ(flipped.base_offset, -1);
  EXPECT_OK(ApiVersions(*c, 3));

  std::string bad_crc = ValidBatch("crc");
  bad_crc[rec::kCrcOffset] ^= 0x80;  // The stored CRC itself.
  ASSERT_OK_AND_ASSIGN(auto stored, ProduceTo(*c, bad_crc));
  EXPECT_EQ(stored.error_code, kCorruptMessage);
  EXPECT_OK(ApiVersions(*c, 0));
}

TEST_F(KarstdBadInput, OldMagicAndTruncatedBatchesAreRefusedWhole) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect());
  const std::string valid = ValidBatch("valid");

  std::string magic1 = valid;
  magic1[16] = 1;  // A v1 message set cannot be sent with Produce v3+.
  ASSERT_OK_AND_ASSIGN(auto old_magic, ProduceTo(*c, magic1));
  EXPECT_THAT(old_magic.error_code, AnyOf(kCorruptMessage, kInvalidRecord));

  ASSERT_OK_AND_ASSIGN(auto truncated, ProduceTo(*c, valid.substr(0, valid.size() - 5)));
  EXPECT_THAT(truncated.error_code, AnyOf(kCorruptMessage, kInvalidRecord));

  ASSERT_OK_AND_ASSIGN(auto stub, ProduceTo(*c, valid.substr(0, 7)));
  EXPECT_THAT(stub.error_code, AnyOf(kCorruptMessage, kInvalidRecord));

  std::string short_length = valid;
  short_length.replace(8, 4, BigEndian32(10));  // batchLength below the header's size.
  ASSERT_OK_AND_ASSIGN(auto below_header, ProduceTo(*c, short_length));
  EXPECT_THAT(below_header.error_code, AnyOf(kCorruptMessage, kInvalidRecord));

  // A valid batch followed by a bad one: the request appends nothing (Kafka validates the
  // whole set before appending).
  ASSERT_OK_AND_ASSIGN(auto mixed, ProduceTo(*c, valid + valid.substr(0, valid.size() - 1)));
  EXPECT_THAT(mixed.error_code, AnyOf(kCorruptMessage, kInvalidRecord));
  EXPECT_EQ(mixed.base_offset, -1);
  EXPECT_OK(ApiVersions(*c, 3));
}

TEST_F(KarstdBadInput, OversizedSizePrefixClosesTheConnection) {
  ExpectClosed(BigEndian32(0x7fffffff), "size 0x7fffffff");
  ExpectClosed(BigEndian32(kMaxRequestBytes + 1) + "xxxx", "socket.request.max.bytes + 1");
}

TEST_F(KarstdBadInput, NegativeSizePrefixClosesTheConnection) {
  ExpectClosed(BigEndian32(0xffffffff), "size -1");
  ExpectClosed(BigEndian32(0x80000000) + "xxxx", "size INT32_MIN");
}

TEST_F(KarstdBadInput, MalformedFrameClosesTheConnection) {
  ExpectClosed(BigEndian32(0), "an empty frame");
  ExpectClosed(kp::Frame(std::string("\x00\x03", 2)), "a frame shorter than a request header");
  ExpectClosed(kp::Frame(std::string("\x00\x03\x00\x01\x00\x00\x00\x07\x7f\xff", 10)),
               "a client id longer than the frame");

  // Metadata v1 asking for three topics but holding one.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect());
  std::string body;
  kp::Writer w(&body);
  w.ArrayLength(3, /*compact=*/false);
  w.String(kTopic, /*compact=*/false);
  ExpectClosed(c->RequestFrame(kp::MetadataRequest::kApiKey, 1, body), "truncated Metadata v1");

  // A valid produce with garbage after its last field.
  const std::string produce = c->Encode(Produce(ValidBatch("trailing")), 7).substr(4);
  ExpectClosed(kp::Frame(produce + "garbage"), "Produce v7 with trailing bytes");

  // Garbage in place of a Produce v7 body.
  ExpectClosed(c->RequestFrame(kp::ProduceRequest::kApiKey, 7, std::string(64, '\xa5')),
               "Produce v7 with a garbage body");
}

TEST_F(KarstdBadInput, UnknownApiKeyAndUnsupportedVersionsCloseTheConnection) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect());
  ExpectClosed(c->RequestFrame(999, 0, ""), "API key 999");
  ExpectClosed(c->RequestFrame(-1, 0, ""), "API key -1");
  ExpectClosed(c->RequestFrame(kp::MetadataRequest::kApiKey, 99, ""), "Metadata v99");
  // Advertised (librdkafka needs Produce 0) but refused, as Kafka 4 does.
  ExpectClosed(c->Encode(Produce(ValidBatch("v2")), 2), "Produce v2");
  ExpectClosed(c->Encode(kp::FetchRequest{}, 3), "Fetch v3");

  // A good request pipelined before an unknown key is answered before the close.
  kp::ApiVersionsRequest api_versions;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> pipelined, Connect());
  ASSERT_OK(pipelined->SendBytes(pipelined->Encode(api_versions, 0) +
                                 pipelined->RequestFrame(999, 0, "")));
  kp::ApiVersionsResponse answered;
  std::string frame;
  ASSERT_OK(pipelined->ReadResponse(0, &answered, &frame));
  EXPECT_EQ(answered.error_code, kNoError);
  EXPECT_OK(pipelined->WaitClosed());
}

TEST_F(KarstdBadInput, ApiVersionsAboveTheMaximumAnswersUnsupportedVersion) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect());
  // The ApiVersions range the broker advertises.
  kp::ApiVersionsResponse advertised;
  std::string advertised_frame;
  ASSERT_OK(c->Call(kp::ApiVersionsRequest{}, 3, &advertised, &advertised_frame));
  std::optional<kp::ApiVersionsResponse::ApiVersion> range;
  for (const auto& api : advertised.api_keys) {
    if (api.api_key == kp::ApiVersionsRequest::kApiKey) range = api;
  }
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->min_version, 0);
  EXPECT_GE(range->max_version, 3);  // librdkafka and platformatic send v3.

  // KIP-511: the body of a version the broker does not know cannot be parsed; send v3's.
  kp::ApiVersionsRequest request;
  request.client_software_name = "future-client";
  request.client_software_version = "99";
  std::string body;
  kp::Writer w(&body);
  request.Encode(w, 3);
  ASSERT_OK(c->SendBytes(c->RequestFrame(kp::ApiVersionsRequest::kApiKey, 99, body)));
  kp::ApiVersionsResponse response;
  std::string frame;
  ASSERT_OK(c->ReadResponse(0, &response, &frame));  // v0 format, response header v0.
  EXPECT_EQ(response.error_code, kUnsupportedVersion);
  ASSERT_EQ(response.api_keys.size(), 1u);
  EXPECT_EQ(response.api_keys[0].api_key, kp::ApiVersionsRequest::kApiKey);
  EXPECT_EQ(response.api_keys[0].min_version, range->min_version);
  EXPECT_EQ(response.api_keys[0].max_version, range->max_version);
  // The client retries at a version both speak, on the same connection.
  EXPECT_OK(ApiVersions(*c, 3));
}

TEST_F(KarstdBadInput, StillServesProduceAndFetchAfterwards) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect());
  ASSERT_OK_AND_ASSIGN(auto produced, ProduceTo(*c, ValidBatch("after")));
  ASSERT_EQ(produced.error_code, kNoError);
  EXPECT_EQ(produced.base_offset, log_end_before_);
  ASSERT_OK_AND_ASSIGN(int64_t log_end, LogEndOffset(*c));
  EXPECT_EQ(log_end, log_end_before_ + 1);

  // Fetch v4 from 0: one record per good produce, the bad input nowhere in between.
  kp::FetchRequest fetch;
  fetch.max_wait_ms = 0;
  fetch.min_bytes = 1;
  fetch.max_bytes = 1 << 20;
  auto& topic = fetch.topics.emplace_back();
  topic.topic = kTopic;
  topic.partitions.push_back({.partition = 0, .fetch_offset = 0, .partition_max_bytes = 1 << 20});
  kp::FetchResponse response;
  std::string frame;
  ASSERT_OK(c->Call(fetch, 4, &response, &frame));
  ASSERT_EQ(response.responses.size(), 1u);
  ASSERT_EQ(response.responses[0].partitions.size(), 1u);
  const auto& partition = response.responses[0].partitions[0];
  ASSERT_EQ(partition.error_code, kNoError);
  EXPECT_EQ(partition.high_watermark, log_end_before_ + 1);
  absl::string_view records = partition.records.value_or("");
  std::vector<int64_t> offsets;
  std::vector<std::string> values;
  for (;;) {
    ASSERT_OK_AND_ASSIGN(std::optional<absl::string_view> batch, rec::NextBatch(records, 1 << 20));
    if (!batch.has_value()) break;
    ASSERT_OK_AND_ASSIGN(rec::BatchHeader header, rec::ValidateBatch(*batch));
    ASSERT_OK_AND_ASSIGN(std::vector<rec::Record> decoded, rec::DecodeRecords(*batch));
    for (const rec::Record& r : decoded) {
      offsets.push_back(header.base_offset + r.offset_delta);
      values.push_back(r.value.value_or(""));
    }
  }
  ASSERT_EQ(static_cast<int64_t>(offsets.size()), log_end_before_ + 1);
  for (size_t i = 0; i < offsets.size(); ++i) EXPECT_EQ(offsets[i], static_cast<int64_t>(i));
  EXPECT_EQ(values.front(), "first");
  EXPECT_EQ(values.back(), "after");
  // The bystander check in TearDown expects the log end it saw before this test.
  log_end_before_ = log_end;
}

}  // namespace
}  // namespace karst::testing
