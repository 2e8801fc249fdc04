#include "client/partitioner.h"

#include <string>

#include "gtest/gtest.h"

namespace karst::client {
namespace {

// Kafka's UtilsTest.testMurmur2 vectors (clients/src/test/.../utils/UtilsTest.java).
TEST(Murmur2, MatchesJavaUtilsTestVectors) {
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2("abc"), 479470107);
  EXPECT_EQ(Murmur2(""), 275646681);
}

TEST(Murmur2, HashesBytesAboveSevenBitsUnsigned) {
  // Java masks each byte with 0xff; a sign-extending port would differ here.
  const std::string high = "\xff\x80\xfe";
  EXPECT_EQ(Murmur2(high), Murmur2(std::string("\xff\x80\xfe", 3)));
  EXPECT_NE(Murmur2(high), Murmur2("\x7f\x00\x7e"));
}

TEST(KeyPartition, MasksPositiveThenTakesModulo) {
  // toPositive(-790332482) = 1357151166; 1357151166 % 50 = 16.
  EXPECT_EQ(KeyPartition("foobar", 50), 16);
  EXPECT_EQ(KeyPartition("foobar", 1), 0);
  for (int n = 1; n < 20; ++n) {
    const int32_t p = KeyPartition("a-little-bit-long-string", n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

}  // namespace
}  // namespace karst::client
