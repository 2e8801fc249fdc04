#include "kafka/record/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace karst::kafka::record {
namespace {

TEST(Crc32c, KnownCheckValues) {
  // The standard check value (RFC 3720 appendix B.4 and every CRC catalogue).
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32cPortable("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  // RFC 3720 B.4: 32 bytes of zeros and of 0xff.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
}

TEST(Crc32c, HardwareAndPortableAgreeAtEveryLengthAndAlignment) {
  std::string data(1024 + 16, '\0');
  uint32_t x = 12345;
  for (char& c : data) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len = 0; len <= 1024; len += (len < 64 ? 1 : 37)) {
      const absl::string_view s(data.data() + align, len);
      const uint32_t portable = Crc32cPortable(s);
      EXPECT_EQ(Crc32c(s), portable) << "len " << len << " align " << align;
      if (HasHardwareCrc32c()) {
        EXPECT_EQ(Crc32cHardware(s), portable);
      }
    }
  }
}

TEST(Crc32c, HardwareAndPortableAgreeOnLongBuffers) {
  // Long enough for the three-lane paths (3 x 256 and 3 x 8192 bytes) and their remainders.
  std::string data(100'000, '\0');
  uint64_t x = 99;
  for (char& c : data) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>(x >> 56);
  }
  for (size_t len : {767, 768, 769, 1000, 24575, 24576, 24577, 50000, 73727, 100'000}) {
    for (size_t align : {0, 3}) {
      const absl::string_view s(data.data() + align, len - align);
      EXPECT_EQ(Crc32c(s), Crc32cPortable(s)) << "len " << len << " align " << align;
    }
  }
}

TEST(Crc32c, ContinuesAcrossChunks) {
  const std::string data = "the quick brown fox jumps over the lazy dog";
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    const uint32_t first = Crc32c(absl::string_view(data).substr(0, cut));
    EXPECT_EQ(Crc32c(absl::string_view(data).substr(cut), first), Crc32c(data));
    EXPECT_EQ(Crc32cPortable(absl::string_view(data).substr(cut), first), Crc32c(data));
  }
}

}  // namespace
}  // namespace karst::kafka::record
