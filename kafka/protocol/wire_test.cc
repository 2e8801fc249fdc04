// The decoder trusts no length: each size check, the header versions, framing limits and the
// KIP-511 ApiVersions fallback, against bytes written out by hand from the protocol guide.
#include "kafka/protocol/wire.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/codec.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/messages/api_versions.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/messages/produce.h"

namespace karst::kafka::protocol {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(Reader, StringLengthBeyondTheBufferIsRefusedBeforeAllocating) {
  const std::string classic_bytes = Bytes({0x7f, 0xff, 'a', 'b'});
  Reader classic(classic_bytes);
  std::string s;
  EXPECT_THAT(classic.String(&s, false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("string length 32767 exceeds the 2 bytes left")));
  const std::string compact_bytes = Bytes({0xff, 0xff, 0xff, 0xff, 0x0f});
  Reader compact(compact_bytes);  // 4294967295 - 1.
  EXPECT_THAT(compact.String(&s, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds the 0 bytes left")));
  const std::string negative_bytes = Bytes({0xff, 0xfe});
  Reader negative(negative_bytes);
  EXPECT_THAT(negative.String(&s, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("length -2")));
  const std::string null_bytes = Bytes({0xff, 0xff});
  Reader null(null_bytes);
  EXPECT_THAT(null.String(&s, false), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("null where string is required")));
}

TEST(Reader, BytesRecordsAndArraysAreCheckedToo) {
  std::string b;
  const std::string bytes_bytes = Bytes({0x00, 0x10, 0x00, 0x00});
  Reader bytes(bytes_bytes);  // 1 MiB claimed, nothing present.
  EXPECT_THAT(bytes.Bytes(&b, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bytes length 1048576")));
  absl::string_view records;
  const std::string rec_bytes = Bytes({0x7f, 0xff, 0xff, 0xff});
  Reader rec(rec_bytes);
  EXPECT_THAT(rec.Records(&records, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("records length")));
  int32_t n;
  const std::string array_bytes = Bytes({0x40, 0x00, 0x00, 0x00, 1, 2});
  Reader array(array_bytes);
  EXPECT_THAT(array.ArrayLength(&n, false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("array length 1073741824 exceeds the 2 bytes left")));
  const std::string compact_array_bytes = Bytes({0x03, 1, 2});
  Reader compact_array(compact_array_bytes);
  ASSERT_THAT(compact_array.ArrayLength(&n, true), IsOk());
  EXPECT_EQ(n, 2);
  const std::string null_array_bytes = Bytes({0x00});
  Reader null_array(null_array_bytes);
  ASSERT_THAT(null_array.ArrayLength(&n, true), IsOk());
  EXPECT_EQ(n, -1);
}

TEST(Reader, VarintsAreBounded) {
  uint32_t v;
  const std::string overflow_bytes = Bytes({0xff, 0xff, 0xff, 0xff, 0x1f});
  Reader overflow(overflow_bytes);
  EXPECT_THAT(overflow.UnsignedVarint(&v), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string truncated_bytes = Bytes({0x80});
  Reader truncated(truncated_bytes);
  EXPECT_THAT(truncated.UnsignedVarint(&v), StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string ok_bytes = Bytes({0xac, 0x02});
  Reader ok(ok_bytes);
  ASSERT_THAT(ok.UnsignedVarint(&v), IsOk());
  EXPECT_EQ(v, 300u);
}

TEST(Reader, FixedWidthReadsStopAtTheEnd) {
  int64_t v;
  const std::string r_bytes = Bytes({1, 2, 3});
  Reader r(r_bytes);
  EXPECT_THAT(r.Int64(&v), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("int64 needs 8 bytes, 3 left")));
}

TEST(Messages, ErrorsNameMessageVersionAndField) {
  // ProduceRequest v3: transactional_id null, acks, timeout, then a topic array that lies.
  const std::string body =
      Bytes({0xff, 0xff, 0x00, 0x01, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x05});
  Reader r(body);
  ProduceRequest request;
  EXPECT_THAT(request.Decode(r, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ProduceRequest v3: TopicData: array length 5 exceeds")));
  Reader again(body);
  EXPECT_THAT(request.Decode(again, 12),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported version 12")));
}

TEST(Messages, ProduceRecordsStayAViewIntoTheFrame) {
  ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 30000;
  request.topic_data.push_back({"orders", {{0, absl::string_view("RECORDBYTES"), {}}}, {}});
  std::string bytes;
  Writer w(&bytes);
  request.Encode(w, 9);
  Reader r(bytes);
  ProduceRequest decoded;
  ASSERT_THAT(decoded.Decode(r, 9), IsOk());
  const absl::string_view records = *decoded.topic_data[0].partition_data[0].records;
  EXPECT_EQ(records, "RECORDBYTES");
  EXPECT_GE(records.data(), bytes.data());
  EXPECT_LT(records.data(), bytes.data() + bytes.size());
}

TEST(Header, RequestHeaderVersions) {
  RequestHeader h{3, 12, 77, "client-1", {}};
  for (int version : {0, 1, 2}) {
    std::string bytes;
    Writer w(&bytes);
    EncodeRequestHeader(w, version, h);
    Reader r(bytes);
    RequestHeader decoded;
    ASSERT_THAT(DecodeRequestHeader(r, version, &decoded), IsOk());
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(decoded.correlation_id, 77);
    if (version >= 1) {
      EXPECT_EQ(decoded.client_id, "client-1");
    }
  }
  // v2's client id is still the classic int16-length string, then a tag section.
  std::string v2;
  Writer w(&v2);
  EncodeRequestHeader(w, 2, h);
  EXPECT_EQ(v2, Bytes({0, 3, 0, 12, 0, 0, 0, 77, 0, 8}) + "client-1" + Bytes({0}));
}

TEST(Codec, DecodeRequestPicksTheHeaderVersionFromTheApiTable) {
  std::string frame;
  Writer w(&frame);
  EncodeRequestHeader(w, 2, {18, 3, 5, "kcat", {}});
  ApiVersionsRequest body{"karst-test", "1.0", {}};
  body.Encode(w, 3);
  ASSERT_OK_AND_ASSIGN(Request request, DecodeRequest(frame));
  ASSERT_NE(request.api, nullptr);
  EXPECT_STREQ(request.api->name, "ApiVersions");
  ApiVersionsRequest decoded;
  ASSERT_THAT(DecodeBody(request, &decoded), IsOk());
  EXPECT_EQ(decoded.client_software_name, "karst-test");
  // A version above the table's maximum still decodes its v1 header for an answer.
  std::string future;
  Writer fw(&future);
  EncodeRequestHeader(fw, 1, {18, 99, 6, "new-client", {}});
  ASSERT_OK_AND_ASSIGN(Request newer, DecodeRequest(future));
  EXPECT_EQ(newer.header.api_version, 99);
  EXPECT_EQ(newer.header.client_id, "new-client");
  EXPECT_THAT(DecodeRequest("abc"), StatusIs(absl::StatusCode::kInvalidArgument));
  // A header cut short names the API and version it claimed.
  EXPECT_THAT(DecodeRequest(frame.substr(0, 9)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ApiVersions (key 18) v3")));
}

TEST(Codec, ApiVersionsFallbackIsV0WithErrorThirtyFive) {
  const std::string frame = EncodeApiVersionsUnsupported(42);
  // size, correlation id (header v0: no tags), error 35, one api: key 18, min 0, max 4.
  EXPECT_EQ(frame, Bytes({0, 0, 0, 16, 0, 0,  0, 42, 0, 35,
                          0, 0, 0, 1,  0, 18, 0, 0,  0, ApiVersionsRequest::kMaxVersion}));
  EXPECT_EQ(ErrorCode::kUnsupportedVersion, static_cast<ErrorCode>(35));
}

TEST(Framing, SizesAboveTheMaximumAreRefused) {
  EXPECT_EQ(*FrameSize(Bytes({0, 0, 0}), 100), std::nullopt);
  EXPECT_EQ(*FrameSize(Bytes({0, 0, 0, 100}), 100), 100);
  EXPECT_THAT(FrameSize(Bytes({0, 0, 0, 101}), 100),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("outside [0, 100]")));
  EXPECT_THAT(FrameSize(Bytes({0xff, 0xff, 0xff, 0xff}), 100),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Frame("ab"), Bytes({0, 0, 0, 2}) + "ab");
}

TEST(Errors, NamesMessagesAndRetriability) {
  EXPECT_STREQ(ErrorName(ErrorCode::kNotLeaderOrFollower), "NOT_LEADER_OR_FOLLOWER");
  EXPECT_TRUE(IsRetriable(ErrorCode::kNotLeaderOrFollower));
  EXPECT_FALSE(IsRetriable(ErrorCode::kTopicAlreadyExists));
  EXPECT_THAT(std::string(ErrorMessage(ErrorCode::kOffsetOutOfRange)),
              HasSubstr("not within the range"));
  EXPECT_TRUE(IsKnownError(-1));
  EXPECT_FALSE(IsKnownError(9999));
  EXPECT_STREQ(ErrorName(static_cast<ErrorCode>(9999)), "UNKNOWN");
}

TEST(Messages, DecodingIntoAReusedMessageStartsAfresh) {
  MetadataResponse response;
  response.unknown_tagged_fields = {{7, "x"}};
  std::string bytes;
  Writer w(&bytes);
  response.Encode(w, 12);
  MetadataResponse reused;
  for (int i = 0; i < 2; ++i) {
    Reader r(bytes);
    ASSERT_THAT(reused.Decode(r, 12), IsOk());
  }
  EXPECT_EQ(reused.unknown_tagged_fields.size(), 1u);
}

TEST(Messages, NullableFieldsDefaultToKafkasDefaultNotNull) {
  // MetadataRequest.Topics is nullable (null: all topics) with no default: an empty array.
  MetadataRequest request;
  ASSERT_TRUE(request.topics.has_value());
  EXPECT_TRUE(request.topics->empty());
  // ProduceRequest.TransactionalId says default=null.
  EXPECT_FALSE(ProduceRequest().transactional_id.has_value());
}

TEST(Messages, TagsMustAscendStrictly) {
  // MetadataResponse v12 body: throttle, brokers [], cluster null, controller, topics [],
  // then two tagged fields given out of order (found by the fuzzer: a re-encode would sort
  // them, so the bytes could not survive a round trip).
  const std::string body = Bytes({0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 2, 9, 0, 3, 0});
  Reader r(body);
  MetadataResponse decoded;
  EXPECT_THAT(decoded.Decode(r, 12),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tagged field 3 repeats")));
}

TEST(Messages, TaggedFieldsUnknownToUsSurviveARoundTrip) {
  MetadataResponse response;
  response.throttle_time_ms = 5;
  response.unknown_tagged_fields = {{7, "x"}, {300, "yz"}};
  std::string bytes;
  Writer w(&bytes);
  response.Encode(w, 12);
  Reader r(bytes);
  MetadataResponse decoded;
  ASSERT_THAT(decoded.Decode(r, 12), IsOk());
  EXPECT_EQ(decoded.unknown_tagged_fields, response.unknown_tagged_fields);
}

}  // namespace
}  // namespace karst::kafka::protocol
