#include "client/cli/json.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Json, ParsesEveryTypeAndKeepsKeyOrder) {
  absl::StatusOr<Json> json =
      ParseJson(R"( {"b": [1, -2, 3.5, true, false, null], "a": "x\"y\\z\n", "e": {}} )");
  ASSERT_OK(json.status());
  ASSERT_TRUE(json->is_object());
  ASSERT_EQ(json->members().size(), 3u);
  EXPECT_EQ(json->members()[0].first, "b");
  EXPECT_EQ(json->members()[1].first, "a");
  const Json* b = json->Find("b");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->items().size(), 6u);
  EXPECT_EQ(b->items()[0].int_value(), 1);
  EXPECT_EQ(b->items()[1].int_value(), -2);
  EXPECT_EQ(b->items()[2].type(), Json::Type::kDouble);
  EXPECT_DOUBLE_EQ(b->items()[2].double_value(), 3.5);
  EXPECT_TRUE(b->items()[3].bool_value());
  EXPECT_FALSE(b->items()[4].bool_value());
  EXPECT_TRUE(b->items()[5].is_null());
  EXPECT_EQ(json->Find("a")->string_value(), "x\"y\\z\n");
  EXPECT_EQ(json->Find("missing"), nullptr);
}

TEST(Json, DecodesUnicodeEscapesIncludingSurrogatePairs) {
  absl::StatusOr<Json> json = ParseJson(R"("\u00e9\u20ac\ud83d\ude00\/")");
  ASSERT_OK(json.status());
  EXPECT_EQ(json->string_value(), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80/");
}

TEST(Json, LargeIntegersStayExactAndOverflowBecomesDouble) {
  EXPECT_EQ(ParseJson("9223372036854775807")->int_value(), INT64_MAX);
  EXPECT_EQ(ParseJson("-9223372036854775808")->int_value(), INT64_MIN);
  EXPECT_EQ(ParseJson("9223372036854775808")->type(), Json::Type::kDouble);
  EXPECT_EQ(ParseJson("1e3")->type(), Json::Type::kDouble);
}

TEST(Json, ErrorsNameLineAndColumn) {
  EXPECT_THAT(ParseJson("{\n  \"a\": 1\n  \"b\": 2}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 3, column 3: expected ',' or '}'")));
  EXPECT_THAT(ParseJson("[1, 2"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("line 1, column 6: expected ',' or ']'")));
  EXPECT_THAT(ParseJson(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("line 1, column 1: unexpected end of input")));
  EXPECT_THAT(ParseJson("{\"a\":1,\"a\":2}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 1, column 8: duplicate key \"a\"")));
}

TEST(Json, RejectsMalformedInput) {
  for (const char* bad :
       {"{a:1}", "[1,]", "01", "1.", "-", "\"abc", "tru", "nul", "[1] x", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00\"", "{\"a\" 1}", "\"a\tb\"", "1e", "{\"a\":}", "[", "]"}) {
    EXPECT_THAT(ParseJson(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(Json, RefusesDeepNesting) {
  EXPECT_THAT(ParseJson(std::string(1000, '[')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nesting too deep")));
}

TEST(Json, DumpEscapesAndRoundTrips) {
  Json json = Json::Object();
  json.Set("s", Json::String("a\"b\\c\n\x01"))
      .Set("n", Json::Int(-7))
      .Set("d", Json::Double(0.5))
      .Set("l", Json::Array({Json::Bool(true), Json()}));
  const std::string text = json.Dump();
  EXPECT_EQ(text, R"({"s":"a\"b\\c\n\u0001","n":-7,"d":0.5,"l":[true,null]})");
  absl::StatusOr<Json> again = ParseJson(text);
  ASSERT_OK(again.status());
  EXPECT_EQ(again->Dump(), text);
  EXPECT_EQ(again->Find("s")->string_value(), "a\"b\\c\n\x01");
}

}  // namespace
}  // namespace karst::cli
