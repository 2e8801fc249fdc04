#include "common/config/properties.h"

#include <cstdio>
#include <fstream>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::config {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

std::vector<Property> Parse(absl::string_view text) {
  absl::StatusOr<std::vector<Property>> parsed = ParseProperties(text, "server.properties");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : std::vector<Property>{};
}

TEST(Properties, ParsesSeparatorsCommentsAndBlankLines) {
  auto p = Parse(
      "# a comment\n"
      "! another\n"
      "\n"
      "node.id=1\n"
      "  process.roles : broker,controller\n"
      "log.dirs /var/lib/karst\r\n"
      "empty.value=\n");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].key, "node.id");
  EXPECT_EQ(p[0].value, "1");
  EXPECT_EQ(p[0].origin.ToString(), "server.properties:4");
  EXPECT_EQ(p[1].key, "process.roles");
  EXPECT_EQ(p[1].value, "broker,controller");
  EXPECT_EQ(p[1].origin.line, 5);
  EXPECT_EQ(p[2].value, "/var/lib/karst");
  EXPECT_EQ(p[3].value, "");
}

TEST(Properties, JoinsContinuationLinesAndKeepsTheFirstLineNumber) {
  auto p = Parse("a=1\nlisteners=PLAINTEXT://:9092,\\\n    CONTROLLER://:9093\nb=2\n");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[1].value, "PLAINTEXT://:9092,CONTROLLER://:9093");
  EXPECT_EQ(p[1].origin.line, 2);
  EXPECT_EQ(p[2].origin.line, 4);
}

TEST(Properties, UndoesEscapes) {
  auto p = Parse("a\\=b=c\\td\nu=\\u0041\\u00e9\nslash=C:\\\\dir\n");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].key, "a=b");
  EXPECT_EQ(p[0].value, "c\td");
  EXPECT_EQ(p[1].value, "A\xc3\xa9");
  EXPECT_EQ(p[2].value, "C:\\dir");
}

TEST(Properties, DuplicateKeyNamesBothLines) {
  EXPECT_THAT(ParseProperties("node.id=1\nx=2\nnode.id=3\n", "s.properties"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "s.properties:3: duplicate key 'node.id' (first set at line 1)"));
}

TEST(Properties, KeyWithoutValueIsAnError) {
  EXPECT_THAT(ParseProperties("node.id=1\nlonely\n", "s.properties"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("s.properties:2: key")));
}

TEST(Properties, MalformedUnicodeEscapeIsAnError) {
  EXPECT_THAT(ParseProperties("a=\\u12\n", "s.properties"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("s.properties:1")));
  EXPECT_THAT(ParseProperties("a=\\u12zz\n", "s.properties"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\\uXXXX")));
}

TEST(Properties, ReadsAFileAndNamesAMissingOne) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/read_test.properties";
  std::ofstream(path) << "node.id=9\n";
  absl::StatusOr<std::vector<Property>> p = ReadPropertiesFile(path);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)[0].origin.ToString(), path + ":1");
  EXPECT_THAT(ReadPropertiesFile(dir + "/absent.properties"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.properties")));
  EXPECT_THAT(ReadPropertiesFile(dir),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(dir)));
}

}  // namespace
}  // namespace karst::config
