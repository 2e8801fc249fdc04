// Every message of every API, at every version the schema defines: random field values
// encode, decode to an equal message, and re-encode to the identical bytes.
#include "common/random.h"
#include "gtest/gtest.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/random_messages.h"

namespace karst::kafka::protocol {
namespace {

class Source final : public testing::RandomSource {
 public:
  explicit Source(uint64_t seed) : random_(seed) {}
  uint64_t Next() override { return random_.Next(); }

 private:
  SeededRandom random_;
};

TEST(RoundTrip, EveryMessageEveryVersion) {
  int checked = 0;
  for (const testing::RoundTripCase& c : testing::AllRoundTripCases()) {
    for (int16_t v = c.min_version; v <= c.max_version; ++v) {
      for (uint64_t seed = 1; seed <= 25; ++seed) {
        Source rnd(seed * 1000 + static_cast<uint64_t>(v));
        const std::string problem = c.run(v, rnd);
        ASSERT_EQ(problem, "") << c.name << " v" << v << " seed " << seed;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(Apis, TableCoversTheServedApis) {
  EXPECT_EQ(AllApis().size(), 51u);
  const ApiInfo* produce = FindApi(0);
  ASSERT_NE(produce, nullptr);
  EXPECT_STREQ(produce->name, "Produce");
  EXPECT_EQ(RequestHeaderVersion(*produce, 8), 1);
  EXPECT_EQ(RequestHeaderVersion(*produce, 9), 2);
  EXPECT_EQ(ResponseHeaderVersion(*produce, 9), 1);
  const ApiInfo* api_versions = FindApi(18);
  ASSERT_NE(api_versions, nullptr);
  EXPECT_EQ(ResponseHeaderVersion(*api_versions, 3), 0);  // KIP-511: always v0.
  EXPECT_EQ(RequestHeaderVersion(*api_versions, 3), 2);
  const ApiInfo* describe_quorum = FindApi(55);
  ASSERT_NE(describe_quorum, nullptr);
  EXPECT_STREQ(describe_quorum->name, "DescribeQuorum");
  EXPECT_EQ(FindApi(9999), nullptr);
}

}  // namespace
}  // namespace karst::kafka::protocol
