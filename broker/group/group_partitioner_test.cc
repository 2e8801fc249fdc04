#include "broker/group/group_partitioner.h"

#include <limits>

#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

// Vectors worked out by hand from Java's definition s[0]*31^(n-1) + ... + s[n-1] (mod 2^32).
TEST(JavaStringHashCode, MatchesJavaOnAscii) {
  EXPECT_EQ(JavaStringHashCode(""), 0);
  EXPECT_EQ(JavaStringHashCode("a"), 97);
  EXPECT_EQ(JavaStringHashCode("ab"), 97 * 31 + 98);
  EXPECT_EQ(JavaStringHashCode("my-group"), -1906497762);
  EXPECT_EQ(JavaStringHashCode("console-consumer-12345"), 158455506);
}

TEST(JavaStringHashCode, CountsUtf16CodeUnits) {
  // U+00E9 is one UTF-16 unit (two UTF-8 bytes).
  EXPECT_EQ(JavaStringHashCode("h\xC3\xA9llo"), 103094734);
  // U+20AC (three UTF-8 bytes) is one unit.
  EXPECT_EQ(JavaStringHashCode("group-\xE2\x82\xAC"), 293435614);
  // U+1F600 is the surrogate pair D83D DE00: 0xD83D * 31 + 0xDE00.
  EXPECT_EQ(JavaStringHashCode("\xF0\x9F\x98\x80"), 0xD83D * 31 + 0xDE00);
}

TEST(JavaStringHashCode, MalformedBytesHashAsReplacementCharacter) {
  EXPECT_EQ(JavaStringHashCode("\xFF"), 0xFFFD);
  EXPECT_EQ(JavaStringHashCode("\xC3"), 0xFFFD);  // truncated two-byte sequence
}

TEST(JavaUtilsAbs, MinValueMapsToZero) {
  EXPECT_EQ(JavaUtilsAbs(std::numeric_limits<int32_t>::min()), 0);
  EXPECT_EQ(JavaUtilsAbs(-5), 5);
  EXPECT_EQ(JavaUtilsAbs(5), 5);
}

TEST(PartitionForGroup, UsesAbsOfHashModuloPartitions) {
  EXPECT_EQ(PartitionForGroup("", 50), PartitionIndex(0));
  EXPECT_EQ(PartitionForGroup("a", 50), PartitionIndex(47));
  EXPECT_EQ(PartitionForGroup("ab", 50), PartitionIndex(3105 % 50));
  EXPECT_EQ(PartitionForGroup("my-group", 50), PartitionIndex(1906497762 % 50));
  // "polygenelubricants".hashCode() == Integer.MIN_VALUE: Utils.abs gives 0, not a negative.
  EXPECT_EQ(JavaStringHashCode("polygenelubricants"), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(PartitionForGroup("polygenelubricants", 50), PartitionIndex(0));
  EXPECT_EQ(PartitionForGroup("polygenelubricants", 7), PartitionIndex(0));
}

}  // namespace
}  // namespace karst::broker::group
